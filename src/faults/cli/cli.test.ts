import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { bundleFaultsCli } from './bundle.ts';
import { main } from './cli.ts';

/**
 * The command against a real HTTP server on loopback that stands in for the agent: it records each
 * request and answers with the reply the test set for that route.
 */

interface Received {
	method: string;
	url: string;
	contentType: string | undefined;
	body: unknown;
}

let server: http.Server;
let url: string;
const received: Received[] = [];
const replies = new Map<string, { status: number; body: string }>();

beforeAll(async () => {
	server = http.createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			const text = Buffer.concat(chunks).toString();
			received.push({ method: request.method ?? '', url: request.url ?? '', contentType: request.headers['content-type'], body: text === '' ? undefined : JSON.parse(text) });
			const reply = replies.get(`${request.method} ${request.url}`) ?? { status: 500, body: '{"error":"no reply set"}' };
			response.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
	await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
	received.length = 0;
	replies.clear();
});

async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
	let stdout = '';
	let stderr = '';
	const code = await main(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), env: { FAULTS_URL: `${url}/` } });
	return { code, stdout, stderr };
}

const record = (message: string, extra: Record<string, unknown> = {}) => ({
	id: 1,
	at: '2026-11-25T03:04:05.123Z',
	sandboxId: 'abc123',
	learnerId: 'l1',
	labId: 'redis-outage',
	kind: 'pause',
	target: 'redis',
	parameters: {},
	outcome: 'applied',
	message,
	...extra,
});

describe('faults: each fault command', () => {
	const cases: Array<[string[], Record<string, unknown>]> = [
		[['kill', 'redis'], { kind: 'kill', target: 'redis' }],
		[['kill', 'redis', '--signal', 'TERM'], { kind: 'kill', target: 'redis', signal: 'TERM' }],
		[['stop', 'redis'], { kind: 'stop', target: 'redis' }],
		[['start', 'redis'], { kind: 'start', target: 'redis' }],
		[['restart', 'redis'], { kind: 'restart', target: 'redis' }],
		[['pause', 'redis'], { kind: 'pause', target: 'redis' }],
		[['unpause', 'redis'], { kind: 'unpause', target: 'redis' }],
		[['kill-process', 'app', 'node', '--signal', 'SIGHUP'], { kind: 'kill-process', target: 'app', process: 'node', signal: 'SIGHUP' }],
		[['kill-process', 'app', 'node'], { kind: 'kill-process', target: 'app', process: 'node' }],
		[['cpu', 'app'], { kind: 'cpu', target: 'app' }],
		[['cpu', 'app', '--workers', '2', '--seconds', '45'], { kind: 'cpu', target: 'app', workers: 2, seconds: 45 }],
		[['memory', 'app', '--megabytes', '64'], { kind: 'memory', target: 'app', megabytes: 64 }],
		[['memory', 'app', '--megabytes', '64', '--seconds', '10'], { kind: 'memory', target: 'app', megabytes: 64, seconds: 10 }],
		[['end-pressure', 'app'], { kind: 'end-pressure', target: 'app' }],
		[['end-pressure', 'app', '--only', 'cpu'], { kind: 'end-pressure', target: 'app', pressure: 'cpu' }],
		[['delay', 'redis', '--milliseconds', '300'], { kind: 'delay', target: 'redis', milliseconds: 300 }],
		[['delay', 'redis', '--milliseconds', '300', '--jitter', '50'], { kind: 'delay', target: 'redis', milliseconds: 300, jitter: 50 }],
		[['loss', 'redis', '--percent', '5'], { kind: 'loss', target: 'redis', percent: 5 }],
		[['corrupt', 'redis', '--percent', '0.5'], { kind: 'corrupt', target: 'redis', percent: 0.5 }],
		[['duplicate', 'redis', '--percent', '10'], { kind: 'duplicate', target: 'redis', percent: 10 }],
		[['end-netem', 'redis'], { kind: 'end-netem', target: 'redis' }],
	];
	it.each(cases)('faults %j posts its fault as JSON and prints the record\'s message', async (argv, body) => {
		replies.set('POST /faults', { status: 201, body: JSON.stringify(record(`Done: ${argv.join(' ')}`)) });
		expect(await run(...argv)).toEqual({ code: 0, stdout: `Done: ${argv.join(' ')}\n`, stderr: '' });
		expect(received).toEqual([{ method: 'POST', url: '/faults', contentType: 'application/json', body }]);
	});

	it('prints the API\'s error and fix on stderr and exits 1 when it refuses', async () => {
		const refusal = { error: 'Your sandbox has no container "db".', fix: 'Your sandbox\'s containers: redis, app.', record: record('x', { outcome: 'refused' }) };
		replies.set('POST /faults', { status: 404, body: JSON.stringify(refusal) });
		expect(await run('pause', 'db')).toEqual({ code: 1, stdout: '', stderr: 'faults: Your sandbox has no container "db".\nYour sandbox\'s containers: redis, app.\n' });
	});

	it('exits 1 with one line of reason when the agent cannot be reached', async () => {
		let stderr = '';
		const code = await main(['pause', 'redis'], { stdout: () => {}, stderr: (text) => (stderr += text), env: { FAULTS_URL: 'http://127.0.0.1:1' } });
		expect(code).toBe(1);
		expect(stderr).toMatch(/^faults: cannot reach the fault API at http:\/\/127\.0\.0\.1:1: connect ECONNREFUSED.*\nIt runs in your sandbox as `faults`/);
	});

	it('exits 1 when the answer is not the fault API\'s JSON', async () => {
		replies.set('POST /faults', { status: 200, body: '<html>' });
		const result = await run('pause', 'redis');
		expect(result.code).toBe(1);
		expect(result.stderr).toContain('answered 200 with something that is not JSON');
	});
});

