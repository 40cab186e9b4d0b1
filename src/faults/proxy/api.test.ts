import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { echoServer, portOf, startTestApi, type Api, type Upstream } from './test-support.ts';

/** Every route of the Toxiproxy API, its JSON and its errors. */

let api: Api;
let upstream: Upstream;
let target: string;

beforeEach(async () => {
	api = await startTestApi();
	upstream = await echoServer();
	target = `127.0.0.1:${upstream.port}`;
});

afterEach(async () => {
	await api.api.close();
	await upstream.close();
});

const create = (name = 'redis') => api.request('POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: target });

describe('proxies', () => {
	it('reports its version', async () => {
		expect(await api.request('GET', '/version')).toEqual({ status: 200, json: { version: expect.stringMatching(/^2\./) } });
	});

	it('creates, lists, shows, updates and deletes a proxy', async () => {
		const created = await create();
		expect(created.status).toBe(201);
		expect(created.json).toEqual({
			name: 'redis',
			listen: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
			upstream: target,
			enabled: true,
			toxics: [],
		});
		expect(portOf(created.json.listen)).toBeGreaterThan(0);

		expect(await api.request('GET', '/proxies')).toEqual({ status: 200, json: { redis: created.json } });
		expect(await api.request('GET', '/proxies/redis')).toEqual({ status: 200, json: created.json });

		const updated = await api.request('POST', '/proxies/redis', { enabled: false });
		expect(updated).toEqual({ status: 200, json: { ...created.json, enabled: false } });
		const patched = await api.request('PATCH', '/proxies/redis', { enabled: true, upstream: 'localhost:1' });
		expect(patched.json).toMatchObject({ enabled: true, upstream: 'localhost:1', listen: created.json.listen });

		expect(await api.request('DELETE', '/proxies/redis')).toEqual({ status: 204, json: undefined });
		expect(await api.request('GET', '/proxies')).toEqual({ status: 200, json: {} });
	});

	it('creates a disabled proxy when asked, and listens on any free port when no listen is given', async () => {
		const disabled = await api.request('POST', '/proxies', { name: 'off', listen: '127.0.0.1:0', upstream: target, enabled: false });
		expect(disabled.json.enabled).toBe(false);
		const anywhere = await api.request('POST', '/proxies', { name: 'anywhere', upstream: target });
		expect(anywhere.json.listen).toMatch(/^\[::\]:[1-9]\d*$/);
	});

	it('refuses a duplicate name with 409 and an unknown proxy with 404 naming the proxies', async () => {
		await create();
		expect(await create()).toEqual({
			status: 409,
			json: { status: 409, error: expect.stringMatching(/^proxy already exists: "redis"/) },
		});
		const missing = await api.request('GET', '/proxies/nope');
		expect(missing).toEqual({ status: 404, json: { status: 404, error: 'proxy not found: "nope"; the proxies are redis' } });
		for (const [method, path] of [
			['POST', '/proxies/nope'],
			['DELETE', '/proxies/nope'],
			['GET', '/proxies/nope/toxics'],
			['POST', '/proxies/nope/toxics'],
			['DELETE', '/proxies/nope/toxics/latency_downstream'],
		] as const) {
			expect((await api.request(method, path, {})).status).toBe(404);
		}
	});

	it('refuses bad input with 400 saying what is wrong', async () => {
		const cases: [unknown, string][] = [
			[{ listen: '127.0.0.1:0', upstream: target }, 'missing required field: name'],
			[{ name: 'x', listen: '127.0.0.1:0' }, 'missing required field: upstream'],
			[{ name: 'x', upstream: 'redis' }, 'upstream must be host:port with a port from 1 to 65535, like "redis:6379"; got "redis"'],
			[{ name: 'x', upstream: target, listen: '127.0.0.1:70000' }, 'listen must be host:port'],
			[{ name: 'x', upstream: target, color: 'red' }, 'bad request body: unknown proxy field "color"; valid ones are name, listen, upstream, enabled'],
			[{ name: 'x', upstream: target, enabled: 'yes' }, 'bad request body: enabled: enabled must be true or false'],
			['{not json', 'bad request body: not valid JSON'],
		];
		for (const [body, message] of cases) {
			const response = await api.request('POST', '/proxies', body);
			expect(response.status, JSON.stringify(body)).toBe(400);
			expect(response.json.error, JSON.stringify(body)).toContain(message);
		}
	});

	it('refuses a listen address that is taken with 409', async () => {
		const first = await create('first');
		const taken = await api.request('POST', '/proxies', { name: 'second', listen: first.json.listen, upstream: target });
		expect(taken.status).toBe(409);
		expect(taken.json.error).toContain('already in use');
		expect((await api.request('GET', '/proxies/second')).status).toBe(404);
	});

	it('populates proxies, keeping the ones that did not change and replacing the ones that did', async () => {
		const first = await api.request('POST', '/populate', [
			{ name: 'a', listen: '127.0.0.1:0', upstream: target },
			{ name: 'b', listen: '127.0.0.1:0', upstream: target, enabled: false },
		]);
		expect(first.status).toBe(201);
		expect(first.json.proxies.map((proxy: { name: string; enabled: boolean }) => [proxy.name, proxy.enabled])).toEqual([
			['a', true],
			['b', false],
		]);
		const a = first.json.proxies[0];
		await api.request('POST', '/proxies/a/toxics', { type: 'latency' });

		const second = await api.request('POST', '/populate', [{ ...a, toxics: undefined }, { name: 'b', listen: '127.0.0.1:0', upstream: 'localhost:2' }]);
		expect(second.status).toBe(201);
		expect(second.json.proxies[0].toxics).toHaveLength(1);
		expect(second.json.proxies[1]).toMatchObject({ name: 'b', upstream: 'localhost:2', enabled: true });

		const duplicate = await api.request('POST', '/populate', [
			{ name: 'c', upstream: target },
			{ name: 'c', upstream: target },
		]);
		expect(duplicate.status).toBe(400);
		expect((await api.request('GET', '/proxies/c')).status).toBe(404);

		const badEntry = await api.request('POST', '/populate', [{ name: 'd', upstream: target }, { name: 'e' }]);
		expect(badEntry.json.error).toBe('missing required field: upstream at proxy 2');
		expect((await api.request('GET', '/proxies/d')).status).toBe(404);

		expect((await api.request('POST', '/populate', { name: 'a' })).json.error).toContain('expected a JSON array of proxies');
	});
});

describe('toxics', () => {
	beforeEach(async () => {
		await create();
	});

	it('adds a toxic with Toxiproxy defaults, then shows, updates and deletes it', async () => {
		const added = await api.request('POST', '/proxies/redis/toxics', { type: 'latency', attributes: { latency: 100 } });
		const toxic = { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 100, jitter: 0 } };
		expect(added).toEqual({ status: 200, json: toxic });
		expect(await api.request('GET', '/proxies/redis/toxics')).toEqual({ status: 200, json: [toxic] });
		expect(await api.request('GET', '/proxies/redis/toxics/latency_downstream')).toEqual({ status: 200, json: toxic });
		expect((await api.request('GET', '/proxies/redis')).json.toxics).toEqual([toxic]);

		const updated = await api.request('POST', '/proxies/redis/toxics/latency_downstream', { attributes: { jitter: 10 }, toxicity: 0.5 });
		expect(updated).toEqual({ status: 200, json: { ...toxic, toxicity: 0.5, attributes: { latency: 100, jitter: 10 } } });
		const renamed = await api.request('PATCH', '/proxies/redis/toxics/latency_downstream', { stream: 'upstream' });
		expect(renamed.status).toBe(400);
		expect(renamed.json.error).toContain("a toxic's stream cannot change");

		expect((await api.request('DELETE', '/proxies/redis/toxics/latency_downstream')).status).toBe(204);
		expect((await api.request('GET', '/proxies/redis/toxics')).json).toEqual([]);
	});

	it('shows every type with its attributes, upstream toxics first', async () => {
		const bodies = [
			{ type: 'bandwidth', attributes: { rate: 10 } },
			{ type: 'slow_close', stream: 'upstream' },
			{ type: 'timeout' },
			{ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 5 } },
			{ type: 'slicer', attributes: { average_size: 8 } },
			{ type: 'limit_data', name: 'cap', attributes: { bytes: 9 } },
		];
		for (const body of bodies) expect((await api.request('POST', '/proxies/redis/toxics', body)).status).toBe(200);
		const listed = (await api.request('GET', '/proxies/redis/toxics')).json;
		expect(listed.map((toxic: { name: string; attributes: object }) => [toxic.name, toxic.attributes])).toEqual([
			['slow_close_upstream', { delay: 0 }],
			['reset_peer_upstream', { timeout: 5 }],
			['bandwidth_downstream', { rate: 10 }],
			['timeout_downstream', { timeout: 0 }],
			['slicer_downstream', { average_size: 8, size_variation: 0, delay: 0 }],
			['cap', { bytes: 9 }],
		]);
	});

	it('refuses a duplicate toxic with 409 and an unknown one with 404 naming the toxics', async () => {
		await api.request('POST', '/proxies/redis/toxics', { type: 'timeout' });
		const duplicate = await api.request('POST', '/proxies/redis/toxics', { type: 'timeout' });
		expect(duplicate.status).toBe(409);
		expect(duplicate.json.error).toMatch(/^toxic already exists: "timeout_downstream"/);
		for (const method of ['GET', 'POST', 'DELETE']) {
			const missing = await api.request(method, '/proxies/redis/toxics/nope', {});
			expect(missing).toEqual({
				status: 404,
				json: { status: 404, error: `toxic not found: "nope"; this proxy's toxics are timeout_downstream` },
			});
		}
	});

	it('refuses unknown types, streams and attributes, naming the valid ones', async () => {
		const cases: [object, string][] = [
			[{ type: 'lag' }, 'invalid toxic type (got "lag"); valid types are latency, bandwidth, slow_close, timeout, reset_peer, slicer, limit_data'],
			[{}, 'invalid toxic type (none given)'],
			[{ type: 'latency', stream: 'sideways' }, 'stream was invalid (got "sideways"), can be either upstream or downstream'],
			[{ type: 'latency', attributes: { delay: 5 } }, 'bad request body: attributes: unknown latency attribute "delay"; valid ones are latency, jitter'],
			[{ type: 'latency', attributes: { latency: '5' } }, 'bad request body: attributes.latency: latency must be a number of milliseconds'],
			[{ type: 'latency', shade: 1 }, 'unknown toxic field "shade"; valid ones are name, type, stream, toxicity, attributes'],
		];
		for (const [body, message] of cases) {
			const response = await api.request('POST', '/proxies/redis/toxics', body);
			expect(response, JSON.stringify(body)).toEqual({ status: 400, json: { status: 400, error: expect.stringContaining(message) } });
		}
	});

	it('refuses values past their bounds, stating the bound', async () => {
		const cases: [object, string][] = [
			[{ type: 'latency', attributes: { latency: 3_600_000 } }, 'latency must be at most 60000 ms'],
			[{ type: 'latency', attributes: { jitter: 60_001 } }, 'jitter must be at most 60000 ms'],
			[{ type: 'latency', attributes: { latency: -1 } }, 'latency must be at least 0 ms'],
			[{ type: 'timeout', attributes: { timeout: 600_000 } }, 'timeout must be at most 60000 ms'],
			[{ type: 'reset_peer', attributes: { timeout: 600_000 } }, 'timeout must be at most 60000 ms'],
			[{ type: 'slow_close', attributes: { delay: 86_400_000 } }, 'delay must be at most 60000 ms'],
			[{ type: 'bandwidth', attributes: { rate: 0 } }, 'rate must be at least 1 KB/s'],
			[{ type: 'bandwidth' }, 'rate is required, as a number of KB/s'],
			[{ type: 'slicer', attributes: { average_size: 0 } }, 'average_size must be at least 1 bytes'],
			[{ type: 'slicer', attributes: { average_size: 4, size_variation: 4 } }, 'size_variation must be smaller than average_size'],
			[{ type: 'slicer', attributes: { average_size: 4, delay: 61_000_000 } }, 'delay must be at most 60000000 microseconds'],
			[{ type: 'limit_data', attributes: { bytes: -5 } }, 'bytes must be at least 0 bytes'],
			[{ type: 'latency', toxicity: 1.5 }, 'toxicity must be at most 1'],
			[{ type: 'latency', toxicity: -0.1 }, 'toxicity must be at least 0'],
		];
		for (const [body, message] of cases) {
			const response = await api.request('POST', '/proxies/redis/toxics', body);
			expect(response.status, JSON.stringify(body)).toBe(400);
			expect(response.json.error, JSON.stringify(body)).toContain(message);
		}
		await api.request('POST', '/proxies/redis/toxics', { type: 'latency' });
		const update = await api.request('POST', '/proxies/redis/toxics/latency_downstream', { attributes: { latency: 61_000 } });
		expect(update.json.error).toContain('latency must be at most 60000 ms');
		expect((await api.request('GET', '/proxies/redis/toxics')).json).toHaveLength(1);
	});
});

describe('the HTTP layer', () => {
	it('answers unknown routes with 404 listing the routes, and wrong methods with 405', async () => {
		const unknown = await api.request('GET', '/toxics');
		expect(unknown.status).toBe(404);
		expect(unknown.json.error).toContain('the routes are GET /version');
		const wrong = await api.request('PUT', '/proxies');
		expect(wrong).toEqual({ status: 405, json: { status: 405, error: 'method PUT not allowed on /proxies; use GET or POST' } });
	});

	it('refuses browsers, as Toxiproxy does', async () => {
		const response = await fetch(`http://127.0.0.1:${api.api.port}/proxies`, { headers: { 'User-Agent': 'Mozilla/5.0' } });
		expect(response.status).toBe(403);
	});
});
