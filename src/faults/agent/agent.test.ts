import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { echoServer, type Upstream } from '../proxy/test-support.ts';
import { AgentConfigError, BODY_LIMIT_BYTES, parseProxiesOption, startAgent, type Agent } from './agent.ts';

/**
 * The agent between a client on loopback TCP and a real HTTP server on a UNIX socket that stands
 * in for the platform's end of the channel: it answers each route with a scripted reply and
 * records what reached it.
 */

interface Received {
	method: string;
	url: string;
	contentType: string | undefined;
	body: string;
}

interface Platform {
	socket: string;
	received: Received[];
	/** The next reply per route; a route without one hangs until the server closes. */
	replies: Map<string, { status: number; body: string }>;
	close(): Promise<void>;
}

let folder: string;
let upstream: Upstream;

beforeAll(async () => {
	folder = await mkdtemp(path.join(os.tmpdir(), 'faults-agent-'));
	upstream = await echoServer();
});

afterAll(async () => {
	await upstream.close();
	await rm(folder, { recursive: true, force: true });
});

async function startPlatform(name: string): Promise<Platform> {
	const socket = path.join(folder, `${name}.sock`);
	const received: Received[] = [];
	const replies = new Map<string, { status: number; body: string }>();
	const server = http.createServer((request, response) => {
		const chunks: Buffer[] = [];
		request.on('data', (chunk: Buffer) => chunks.push(chunk));
		request.on('end', () => {
			received.push({ method: request.method ?? '', url: request.url ?? '', contentType: request.headers['content-type'], body: Buffer.concat(chunks).toString() });
			const reply = replies.get(`${request.method} ${request.url}`);
			if (reply) response.writeHead(reply.status, { 'content-type': 'application/json' }).end(reply.body);
		});
	});
	await new Promise<void>((resolve) => server.listen(socket, resolve));
	return {
		socket,
		received,
		replies,
		async close() {
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
	await Promise.all(opened.splice(0).map((item) => item.close()));
});

async function setUp(
	name: string,
	timeouts?: { applyMs?: number; readMs?: number; reportMs?: number },
	warnings: string[] = [],
): Promise<{ platform: Platform; agent: Agent }> {
	const platform = await startPlatform(name);
	const agent = await startAgent({ host: '127.0.0.1', port: 0, proxyPort: 0, channel: platform.socket, timeouts, warn: (line) => warnings.push(line) });
	opened.push(agent, platform);
	return { platform, agent };
}

async function send(agent: Agent, method: string, route: string, body?: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
	const response = await fetch(`http://127.0.0.1:${agent.port}${route}`, { method, body, headers: body === undefined ? {} : headers });
	return { status: response.status, headers: response.headers, text: await response.text() };
}

const RECORD = {
	id: 7,
	at: '2026-11-25T03:00:00.000Z',
	sandboxId: 'abc123',
	learnerId: 'l1',
	labId: 'redis-outage',
	kind: 'pause',
	target: 'redis',
	parameters: {},
	outcome: 'applied',
	message: 'Paused redis.',
};

describe('the fault agent forwards to the platform channel', () => {
	it('passes each route\'s request and the platform\'s status and body through unchanged', async () => {
		const { platform, agent } = await setUp('routes');
		const refusal = JSON.stringify({ error: 'Your sandbox has no container "db".', fix: 'Your sandbox\'s containers: redis, app.', record: { ...RECORD, outcome: 'refused' } });
		platform.replies.set('POST /faults', { status: 404, body: refusal });
		platform.replies.set('GET /faults', { status: 200, body: JSON.stringify({ faults: [RECORD] }) });
		platform.replies.set('POST /reset', { status: 200, body: JSON.stringify({ reverted: [RECORD] }) });
		platform.replies.set('POST /proxy-events', { status: 201, body: '{}' });

		const request = '{"kind":"pause","target":"db"}';
		const applied = await send(agent, 'POST', '/faults', request);
		expect(applied).toMatchObject({ status: 404, text: refusal });
		expect(platform.received[0]).toEqual({ method: 'POST', url: '/faults', contentType: 'application/json', body: request });

		platform.replies.set('POST /faults', { status: 201, body: JSON.stringify(RECORD) });
		expect(await send(agent, 'POST', '/faults', '{"kind":"pause","target":"redis"}')).toMatchObject({ status: 201, text: JSON.stringify(RECORD) });
		expect(await send(agent, 'GET', '/faults')).toMatchObject({ status: 200, text: JSON.stringify({ faults: [RECORD] }) });
		expect(await send(agent, 'POST', '/reset')).toMatchObject({ status: 200, text: JSON.stringify({ reverted: [RECORD] }) });
		expect(platform.received.map((entry) => `${entry.method} ${entry.url}`)).toEqual(['POST /faults', 'POST /faults', 'GET /faults', 'POST /proxy-events', 'POST /reset']);
	});

	it('answers /health itself, saying whether the platform answers', async () => {
		const { platform, agent } = await setUp('health');
		platform.replies.set('GET /health', { status: 200, body: '{"ok":true}' });
		expect(await send(agent, 'GET', '/health')).toMatchObject({ status: 200, text: '{"ok":true,"platform":true}' });
		await platform.close();
		expect(await send(agent, 'GET', '/health')).toMatchObject({ status: 200, text: '{"ok":true,"platform":false}' });
	});

	it('answers 503 with a plain reason while the platform channel is down', async () => {
		const warnings: string[] = [];
		const agent = await startAgent({ host: '127.0.0.1', port: 0, proxyPort: 0, channel: path.join(folder, 'nobody-here.sock'), warn: (line) => warnings.push(line) });
		opened.push(agent);
		for (const [method, route, body] of [['POST', '/faults', '{"kind":"pause","target":"redis"}'], ['GET', '/faults'], ['POST', '/reset']] as const) {
			const reply = await send(agent, method, route, body);
			expect(reply.status, `${method} ${route}`).toBe(503);
			expect(JSON.parse(reply.text).error).toBe('The platform is not reachable from this sandbox right now; try again in a moment.');
		}
		expect(warnings).toEqual([expect.stringContaining('the fault log did not take a proxy change (proxy-reset *): connect ENOENT')]);
	});

	it('refuses a body over the limit with 413, without bothering the platform', async () => {
		const { platform, agent } = await setUp('limit');
		platform.replies.set('POST /faults', { status: 201, body: JSON.stringify(RECORD) });
		const large = JSON.stringify({ kind: 'pause', target: 'redis', padding: 'x'.repeat(BODY_LIMIT_BYTES) });
		const reply = await send(agent, 'POST', '/faults', large);
		expect(reply.status).toBe(413);
		expect(JSON.parse(reply.text)).toMatchObject({ error: 'The request is larger than 64 KiB.' });

		// Without a length up front (chunked), the limit is counted as the body arrives.
		const chunked = await new Promise<number>((resolve, reject) => {
			const request = http.request({ host: '127.0.0.1', port: agent.port, method: 'POST', path: '/faults', headers: { 'content-type': 'application/json' } }, (response) => {
				response.resume();
				resolve(response.statusCode ?? 0);
			});
			request.on('error', reject);
			for (let sent = 0; sent <= BODY_LIMIT_BYTES; sent += 8192) request.write('x'.repeat(8192));
			request.end();
		});
		expect(chunked).toBe(413);

		const exactly = JSON.stringify({ kind: 'pause', target: 'redis' }).padEnd(BODY_LIMIT_BYTES, ' ');
		expect((await send(agent, 'POST', '/faults', exactly)).status).toBe(201);
		expect(platform.received).toHaveLength(1);
	});

	it('answers 504 when the platform takes longer than the timeout, and says the fault may have happened', async () => {
		const { agent } = await setUp('slow', { applyMs: 300, readMs: 300 });
		const started = performance.now();
		const reply = await send(agent, 'POST', '/faults', '{"kind":"cpu","target":"redis"}');
		const elapsed = performance.now() - started;
		expect(reply.status).toBe(504);
		expect(JSON.parse(reply.text)).toEqual({ error: 'The platform did not answer within 0.3 s.', fix: expect.stringContaining('faults log') });
		expect(elapsed).toBeGreaterThanOrEqual(290);
		expect(elapsed).toBeLessThan(5_000);
		expect((await send(agent, 'GET', '/faults')).status).toBe(504);
	});

	it('takes JSON only (415), names the routes on a 404 and the methods on a 405', async () => {
		const { platform, agent } = await setUp('refusals');
		const form = await send(agent, 'POST', '/faults', 'kind=pause&target=redis', { 'content-type': 'application/x-www-form-urlencoded' });
		expect(form.status).toBe(415);
		expect(JSON.parse(form.text).fix).toContain('Content-Type: application/json');

		const missing = await send(agent, 'GET', '/fault');
		expect(missing.status).toBe(404);
		expect(JSON.parse(missing.text)).toEqual({ error: 'No route GET /fault.', fix: 'The fault API has GET /health, GET /faults, POST /faults, POST /reset.' });

		const wrong = await send(agent, 'DELETE', '/faults');
		expect(wrong.status).toBe(405);
		expect(wrong.headers.get('allow')).toBe('GET, POST');
		expect(JSON.parse(wrong.text).fix).toBe('Use GET or POST /faults.');
		expect((await send(agent, 'GET', '/reset')).status).toBe(405);
		expect(platform.received).toEqual([]);
	});

	it('does not forward POST /proxy-events: only the agent itself writes proxy changes to the log', async () => {
		const { platform, agent } = await setUp('no-proxy-events');
		platform.replies.set('POST /proxy-events', { status: 201, body: '{}' });
		const event = { kind: 'proxy-reset', target: '*', parameters: {}, outcome: 'reverted', message: 'Made up.' };
		const reply = await send(agent, 'POST', '/proxy-events', JSON.stringify(event));
		expect(reply.status).toBe(404);
		expect(JSON.parse(reply.text).error).toBe('No route POST /proxy-events.');
		expect(platform.received).toEqual([]);
	});
});

describe('the fault agent\'s proxy API', () => {
	async function proxyApi(agent: Agent, method: string, route: string, body?: unknown) {
		const response = await fetch(`http://127.0.0.1:${agent.proxyPort}${route}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
		const text = await response.text();
		return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
	}

	it('serves the Toxiproxy API, and POST /reset on the fault API also resets every proxy', async () => {
		const { platform, agent } = await setUp('proxies');
		platform.replies.set('POST /reset', { status: 200, body: '{"reverted":[]}' });
		platform.replies.set('POST /proxy-events', { status: 201, body: '{}' });
		expect((await proxyApi(agent, 'GET', '/version')).json.version).toContain('steady-state');
		expect((await proxyApi(agent, 'POST', '/proxies', { name: 'redis', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` })).status).toBe(201);
		expect((await proxyApi(agent, 'POST', '/proxies/redis/toxics', { type: 'latency', attributes: { latency: 500 } })).status).toBe(200);
		expect((await proxyApi(agent, 'POST', '/proxies/redis', { enabled: false })).json).toMatchObject({ enabled: false, toxics: [{ type: 'latency' }] });

		expect(await send(agent, 'POST', '/reset')).toMatchObject({ status: 200, text: '{"reverted":[]}' });
		expect((await proxyApi(agent, 'GET', '/proxies/redis')).json).toMatchObject({ enabled: true, toxics: [] });
		// The proxies' own reset is logged before the platform resets the rest.
		expect(platform.received.map((entry) => `${entry.method} ${entry.url}`).slice(-2)).toEqual(['POST /proxy-events', 'POST /reset']);
	});

	it('reports each change to the platform in order, and answers once the report is delivered', async () => {
		const { platform, agent } = await setUp('reports');
		platform.replies.set('POST /proxy-events', { status: 201, body: '{}' });
		expect((await proxyApi(agent, 'POST', '/proxies', { name: 'redis', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` })).status).toBe(201);
		// Delivered before the answer: the platform already has it when the client reads the reply.
		expect(platform.received).toHaveLength(1);
		expect((await proxyApi(agent, 'POST', '/proxies/redis/toxics', { type: 'latency', attributes: { latency: 1000, jitter: 100 } })).status).toBe(200);
		expect((await proxyApi(agent, 'POST', '/proxies/redis/toxics', { type: 'latency', attributes: { latency: 5 } })).status).toBe(409);
		expect((await proxyApi(agent, 'DELETE', '/proxies/redis')).status).toBe(204);

		expect(platform.received.every((entry) => entry.url === '/proxy-events' && entry.contentType === 'application/json')).toBe(true);
		const reported = platform.received.map((entry) => JSON.parse(entry.body));
		expect(reported.map((event) => `${event.kind} ${event.outcome}`)).toEqual(['proxy-create applied', 'toxic-add applied', 'toxic-add refused', 'proxy-delete applied']);
		expect(reported[1]).toEqual({
			kind: 'toxic-add',
			target: 'redis',
			parameters: { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 1000, jitter: 100 } },
			outcome: 'applied',
			message: 'Added latency toxic latency_downstream on redis: 1000 ms ± 100 ms, downstream, toxicity 1.',
		});
		expect(reported[2].message).toContain('toxic already exists: "latency_downstream"');
	});

	it('never fails the learner\'s request for a report the platform did not take, and warns once per run of failures', async () => {
		const warnings: string[] = [];
		const { platform, agent } = await setUp('lost-reports', { reportMs: 200 }, warnings);
		platform.replies.set('POST /proxy-events', { status: 500, body: '{"error":"broken"}' });
		expect((await proxyApi(agent, 'POST', '/proxies', { name: 'redis', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` })).status).toBe(201);
		expect((await proxyApi(agent, 'POST', '/proxies/redis', { enabled: false })).status).toBe(200);
		expect(warnings).toEqual([expect.stringContaining('(proxy-create redis): the platform answered 500: {"error":"broken"}')]);

		platform.replies.set('POST /proxy-events', { status: 201, body: '{}' });
		expect((await proxyApi(agent, 'POST', '/proxies/redis', { enabled: true })).status).toBe(200);
		expect(warnings).toHaveLength(1);

		// Now one that never answers: the request waits no longer than the report timeout.
		platform.replies.delete('POST /proxy-events');
		const started = performance.now();
		expect((await proxyApi(agent, 'POST', '/reset')).status).toBe(204);
		expect(performance.now() - started).toBeLessThan(2_000);
		expect(warnings).toHaveLength(2);
		expect(warnings[1]).toContain('(proxy-reset *): no answer within 200 ms');
	});

	it('creates the proxies it was started with, without reporting them, before it answers', async () => {
		const platform = await startPlatform('preloaded');
		platform.replies.set('POST /proxy-events', { status: 201, body: '{}' });
		const proxies = parseProxiesOption(JSON.stringify([{ name: 'redis', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}`, enabled: true }]));
		const agent = await startAgent({ host: '127.0.0.1', port: 0, proxyPort: 0, channel: platform.socket, proxies });
		opened.push(agent, platform);
		const listed = (await proxyApi(agent, 'GET', '/proxies')).json;
		expect(listed.redis).toMatchObject({ enabled: true, upstream: `127.0.0.1:${upstream.port}`, toxics: [] });
		expect(platform.received).toEqual([]);
		expect((await proxyApi(agent, 'POST', '/reset')).status).toBe(204);
		expect((await proxyApi(agent, 'GET', '/proxies')).json).toHaveProperty('redis');
		expect(platform.received.map((entry) => JSON.parse(entry.body).kind)).toEqual(['proxy-reset']);
	});

	it('refuses to start on a proxy that cannot listen, naming it', async () => {
		const first = await startAgent({ host: '127.0.0.1', port: 0, proxyPort: 0, channel: path.join(folder, 'nobody-here.sock') });
		opened.push(first);
		const proxies = parseProxiesOption(JSON.stringify([{ name: 'clash', listen: `127.0.0.1:${first.port}`, upstream: 'redis:6379' }]));
		const failed = startAgent({ host: '127.0.0.1', port: 0, proxyPort: 0, channel: path.join(folder, 'nobody-here.sock'), proxies });
		await expect(failed).rejects.toBeInstanceOf(AgentConfigError);
		await expect(failed).rejects.toThrow(`--proxies: cannot listen on 127.0.0.1:${first.port}: the address is already in use; pick another port.`);
	});
});

describe('--proxies', () => {
	it('takes proxies in the format of POST /populate', () => {
		expect(parseProxiesOption('[{"name":"redis","listen":"0.0.0.0:26379","upstream":"redis:6379","enabled":true},{"name":"db","upstream":"db:5432"}]')).toEqual([
			{ name: 'redis', listen: '0.0.0.0:26379', upstream: 'redis:6379', enabled: true },
			{ name: 'db', listen: ':0', upstream: 'db:5432', enabled: true },
		]);
		expect(parseProxiesOption('[]')).toEqual([]);
	});

	it('says when it is not JSON, with an example', () => {
		expect(() => parseProxiesOption('[{name: redis}]')).toThrow(/^--proxies is not valid JSON \(.+\)\.\n--proxies takes a JSON array like \[\{"name":"redis",/);
	});

	it('names the entry and the field that is wrong', () => {
		const attempt = (entries: unknown) => {
			try {
				parseProxiesOption(JSON.stringify(entries));
			} catch (error) {
				expect(error).toBeInstanceOf(AgentConfigError);
				return (error as Error).message.split('\n')[0];
			}
			throw new Error('accepted');
		};
		const good = { name: 'redis', listen: '0.0.0.0:26379', upstream: 'redis:6379' };
		expect(attempt([good, { ...good, name: 'db', upstream: 'db' }])).toBe(
			'--proxies: proxy 2: upstream must be host:port with a port from 1 to 65535, like "redis:6379"; got "db".',
		);
		expect(attempt([{ ...good, upstream: undefined }])).toBe('--proxies: missing required field: upstream at proxy 1.');
		expect(attempt([good, { ...good, name: 'db', enabled: 'yes' }])).toBe('--proxies: proxy 2: enabled: enabled must be true or false.');
		expect(attempt([good, { ...good, listen: '0.0.0.0:26380' }])).toBe('--proxies: duplicate proxy name "redis": each proxy needs its own name.');
		expect(attempt({ redis: good })).toMatch(/^--proxies: expected a JSON array of proxies/);
	});
});