describe('faults log and reset', () => {
	it('prints the log as a table, and as the API\'s JSON with --json', async () => {
		const faults = [
			record('Sent SIGKILL to the main process of redis.', { kind: 'kill', parameters: { signal: 'SIGKILL' } }),
			record('Your sandbox has no container "db".', { id: 0, target: 'db', outcome: 'refused', at: '2026-11-25T03:00:00.000Z' }),
		];
		replies.set('GET /faults', { status: 200, body: JSON.stringify({ faults }) });
		const table = await run('log');
		expect(table.code).toBe(0);
		expect(table.stdout).toBe(
			[
				'TIME (UTC)           KIND   TARGET  PARAMETERS      OUTCOME  MESSAGE',
				'2026-11-25 03:04:05  kill   redis   signal=SIGKILL  applied  Sent SIGKILL to the main process of redis.',
				'2026-11-25 03:00:00  pause  db      -               refused  Your sandbox has no container "db".',
				'',
			].join('\n'),
		);
		const json = await run('log', '--json');
		expect(JSON.parse(json.stdout)).toEqual({ faults });
		expect(received.map((entry) => `${entry.method} ${entry.url}`)).toEqual(['GET /faults', 'GET /faults']);
	});

	it('says so when the log is empty', async () => {
		replies.set('GET /faults', { status: 200, body: '{"faults":[]}' });
		expect(await run('log')).toEqual({ code: 0, stdout: 'No faults yet.\n', stderr: '' });
	});

	it('resets and lists what it reverted', async () => {
		replies.set('POST /reset', { status: 200, body: JSON.stringify({ reverted: [record('Unpaused redis.'), record('Started app again.')] }) });
		expect(await run('reset')).toEqual({ code: 0, stdout: 'Unpaused redis.\nStarted app again.\nThe proxies are reset (enabled, no toxics).\n', stderr: '' });
		expect(received).toEqual([{ method: 'POST', url: '/reset', contentType: undefined, body: undefined }]);
		replies.set('POST /reset', { status: 200, body: '{"reverted":[]}' });
		expect((await run('reset')).stdout).toBe('Nothing was in effect; the proxies are reset (enabled, no toxics).\n');
	});
});

