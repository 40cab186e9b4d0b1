import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { main } from './cli.ts';
import type { Journal } from './types.ts';

/**
 * The runner end to end, as a learner drives it: real experiment files, a real HTTP service on
 * loopback whose health the experiment's own actions break and mend, real processes. Each test
 * asserts the exit status and the journal the reference Chaos Toolkit would have written.
 */

let server: Server;
let base: string;
let healthy = true;
let workdir: string;

beforeAll(async () => {
	server = createServer((request, response) => {
		if (request.url === '/health') {
			response.writeHead(healthy ? 200 : 503, { 'Content-Type': 'application/json' });
			response.end(JSON.stringify({ status: healthy ? 'ok' : 'down', checks: [{ name: 'db', up: healthy }] }));
		} else if (request.url === '/break' && request.method === 'POST') {
			healthy = false;
			response.end('broken');
		} else if (request.url === '/fix' && request.method === 'POST') {
			healthy = true;
			response.end('fixed');
		} else {
			response.writeHead(404).end();
		}
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(async () => {
	healthy = true;
	workdir = await mkdtemp(path.join(tmpdir(), 'chaos-cli-'));
});

afterEach(() => rm(workdir, { recursive: true, force: true }));

interface Outcome {
	code: number;
	stdout: string;
	stderr: string;
	journal: Journal;
}

async function chaos(args: string[], signal?: AbortSignal): Promise<Omit<Outcome, 'journal'>> {
	let stdout = '';
	let stderr = '';
	const code = await main(args, {
		stdout: (text) => (stdout += text),
		stderr: (text) => (stderr += text),
		stdin: new PassThrough(),
		env: { ...process.env, HOME: workdir },
		cwd: () => workdir,
		chdir: () => undefined,
		signal,
	});
	return { code, stdout, stderr };
}

async function run(experiment: unknown, ...options: string[]): Promise<Outcome> {
	await writeFile(path.join(workdir, 'experiment.json'), JSON.stringify(experiment, null, 2));
	const result = await chaos(['--no-log-file', 'run', ...options, 'experiment.json']);
	const journal = JSON.parse(await readFile(path.join(workdir, 'journal.json'), 'utf8')) as Journal;
	return { ...result, journal };
}

const healthProbe = () => ({
	type: 'probe',
	name: 'service-is-healthy',
	tolerance: 200,
	provider: { type: 'http', url: `${base}/health`, timeout: 3 },
});

const post = (name: string, route: string) => ({
	type: 'action',
	name,
	provider: { type: 'http', url: `${base}${route}`, method: 'POST', timeout: 3 },
});

function experiment(overrides: Record<string, unknown> = {}) {
	return {
		title: 'The service stays healthy',
		description: 'A loopback service under test',
		'steady-state-hypothesis': { title: 'Service answers 200', probes: [healthProbe()] },
		method: [{ type: 'action', name: 'harmless', provider: { type: 'process', path: 'true' } }],
		rollbacks: [post('mend-service', '/fix')],
		...overrides,
	};
}

const names = (entries: Array<{ activity: { name: string } }>) => entries.map((entry) => entry.activity.name);

describe('chaos run', () => {
	it('completes when the steady state holds, with the journal keys in the reference order', async () => {
		const { code, journal, stderr } = await run(experiment());
		expect(code).toBe(0);
		expect(Object.keys(journal)).toEqual(['chaoslib-version', 'platform', 'node', 'experiment', 'start', 'status', 'deviated', 'steady_states', 'run', 'rollbacks', 'end', 'duration']);
		expect(journal.status).toBe('completed');
		expect(journal.deviated).toBe(false);
		expect(journal.steady_states.before?.steady_state_met).toBe(true);
		expect(journal.steady_states.after?.steady_state_met).toBe(true);
		expect(journal.steady_states.during).toEqual([]);
		const [entry] = journal.run;
		expect(Object.keys(entry ?? {})).toEqual(['activity', 'output', 'start', 'status', 'end', 'duration']);
		expect(entry?.status).toBe('succeeded');
		expect(entry?.output).toEqual({ status: 0, stdout: '', stderr: '' });
		expect(journal.steady_states.before?.probes[0]?.tolerance_met).toBe(true);
		expect(journal.steady_states.before?.probes[0]?.output).toMatchObject({ status: 200, body: { status: 'ok' } });
		expect(names(journal.rollbacks)).toEqual(['mend-service']);
		expect(journal.start).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$/);
		expect(journal.experiment.dry).toBeNull();
		expect(stderr).toContain('Experiment looks valid');
		expect(stderr).toContain('Experiment ended with status: completed');
	});

	it('deviates when the method breaks the steady state, and skips rollbacks by default', async () => {
		const { code, journal, stderr } = await run(experiment({ method: [post('break-service', '/break')] }));
		expect(code).toBe(1);
		expect(journal.status).toBe('failed');
		expect(journal.deviated).toBe(true);
		expect(journal.steady_states.before?.steady_state_met).toBe(true);
		expect(journal.steady_states.after?.steady_state_met).toBe(false);
		expect(journal.steady_states.after?.probes[0]?.tolerance_met).toBe(false);
		expect(journal.rollbacks).toEqual([]);
		expect(healthy).toBe(false);
		expect(stderr).toContain('Experiment ended with status: deviated');
	});

	it.each([
		['always', ['mend-service']],
		['deviated', ['mend-service']],
		['never', []],
		['default', []],
	])('--rollback-strategy %s on a deviated run plays %j', async (strategy, expected) => {
		const { code, journal } = await run(experiment({ method: [post('break-service', '/break')] }), '--rollback-strategy', strategy);
		expect(code).toBe(1);
		expect(names(journal.rollbacks)).toEqual(expected);
		expect(healthy).toBe(expected.length === 0 ? false : true);
	});

	it('--rollback-strategy deviated skips rollbacks on a run that held', async () => {
		const { code, journal } = await run(experiment(), '--rollback-strategy', 'deviated');
		expect(code).toBe(0);
		expect(journal.rollbacks).toEqual([]);
	});

	it("takes the rollback strategy from the experiment's runtime unless the flag says otherwise", async () => {
		const broken = experiment({ method: [post('break-service', '/break')], runtime: { rollbacks: { strategy: 'always' } } });
		expect(names((await run(broken)).journal.rollbacks)).toEqual(['mend-service']);
		expect((await run(broken, '--rollback-strategy', 'never')).journal.rollbacks).toEqual([]);
	});

	it('a tolerance missed before the method skips the method but completes, as the reference does', async () => {
		healthy = false;
		const { code, journal } = await run(experiment({ method: [post('break-service', '/break')] }));
		expect(journal.status).toBe('completed');
		expect(journal.deviated).toBe(false);
		expect(code).toBe(0);
		expect(journal.steady_states.before?.steady_state_met).toBe(false);
		expect(journal.steady_states.after).toBeNull();
		expect(journal.run).toEqual([]);
		expect(names(journal.rollbacks)).toEqual(['mend-service']);
	});

	it('a probe that raises before the method fails the run and skips rollbacks', async () => {
		const closed = `http://127.0.0.1:${await closedPort()}/health`;
		const probe = { ...healthProbe(), provider: { type: 'http', url: closed, timeout: 2 } };
		const { code, journal } = await run(experiment({ 'steady-state-hypothesis': { title: 'Up', probes: [probe] } }));
		expect(code).toBe(1);
		expect(journal.status).toBe('failed');
		expect(journal.deviated).toBe(false);
		const [entry] = journal.steady_states.before?.probes ?? [];
		expect(entry?.status).toBe('failed');
		expect(entry?.tolerance_met).toBe(false);
		expect(entry?.exception?.[0]).toMatch(/^chaoslib\.exceptions\.ActivityFailed: failed to connect to/);
		expect(journal.run).toEqual([]);
		expect(journal.rollbacks).toEqual([]);
	});

	it('a failed method activity does not stop the method or fail the run', async () => {
		const closed = `http://127.0.0.1:${await closedPort()}/`;
		const method = [{ type: 'action', name: 'unreachable', provider: { type: 'http', url: closed, timeout: 2 } }, post('then-this', '/fix')];
		const { code, journal } = await run(experiment({ method }));
		expect(code).toBe(0);
		expect(journal.status).toBe('completed');
		expect(journal.run.map((entry) => entry.status)).toEqual(['failed', 'succeeded']);
		expect(journal.run[0]?.exception?.length).toBeGreaterThan(0);
	});

	it('an unexpected error in the method aborts the run', async () => {
		const { code, journal } = await run(experiment({ method: [{ ref: 'nowhere-to-be-found' }] }), '--no-validation');
		expect(code).toBe(1);
		expect(journal.status).toBe('aborted');
		expect(journal.steady_states.after).toBeNull();
	});

	it('resolves refs and records the activity they point at', async () => {
		const { journal } = await run(experiment({ method: [{ ref: 'service-is-healthy' }] }));
		expect(journal.run[0]?.activity).toMatchObject({ name: 'service-is-healthy', type: 'probe', tolerance: 200 });
		expect(journal.run[0]?.output).toMatchObject({ status: 200 });
		// Probes in the method never have a tolerance checked.
		expect(journal.run[0]).not.toHaveProperty('tolerance_met');
	});

	it('runs background activities concurrently and keeps them in method order', async () => {
		const sleeper = (name: string) => ({ type: 'action', name, background: true, provider: { type: 'process', path: 'sleep', arguments: '0.4' } });
		const started = performance.now();
		const { journal } = await run(experiment({ method: [sleeper('first'), sleeper('second'), post('foreground', '/fix')] }));
		const elapsed = performance.now() - started;
		expect(names(journal.run)).toEqual(['first', 'second', 'foreground']);
		expect(journal.run.every((entry) => entry.status === 'succeeded')).toBe(true);
		// Two 0.4 s sleeps one after the other would take 0.8 s alone.
		expect(elapsed).toBeLessThan(750);
		// The hypothesis after the method waits for the background activities.
		const afterStart = Date.parse(journal.steady_states.after?.probes[0]?.start ?? '');
		expect(afterStart).toBeGreaterThanOrEqual(Date.parse(journal.run[0]?.end ?? ''));
	});

	it('pauses before and after an activity, outside its start and end', async () => {
		const paused = { type: 'action', name: 'paused', pauses: { before: 0.3, after: 0.3 }, provider: { type: 'process', path: 'true' } };
		const { journal } = await run(experiment({ method: [paused], rollbacks: [] }));
		const entry = journal.run[0];
		expect(entry?.duration).toBeLessThan(0.25);
		const beforeEnd = Date.parse(journal.steady_states.before?.probes[0]?.end ?? '');
		const afterStart = Date.parse(journal.steady_states.after?.probes[0]?.start ?? '');
		expect(Date.parse(entry?.start ?? '') - beforeEnd).toBeGreaterThanOrEqual(290);
		expect(afterStart - Date.parse(entry?.end ?? '')).toBeGreaterThanOrEqual(290);
	});

	it('--dry activities runs nothing: outputs are null, statuses succeeded, pauses skipped', async () => {
		const paused = { ...post('break-service', '/break'), pauses: { after: 5 } };
		const started = performance.now();
		const { code, journal } = await run(experiment({ method: [paused] }), '--dry', 'activities');
		expect(performance.now() - started).toBeLessThan(3000);
		expect(code).toBe(0);
		expect(healthy).toBe(true);
		expect(journal.experiment.dry).toBe('activities');
		expect(journal.run[0]).toMatchObject({ status: 'succeeded', output: null });
		expect(journal.steady_states.before?.probes[0]).toMatchObject({ output: null, tolerance_met: true });
	});

	it('--dry actions still runs probes', async () => {
		const { journal } = await run(experiment({ method: [post('break-service', '/break')] }), '--dry', 'actions');
		expect(healthy).toBe(true);
		expect(journal.run[0]?.output).toBeNull();
		expect(journal.steady_states.before?.probes[0]?.output).toMatchObject({ status: 200 });
	});

	it('before-method-only and after-method-only run the hypothesis once, where asked', async () => {
		const before = (await run(experiment(), '--hypothesis-strategy', 'before-method-only')).journal;
		expect(before.steady_states.before?.steady_state_met).toBe(true);
		expect(before.steady_states.after).toBeNull();
		const after = (await run(experiment(), '--hypothesis-strategy', 'after-method-only')).journal;
		expect(after.steady_states.before).toBeNull();
		expect(after.steady_states.after?.steady_state_met).toBe(true);
	});

	it('during-method-only checks the hypothesis while the method runs, and only then', async () => {
		const slow = { type: 'action', name: 'slow', provider: { type: 'process', path: 'sleep', arguments: ['0.6'] } };
		const { code, journal } = await run(experiment({ method: [slow] }), '--hypothesis-strategy', 'during-method-only', '--hypothesis-frequency', '0.1');
		expect(code).toBe(0);
		expect(journal.steady_states.before).toBeNull();
		expect(journal.steady_states.after).toBeNull();
		expect(journal.steady_states.during.length).toBeGreaterThanOrEqual(3);
		expect(journal.steady_states.during.every((state) => state.steady_state_met)).toBe(true);
	});

	it('continuously records failed checks during the method without failing the run', async () => {
		const method = [post('break-service', '/break'), { type: 'action', name: 'wait', provider: { type: 'process', path: 'sleep', arguments: '0.4' } }, post('fix-service', '/fix')];
		const { code, journal } = await run(experiment({ method }), '--hypothesis-strategy', 'continuously', '--hypothesis-frequency', '0.05');
		expect(journal.steady_states.before?.steady_state_met).toBe(true);
		expect(journal.steady_states.during.some((state) => state.steady_state_met === false)).toBe(true);
		expect(journal.steady_states.after?.steady_state_met).toBe(true);
		expect(journal.status).toBe('completed');
		expect(code).toBe(0);
	});

	it('--fail-fast ends the run failed at the first failed continuous check', async () => {
		const waits = [1, 2, 3].map((index) => ({ type: 'action', name: `wait-${index}`, provider: { type: 'process', path: 'sleep', arguments: '0.3' } }));
		const { code, journal } = await run(
			experiment({ method: [post('break-service', '/break'), ...waits] }),
			'--hypothesis-strategy',
			'continuously',
			'--hypothesis-frequency',
			'0.05',
			'--fail-fast',
		);
		expect(code).toBe(1);
		expect(journal.status).toBe('failed');
		expect(journal.steady_states.during.at(-1)?.steady_state_met).toBe(false);
		// The method stopped after the activity that was running when the check failed.
		expect(journal.run.length).toBeLessThan(4);
		expect(journal.rollbacks).toEqual([]);
	});

	it('a probe tolerance calling a process passes whatever it prints, as in the reference, and says so', async () => {
		const probe = {
			...healthProbe(),
			// A mapping, so the runner can add the output as arguments.value (flattened to `value <output>`).
			tolerance: { type: 'probe', name: 'says-no', provider: { type: 'process', path: 'sh', arguments: { '-c': 'echo no; exit 3' } } },
		};
		const { code, journal, stderr } = await run(experiment({ 'steady-state-hypothesis': { title: 'Up', probes: [probe] } }));
		expect(code).toBe(0);
		expect(journal.steady_states.before?.probes[0]?.tolerance_met).toBe(true);
		expect(stderr).toContain('passes whenever that probe runs');
	});

	it('says that controls are not run rather than skipping them silently', async () => {
		const { code, stderr } = await run(experiment({ controls: [{ name: 'tracing', provider: { type: 'python', module: 'chaostracing.control' } }] }));
		expect(code).toBe(0);
		expect(stderr).toContain('declares controls');
		expect((await run(experiment())).stderr).not.toContain('declares controls');
	});

	it('an experiment without hypothesis probes just explores', async () => {
		const { code, journal } = await run(experiment({ 'steady-state-hypothesis': undefined }));
		expect(code).toBe(0);
		expect(journal.steady_states).toEqual({ before: null, after: null, during: [] });
		expect(journal.run).toHaveLength(1);
	});

	it('substitutes configuration into the title and providers, with --var overriding a declared key', async () => {
		const port = new URL(base).port;
		const configured = experiment({
			title: 'Service on port ${port} stays healthy',
			configuration: { port: 1, path: '/health' },
			'steady-state-hypothesis': { title: 'Up', probes: [{ ...healthProbe(), provider: { type: 'http', url: 'http://127.0.0.1:${port}${path}' } }] },
		});
		const { code, journal } = await run(configured, '--var', `port:int=${port}`);
		expect(code).toBe(0);
		expect(journal.experiment.title).toBe(`Service on port ${port} stays healthy`);
		// The journal keeps the activity as written; substitution only shapes the call.
		expect(journal.steady_states.before?.probes[0]?.activity.provider).toMatchObject({ url: 'http://127.0.0.1:${port}${path}' });
	});

	it('an interrupted run ends interrupted and skips rollbacks by default', async () => {
		const interrupt = new AbortController();
		const long = { type: 'action', name: 'long', provider: { type: 'process', path: 'sleep', arguments: '30' } };
		await writeFile(path.join(workdir, 'experiment.json'), JSON.stringify(experiment({ method: [long] })));
		setTimeout(() => interrupt.abort(), 500);
		const started = performance.now();
		const { code } = await chaos(['--no-log-file', 'run', 'experiment.json'], interrupt.signal);
		expect(performance.now() - started).toBeLessThan(5000);
		const journal = JSON.parse(await readFile(path.join(workdir, 'journal.json'), 'utf8')) as Journal;
		expect(code).toBe(1);
		expect(journal.status).toBe('interrupted');
		expect(journal.rollbacks).toEqual([]);
	});

	it('writes the journal where --journal-path says and a log file by default', async () => {
		await writeFile(path.join(workdir, 'experiment.json'), JSON.stringify(experiment()));
		const { code } = await chaos(['run', '--journal-path', 'first.json', 'experiment.json']);
		expect(code).toBe(0);
		expect(JSON.parse(await readFile(path.join(workdir, 'first.json'), 'utf8')).status).toBe('completed');
		expect(await readFile(path.join(workdir, 'chaostoolkit.log'), 'utf8')).toMatch(/\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO\] Running experiment: The service stays healthy/);
	});
});

describe('chaos command line', () => {
	it('an unknown option prints usage and exits 2', async () => {
		const { code, stderr } = await chaos(['run', '--no-such-flag', 'experiment.json']);
		expect(code).toBe(2);
		expect(stderr).toContain('Usage: chaos run [OPTIONS] SOURCE');
		expect(stderr).toContain('Error: No such option: --no-such-flag');
	});

	it('a bad choice names the valid ones and exits 2', async () => {
		const { code, stderr } = await chaos(['run', '--rollback-strategy', 'sometimes', 'experiment.json']);
		expect(code).toBe(2);
		expect(stderr).toContain("'sometimes' is not one of 'default', 'always', 'never', 'deviated'");
	});

	it('a missing file is one clear line and exit 1', async () => {
		const { code, stderr } = await chaos(['run', 'nope.json']);
		expect(code).toBe(1);
		expect(stderr.trim().split('\n')).toHaveLength(1);
		expect(stderr).toContain('nope.json');
		expect(stderr).not.toMatch(/\bat .+:\d+:\d+/);
	});

	it('malformed JSON points at the line and column', async () => {
		await writeFile(path.join(workdir, 'broken.json'), '{\n  "title": "x",\n  "method": [,]\n}\n');
		const { code, stderr } = await chaos(['validate', 'broken.json']);
		expect(code).toBe(1);
		expect(stderr).toMatch(/broken\.json:3:\d+/);
	});

	it('validate reports every problem at once with its place, and exits 1', async () => {
		const yaml = ['title: Broken', 'method:', '  - type: action', '    name: no-url', '    provider:', '      type: http', '  - type: prob', '    name: typo', '    provider: {type: process, path: "true"}', ''].join('\n');
		await writeFile(path.join(workdir, 'broken.yaml'), yaml);
		const { code, stderr } = await chaos(['validate', 'broken.yaml']);
		expect(code).toBe(1);
		expect(stderr).toContain('experiment requires a description');
		expect(stderr).toContain('a HTTP activity must have a URL');
		expect(stderr).toContain("'prob' is not a supported activity type");
		expect(stderr).toMatch(/broken\.yaml:5:\d+ method\[0\]\.provider/);
	});

	it('validate exits 0 on a good experiment', async () => {
		await writeFile(path.join(workdir, 'experiment.json'), JSON.stringify(experiment()));
		const { code, stderr } = await chaos(['validate', 'experiment.json']);
		expect(code).toBe(0);
		expect(stderr).toContain('Experiment looks valid');
	});

	it('--help prints the command usage and exits 0', async () => {
		const { code, stdout } = await chaos(['run', '--help']);
		expect(code).toBe(0);
		expect(stdout).toContain('--hypothesis-strategy');
	});

	it('the real executable exits with the run status and never prints a stack trace for a user mistake', async () => {
		await writeFile(path.join(workdir, 'experiment.json'), JSON.stringify(experiment({ method: [post('break-service', '/break')] })));
		const bin = path.join(import.meta.dirname, 'bin.mjs');
		const deviated = await execute(process.execPath, [bin, '--no-log-file', 'run', 'experiment.json'], workdir);
		expect(deviated.code).toBe(1);
		expect(deviated.stderr).toContain('Experiment ended with status: deviated');
		expect(deviated.stderr).not.toContain('ExperimentalWarning');
		const missing = await execute(process.execPath, [bin, 'run', 'missing.json'], workdir);
		expect(missing.code).toBe(1);
		expect(missing.stderr).not.toMatch(/\bat .+:\d+:\d+/);
		const usage = await execute(process.execPath, [bin, 'run', '--bogus'], workdir);
		expect(usage.code).toBe(2);
	});
});

function execute(command: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk) => (stdout += chunk));
		child.stderr.on('data', (chunk) => (stderr += chunk));
		child.on('error', reject);
		child.on('close', (code) => resolve({ code, stdout, stderr }));
	});
}

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
	const probe = createServer();
	await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
	const { port } = probe.address() as AddressInfo;
	await new Promise<void>((resolve) => probe.close(() => resolve()));
	return port;
}
