import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { echoServer } from '../proxy/test-support.ts';
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

	it('refuses a bad --proxies entry before it starts, naming the entry and the field', () => {
		const proxies = JSON.stringify([{ name: 'redis', listen: '127.0.0.1:0', upstream: 'redis' }]);
		const result = spawnSync(process.execPath, [bundle, '--port', '0', '--proxy-port', '0', '--proxies', proxies], { cwd: folder, encoding: 'utf8', timeout: 10_000 });
		expect(result.status).toBe(2);
		expect(result.stderr).toBe(
			'faults-agent: --proxies: proxy 1: upstream must be host:port with a port from 1 to 65535, like "redis:6379"; got "redis".\n' +
				'--proxies takes a JSON array like [{"name":"redis","listen":"0.0.0.0:26379","upstream":"redis:6379","enabled":true}]; correct the lab\'s proxies.\n',
		);
		const notJson = spawnSync(process.execPath, [bundle, '--port', '0', '--proxy-port', '0', '--proxies', '[{name:'], { cwd: folder, encoding: 'utf8', timeout: 10_000 });
		expect(notJson.status).toBe(2);
		expect(notJson.stderr).toMatch(/^faults-agent: --proxies is not valid JSON/);
	});

	it('creates the --proxies before its ready file, and on SIGHUP resets them, logs it, and keeps running', async () => {
		const socket = path.join(folder, 'platform-hup.sock');
		const ready = path.join(folder, 'ready-hup');
		const upstream = await echoServer();
		const reported: Array<{ kind: string; outcome: string; parameters: unknown }> = [];
		const platform = http.createServer((request, response) => {
			const chunks: Buffer[] = [];
			request.on('data', (chunk: Buffer) => chunks.push(chunk));
			request.on('end', () => {
				if (request.url === '/proxy-events') reported.push(JSON.parse(Buffer.concat(chunks).toString()));
				response.writeHead(201, { 'content-type': 'application/json' }).end('{}');
			});
		});
		await new Promise<void>((resolve) => platform.listen(socket, resolve));
		const proxies = JSON.stringify([{ name: 'redis', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, enabled: true }]);
		const child = spawn(process.execPath, [bundle, '--host', '127.0.0.1', '--port', '0', '--proxy-port', '0', '--channel', socket, '--proxies', proxies, '--ready-file', ready], {
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let stdout = '';
		child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
		const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
		const waitFor = async (pattern: RegExp) => {
			for (let tries = 0; !pattern.test(stdout); tries += 1) {
				if (tries > 100 || child.exitCode !== null) throw new Error(`no ${pattern} in the agent's output: ${stdout}`);
				await new Promise((resolve) => setTimeout(resolve, 50));
			}
			return pattern.exec(stdout) ?? [];
		};
		try {
			const [, proxyPort] = await waitFor(/proxy API on 127\.0\.0\.1:(\d+)/);
			expect(existsSync(ready)).toBe(true);
			const proxyApi = async (method: string, route: string, body?: unknown) => {
				const response = await fetch(`http://127.0.0.1:${proxyPort}${route}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
				const text = await response.text();
				return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
			};
			expect((await proxyApi('GET', '/proxies/redis')).json).toMatchObject({ enabled: true, toxics: [] });
			expect(reported).toEqual([]);

			expect((await proxyApi('POST', '/proxies/redis/toxics', { type: 'latency', attributes: { latency: 500 } })).status).toBe(200);
			expect((await proxyApi('POST', '/proxies/redis', { enabled: false })).status).toBe(200);
			child.kill('SIGHUP');
			await waitFor(/SIGHUP: reset the proxies, 1 toxic removed and 1 proxy enabled again/);
			expect((await proxyApi('GET', '/proxies/redis')).json).toMatchObject({ enabled: true, toxics: [] });
			expect(reported.map((event) => `${event.kind} ${event.outcome}`)).toEqual(['toxic-add applied', 'proxy-disable applied', 'proxy-reset reverted']);
			expect(reported[2]?.parameters).toEqual({ toxicsRemoved: 1, proxiesEnabled: 1 });
			expect(child.exitCode).toBe(null);
		} finally {
			child.kill('SIGTERM');
			expect(await exited).toBe(0);
			await upstream.close();
			await new Promise<void>((resolve) => platform.close(() => resolve()));
		}
	});
});