describe('faults: usage', () => {
	it('prints the overview for --help (exit 0) and for no command (exit 2), pointing to the proxy API', async () => {
		const help = await run('--help');
		expect(help.code).toBe(0);
		for (const command of ['kill', 'kill-process', 'cpu', 'memory', 'end-pressure', 'delay', 'loss', 'corrupt', 'duplicate', 'end-netem', 'log', 'reset']) {
			expect(help.stdout).toContain(`faults ${command} `);
		}
		expect(help.stdout).toContain('the Toxiproxy API at http://faults:8474');
		const bare = await run();
		expect(bare.code).toBe(2);
		expect(bare.stderr).toBe(help.stdout);
	});

	it('prints one command\'s usage for <command> --help', async () => {
		expect(await run('memory', '--help')).toEqual({
			code: 0,
			stdout: 'usage: faults memory <target> --megabytes M [--seconds 30]\n  hold memory inside a container, within its own memory limit\n\nNetwork faults go through the fault proxy: the Toxiproxy API at http://faults:8474.\n',
			stderr: '',
		});
	});

	const bad: Array<[string[], string]> = [
		[['explode', 'redis'], 'faults: unknown command "explode"'],
		[['kill'], 'faults: kill takes <target>, got none\nusage: faults kill <target> [--signal KILL]\n'],
		[['pause', 'redis', 'app'], 'faults: pause takes <target>, got redis app\n'],
		[['kill-process', 'app'], 'faults: kill-process takes <target> <process-name>, got app\n'],
		[['memory', 'app'], 'faults: memory needs --megabytes, e.g. --megabytes 64\n'],
		[['cpu', 'app', '--workers', 'two'], 'faults: --workers must be a whole number, got "two"\n'],
		[['cpu', 'app', '--seconds', '1.5'], 'faults: --seconds must be a whole number, got "1.5"\n'],
		[['delay', 'redis'], 'faults: delay needs --milliseconds, e.g. --milliseconds 300\n'],
		[['loss', 'redis'], 'faults: loss needs --percent, e.g. --percent 5\n'],
		[['loss', 'redis', '--percent', '5%'], 'faults: --percent must be a number, like 5 or 0.5, got "5%"\n'],
		[['delay', 'redis', '--latency', '100'], "Unknown option '--latency'"],
		[['pause', 'redis', '--signal', 'KILL'], "Unknown option '--signal'"],
		[['log', 'extra'], 'faults: log takes no arguments, got extra\n'],
	];
	it.each(bad)('faults %j exits 2 with the usage and sends nothing', async (argv, message) => {
		const result = await run(...argv);
		expect(result.code).toBe(2);
		expect(result.stderr).toContain(message);
		expect(result.stderr).toContain('usage: faults');
		expect(received).toEqual([]);
	});

	it('passes on the platform\'s refusal of an interface fault on a kernel without netem, with its pointer to the proxy', async () => {
		const refusal = {
			error: 'The delay fault on redis\'s network interface needs the kernel\'s netem, and this machine\'s kernel has none (tc said: "Error: Specified qdisc kind is unknown.").',
			fix: 'Use the fault proxy instead, which works on every kernel: add a latency toxic.',
		};
		replies.set('POST /faults', { status: 501, body: JSON.stringify(refusal) });
		expect(await run('delay', 'redis', '--milliseconds', '300')).toEqual({ code: 1, stdout: '', stderr: `faults: ${refusal.error}\n${refusal.fix}\n` });
	});
});

describe('the faults bundle', () => {
	let folder: string;
	beforeAll(async () => {
		folder = await mkdtemp(path.join(os.tmpdir(), 'faults-cli-'));
	});
	afterAll(async () => {
		await rm(folder, { recursive: true, force: true });
	});

	it('is one Node 18 command that prints its help and talks to FAULTS_URL', async () => {
		const bundle = path.join(folder, 'faults');
		await writeFile(bundle, await bundleFaultsCli(), { mode: 0o755 });
		const help = spawnSync(process.execPath, [bundle, '--help'], { encoding: 'utf8' });
		expect(help.status, help.stderr).toBe(0);
		expect(help.stdout).toContain('usage: faults <command>');
		replies.set('POST /faults', { status: 201, body: JSON.stringify(record('Paused redis.')) });
		// Async, so this process's loopback server can answer while the bundle runs.
		const child = spawn(process.execPath, [bundle, 'pause', 'redis'], { env: { ...process.env, FAULTS_URL: url }, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		child.stdout.on('data', (data: Buffer) => (stdout += data.toString()));
		expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
		expect(stdout).toBe('Paused redis.\n');
	});
});
