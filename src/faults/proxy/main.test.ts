import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFaultProxy } from './bundle.ts';
import { connect, echoServer, portOf, roundTrip, type Upstream } from './test-support.ts';

/** The program as the helper container runs it: bundled, alone in a folder, with a config file. */

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.ts');

let folder: string;
let upstream: Upstream;

beforeAll(async () => {
	folder = await mkdtemp(path.join(os.tmpdir(), 'fault-proxy-'));
	upstream = await echoServer();
});

afterAll(async () => {
	await upstream.close();
	await rm(folder, { recursive: true, force: true });
});

interface Run {
	code: number | null;
	stdout: string;
	stderr: string;
}

/** Starts the program; resolves once it prints its first line, or exits. */
function start(args: string[]): Promise<Run & { stop(): Promise<Run> }> {
	const child = spawn(process.execPath, args, { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'] });
	const run: Run = { code: null, stdout: '', stderr: '' };
	child.stdout.on('data', (data: Buffer) => (run.stdout += data.toString()));
	child.stderr.on('data', (data: Buffer) => (run.stderr += data.toString()));
	const exited = new Promise<Run>((resolve) => child.once('exit', (code) => resolve({ ...run, code })));
	return new Promise((resolve) => {
		const ready = () => resolve({ ...run, stop: () => (child.kill('SIGTERM'), exited) });
		child.stdout.once('data', ready);
		void exited.then((result) => resolve({ ...result, stop: async () => result }));
	});
}

describe('the fault proxy program', () => {
	it('bundles for Node 18, starts the API and preloads the proxies of --config', async () => {
		const bundle = path.join(folder, 'fault-proxy.mjs');
		await writeFile(bundle, await bundleFaultProxy());
		const config = path.join(folder, 'proxies.json');
		await writeFile(config, JSON.stringify([{ name: 'echo', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` }]));

		const program = await start([bundle, '--host', '127.0.0.1', '--port', '0', '--config', config]);
		const port = /listening on 127\.0\.0\.1:(\d+) with 1 proxies/.exec(program.stdout)?.[1];
		expect(port, program.stdout + program.stderr).toBeDefined();
		const proxies = await (await fetch(`http://127.0.0.1:${port}/proxies`)).json();
		expect(proxies.echo).toMatchObject({ name: 'echo', enabled: true, toxics: [] });
		const socket = await connect(portOf(proxies.echo.listen));
		expect(await roundTrip(socket)).toBeLessThan(500);
		socket.destroy();
		expect((await program.stop()).code).toBe(0);
	});

	it('exits with a message naming the problem in --config', async () => {
		const config = path.join(folder, 'bad.json');
		await writeFile(config, JSON.stringify([{ name: 'echo', listen: '127.0.0.1:0' }]));
		const result = await (await start([MAIN, '--host', '127.0.0.1', '--port', '0', '--config', config])).stop();
		expect(result.code).toBe(2);
		expect(result.stderr).toContain('missing required field: upstream at proxy 1');
	});

	it('refuses an unknown option with the usage', async () => {
		const result = await (await start([MAIN, '--listen', 'x'])).stop();
		expect(result.code).toBe(2);
		expect(result.stderr).toContain('usage: fault-proxy');
	});
});
