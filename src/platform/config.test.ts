import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../schemas/problems.ts';
import { loadConfig } from './config.ts';

const ROOT = path.resolve('/srv/course');

function configError(env: NodeJS.ProcessEnv): ValidationError {
	try {
		loadConfig(env, ROOT);
	} catch (error) {
		if (error instanceof ValidationError) return error;
		throw error;
	}
	throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadConfig defaults', () => {
	it('run the course for one learner on this machine', () => {
		expect(loadConfig({}, ROOT)).toEqual({
			port: 4321,
			host: '127.0.0.1',
			dataDir: path.join(ROOT, '.data'),
			databaseFile: path.join(ROOT, '.data', 'steady-state.db'),
			allowedHosts: [],
			prepareImages: true,
			debianMirror: undefined,
			dockerHost: undefined,
			projectRoot: ROOT,
		});
	});

	it('ignore variables that are not the platform\'s', () => {
		expect(loadConfig({ HOME: '/root', PATH: '/usr/bin', NODE_ENV: 'production' }, ROOT).port).toBe(4321);
	});
});

describe('loadConfig settings', () => {
	it('take the port, host and Docker host from the environment', () => {
		const config = loadConfig({ PORT: '8080', HOST: '0.0.0.0', DOCKER_HOST: 'tcp://127.0.0.1:2375' }, ROOT);

		expect(config).toMatchObject({ port: 8080, host: '0.0.0.0', dockerHost: 'tcp://127.0.0.1:2375' });
	});

	it('resolve a relative data folder against the project root, and keep an absolute one', () => {
		expect(loadConfig({ STEADY_DATA_DIR: 'var/db' }, ROOT)).toMatchObject({
			dataDir: path.join(ROOT, 'var', 'db'),
			databaseFile: path.join(ROOT, 'var', 'db', 'steady-state.db'),
		});
		expect(loadConfig({ STEADY_DATA_DIR: '/var/lib/steady' }, ROOT).dataDir).toBe(path.resolve('/var/lib/steady'));
	});

	it('split allowed hosts on commas, trimmed, lowercased, without empty entries', () => {
		expect(loadConfig({ STEADY_ALLOWED_HOSTS: ' Course.Example.com, ,proxy.local,' }, ROOT).allowedHosts).toEqual(['course.example.com', 'proxy.local']);
	});

	it.each([
		['true', true],
		['1', true],
		['false', false],
		['0', false],
	])('read STEADY_PREPARE_IMAGES=%s as %s', (value, expected) => {
		expect(loadConfig({ STEADY_PREPARE_IMAGES: value }, ROOT).prepareImages).toBe(expected);
	});

	it('take a Debian mirror URL', () => {
		expect(loadConfig({ STEADY_DEBIAN_MIRROR: 'http://deb.debian.org/debian' }, ROOT).debianMirror).toBe('http://deb.debian.org/debian');
	});
});

describe('loadConfig refuses', () => {
	it('a data folder too deep for the sockets of the fault channels, saying how long it may be', () => {
		const deep = `/srv/${'very-long-folder-name/'.repeat(3)}data`;
		const error = configError({ STEADY_DATA_DIR: deep });

		expect(error.problems).toEqual([expect.objectContaining({ field: 'STEADY_DATA_DIR', fix: expect.stringContaining('shorter') })]);
		expect(error.problems[0]?.message).toContain('at most 71 bytes');
		// 71 bytes is still fine.
		expect(loadConfig({ STEADY_DATA_DIR: `/${'d'.repeat(70)}` }, ROOT).dataDir).toHaveLength(71);
	});

	it('a port that is not a number, naming the variable and the fix', () => {
		const error = configError({ PORT: 'abc' });

		expect(error.problems).toEqual([expect.objectContaining({ file: 'environment', field: 'PORT', fix: 'Set PORT to a free TCP port, e.g. PORT=4321.' })]);
		expect(error.message).toContain('environment PORT:');
		expect(error.message).toContain('\n    Fix: Set PORT to a free TCP port');
	});

	// Zod 4 leaves the input out of its issues; a set but wrong value must not read as a missing one.
	it('a port that is not a number, without claiming it is missing', () => {
		expect(configError({ PORT: 'abc' }).problems[0]?.message).not.toMatch(/required/);
	});

	it('a port past 65535', () => {
		expect(configError({ PORT: '70000' }).message).toMatchInlineSnapshot(`
			"The platform settings have problems:
			  environment PORT: must be at most 65535
			    Fix: Set PORT to a free TCP port, e.g. PORT=4321."
		`);
	});

	it('a Docker host without a scheme', () => {
		expect(configError({ DOCKER_HOST: 'foo' }).message).toMatchInlineSnapshot(`
			"The platform settings have problems:
			  environment DOCKER_HOST: must start with unix://, tcp://, http:// or https://
			    Fix: Set DOCKER_HOST like unix:///var/run/docker.sock or tcp://127.0.0.1:2375, or unset it."
		`);
	});

	it('a yes/no setting that is neither', () => {
		expect(configError({ STEADY_PREPARE_IMAGES: 'maybe' }).message).toMatchInlineSnapshot(`
			"The platform settings have problems:
			  environment STEADY_PREPARE_IMAGES: invalid option: expected one of "0"|"1"|"true"|"false"
			    Fix: Set STEADY_PREPARE_IMAGES to true or false."
		`);
	});

	it('a mirror that is not a URL (an empty HOST just means the default)', () => {
		expect(configError({ HOST: '', STEADY_DEBIAN_MIRROR: 'nope' }).problems.map((problem) => problem.field)).toEqual(['STEADY_DEBIAN_MIRROR']);
	});

	it('every bad setting in one error', () => {
		expect(configError({ PORT: '70000', DOCKER_HOST: 'foo', STEADY_PREPARE_IMAGES: 'maybe' }).problems.map((problem) => problem.field)).toEqual([
			'PORT',
			'STEADY_PREPARE_IMAGES',
			'DOCKER_HOST',
		]);
	});

	// QUESTIONABLE: `PORT=` (set but empty, as an .env template leaves it) coerces to 0, so the platform would
	// listen on a random port instead of 4321 or refusing.
	it('an empty PORT, or reads it as the default, never as port 0', () => {
		let port: number | undefined;
		try {
			port = loadConfig({ PORT: '' }, ROOT).port;
		} catch {
			return;
		}
		expect(port).toBe(4321);
	});
});
