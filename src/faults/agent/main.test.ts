import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFaultsAgent } from './bundle.ts';

/** The agent as the helper container runs it: bundled for Node 18, alone in a folder. */

let folder: string;
let bundle: string;

beforeAll(async () => {
	folder = await mkdtemp(path.join(os.tmpdir(), 'faults-agent-program-'));
	bundle = path.join(folder, 'faults-agent.mjs');
	await writeFile(bundle, await bundleFaultsAgent());
});

afterAll(async () => {
	await rm(folder, { recursive: true, force: true });
});

describe('the fault agent program', () => {
	it('is one Node 18 command that prints its usage', async () => {
		const result = spawnSync(process.execPath, [bundle, '--help'], { cwd: folder, encoding: 'utf8' });
		expect(result.status, result.stderr).toBe(0);
		expect(result.stdout).toContain('usage: faults-agent');
		expect((await readFile(bundle, 'utf8')).startsWith('#!/usr/bin/env node\n')).toBe(true);
	});

	it('refuses a bad port with the usage', () => {
		const result = spawnSync(process.execPath, [bundle, '--port', 'eighty'], { cwd: folder, encoding: 'utf8' });
		expect(result.status).toBe(2);
		expect(result.stderr).toContain('--port must be a number from 0 to 65535, got "eighty"');
	});

	it('starts both APIs, reaches the platform over --channel, and then creates its ready file', async () => {
		const socket = path.join(folder, 'platform.sock');
		const ready = path.join(folder, 'ready');
		const platform = http.createServer((_, response) => response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
		await new Promise<void>((resolve) => platform.listen(socket, resolve));
		const child = spawn(process.execPath, [bundle, '--host', '127.0.0.1', '--port', '0', '--proxy-port', '0', '--channel', socket, '--ready-file', ready], { stdio: ['ignore', 'pipe', 'pipe'] });
		try {
			const line = await new Promise<string>((resolve, reject) => {
				child.stdout.once('data', (data: Buffer) => resolve(data.toString()));
				child.once('exit', (code) => reject(new Error(`the agent exited with ${code}`)));
			});
			const [, port, proxyPort] = /fault API on 127\.0\.0\.1:(\d+), proxy API on 127\.0\.0\.1:(\d+)/.exec(line) ?? [];
			expect(port, line).toBeDefined();
			expect(existsSync(ready)).toBe(true);
			expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toEqual({ ok: true, platform: true });
			expect(await (await fetch(`http://127.0.0.1:${proxyPort}/proxies`)).json()).toEqual({});
		} finally {
			const exited = new Promise((resolve) => child.once('exit', resolve));
			child.kill('SIGTERM');
			expect(await exited).toBe(0);
			await new Promise<void>((resolve) => platform.close(() => resolve()));
		}
	});
});
