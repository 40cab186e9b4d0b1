import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EVENT_LIMITS, fitForLog, PROXY_EVENT_KINDS, type ProxyEvent } from './events.ts';
import { echoServer, startTestApi, type Api, type Upstream } from './test-support.ts';

/** What the proxy API tells its change listener, driven over real HTTP with real proxies. */

let api: Api;
let upstream: Upstream;
let target: string;
let events: ProxyEvent[];

beforeEach(async () => {
	api = await startTestApi();
	upstream = await echoServer();
	target = `127.0.0.1:${upstream.port}`;
	events = [];
	api.api.proxies.onChange((event) => {
		events.push(event);
	});
});

afterEach(async () => {
	await api.api.close();
	await upstream.close();
});

describe('the change listener', () => {
	it('hears each kind of change once, with its outcome, in the order they were made', async () => {
		expect((await api.request('POST', '/proxies', { name: 'redis', listen: '127.0.0.1:0', upstream: target })).status).toBe(201);
		const listen = (await api.request('GET', '/proxies/redis')).json.listen as string;
		expect((await api.request('POST', '/proxies/redis/toxics', { type: 'latency', attributes: { latency: 1000, jitter: 100 } })).status).toBe(200);
		expect((await api.request('POST', '/proxies/redis/toxics/latency_downstream', { toxicity: 0.5, attributes: { latency: 2000 } })).status).toBe(200);
		expect((await api.request('DELETE', '/proxies/redis/toxics/latency_downstream')).status).toBe(204);
		expect((await api.request('POST', '/proxies/redis', { enabled: false })).status).toBe(200);
		expect((await api.request('POST', '/proxies/redis', { enabled: true })).status).toBe(200);
		expect((await api.request('POST', '/proxies/redis', { upstream: 'localhost:1' })).status).toBe(200);
		expect((await api.request('POST', '/reset')).status).toBe(204);
		expect((await api.request('DELETE', '/proxies/redis')).status).toBe(204);

		expect(events.map((event) => [event.kind, event.target, event.outcome])).toEqual([
			['proxy-create', 'redis', 'applied'],
			['toxic-add', 'redis', 'applied'],
			['toxic-update', 'redis', 'applied'],
			['toxic-remove', 'redis', 'reverted'],
			['proxy-disable', 'redis', 'applied'],
			['proxy-enable', 'redis', 'reverted'],
			['proxy-update', 'redis', 'applied'],
			['proxy-reset', '*', 'reverted'],
			['proxy-delete', 'redis', 'applied'],
		]);
		expect(new Set(events.map((event) => event.kind))).toEqual(new Set(PROXY_EVENT_KINDS));

		const [created, added, updated, removed, disabled, , readdressed, reset] = events;
		expect(created?.parameters).toEqual({ listen, upstream: target, enabled: true });
		expect(added).toEqual({
			kind: 'toxic-add',
			target: 'redis',
			parameters: { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 1000, jitter: 100 } },
			outcome: 'applied',
			message: 'Added latency toxic latency_downstream on redis: 1000 ms ± 100 ms, downstream, toxicity 1.',
		});
		expect(updated?.parameters).toMatchObject({ toxicity: 0.5, attributes: { latency: 2000, jitter: 100 } });
		expect(updated?.message).toBe('Updated latency toxic latency_downstream on redis: 2000 ms ± 100 ms, downstream, toxicity 0.5.');
		expect(removed?.parameters).toEqual({ name: 'latency_downstream', type: 'latency' });
		expect(disabled?.message).toContain(`Disabled proxy redis: connections to ${listen} are refused`);
		expect(readdressed?.message).toBe(`Changed proxy redis: it was ${listen} to ${target}, now ${listen} to localhost:1.`);
		expect(reset?.message).toBe('Reset the proxies: all toxics removed (0) and all proxies enabled (0 had been disabled).');
	});

	it('counts what a reset undid, and reports a reset with nothing to undo too', async () => {
		await api.request('POST', '/proxies', { name: 'redis', listen: '127.0.0.1:0', upstream: target });
		await api.request('POST', '/proxies/redis/toxics', { type: 'bandwidth', attributes: { rate: 10 } });
		await api.request('POST', '/proxies/redis/toxics', { type: 'timeout', stream: 'upstream' });
		await api.request('POST', '/proxies/redis', { enabled: false });
		await api.request('POST', '/reset');
		await api.request('POST', '/reset');
		const resets = events.filter((event) => event.kind === 'proxy-reset');
		expect(resets.map((event) => event.parameters)).toEqual([
			{ toxicsRemoved: 2, proxiesEnabled: 1 },
			{ toxicsRemoved: 0, proxiesEnabled: 0 },
		]);
		expect((await api.request('GET', '/proxies/redis')).json).toMatchObject({ enabled: true, toxics: [] });
	});

	it('reports populate: new proxies as created, changed ones as updated, unchanged ones not at all', async () => {
		const entry = (name: string, port: number) => ({ name, listen: `127.0.0.1:${port}`, upstream: target });
		const first = await api.request('POST', '/populate', [entry('a', 0), entry('b', 0)]);
		expect(first.status).toBe(201);
		const [a] = first.json.proxies as Array<{ listen: string }>;
		// "a" again at its bound address is unchanged; "b" at port 0 again is a new address.
		const again = await api.request('POST', '/populate', [{ name: 'a', listen: a?.listen, upstream: target }, entry('b', 0)]);
		expect(again.status).toBe(201);
		expect(events.map((event) => `${event.kind} ${event.target}`)).toEqual(['proxy-create a', 'proxy-create b', 'proxy-update b']);
	});

	it('reports a refused change as an attempt, with the error the learner got', async () => {
		await api.request('POST', '/proxies', { name: 'redis', listen: '127.0.0.1:0', upstream: target });
		events.length = 0;
		const tooLong = await api.request('POST', '/proxies/redis/toxics', { type: 'latency', attributes: { latency: 3_600_000 } });
		expect(tooLong.status).toBe(400);
		expect(events).toEqual([
			{
				kind: 'toxic-add',
				target: 'redis',
				parameters: { type: 'latency', attributes: { latency: 3_600_000 } },
				outcome: 'refused',
				message: `Refused to add a toxic on redis: ${tooLong.json.error}.`,
			},
		]);

		events.length = 0;
		expect((await api.request('DELETE', '/proxies/db')).status).toBe(404);
		expect((await api.request('DELETE', '/proxies/redis/toxics/nothing')).status).toBe(404);
		expect((await api.request('POST', '/proxies/redis', { enabled: 'no' })).status).toBe(400);
		expect((await api.request('POST', '/proxies', { name: 'redis', upstream: target })).status).toBe(409);
		expect((await api.request('POST', '/proxies/redis', '{not json')).status).toBe(400);
		expect(events.map((event) => [event.kind, event.target, event.outcome])).toEqual([
			['proxy-delete', 'db', 'refused'],
			['toxic-remove', 'redis', 'refused'],
			['proxy-update', 'redis', 'refused'],
			['proxy-create', 'redis', 'refused'],
			['proxy-update', 'redis', 'refused'],
		]);
		expect(events[1]?.parameters).toEqual({ name: 'nothing' });
	});

	it('hears nothing of reads, of unknown routes, or of changes made before it was set', async () => {
		api.api.proxies.onChange(undefined);
		await api.request('POST', '/proxies', { name: 'redis', listen: '127.0.0.1:0', upstream: target });
		api.api.proxies.onChange((event) => {
			events.push(event);
		});
		await api.request('GET', '/proxies');
		await api.request('GET', '/proxies/redis/toxics');
		await api.request('POST', '/nowhere', {});
		await api.request('PUT', '/proxies/redis', {});
		expect(events).toEqual([]);
	});

	it('answers only after the listener has taken the event', async () => {
		let release: () => void = () => undefined;
		api.api.proxies.onChange(() => new Promise<void>((resolve) => (release = resolve)));
		let answered = false;
		const pending = api.request('POST', '/proxies', { name: 'redis', listen: '127.0.0.1:0', upstream: target }).then((reply) => {
			answered = true;
			return reply;
		});
		await new Promise((resolve) => setTimeout(resolve, 100));
		expect(answered).toBe(false);
		release();
		expect((await pending).status).toBe(201);
	});
});

describe('fitForLog', () => {
	it('trims what the learner named to the log\'s bounds, and leaves ordinary events alone', () => {
		const event: ProxyEvent = { kind: 'proxy-create', target: 'x'.repeat(500), parameters: { padding: 'y'.repeat(3000) }, outcome: 'refused', message: 'z'.repeat(2000) };
		const fitted = fitForLog(event);
		expect(fitted.target).toHaveLength(EVENT_LIMITS.target);
		expect(fitted.message).toHaveLength(EVENT_LIMITS.message);
		expect(fitted.parameters).toEqual({ omitted: expect.stringContaining('over the log\'s 2048') });
		const small: ProxyEvent = { kind: 'proxy-delete', target: 'redis', parameters: { listen: ':1' }, outcome: 'applied', message: 'Deleted.' };
		expect(fitForLog(small)).toEqual(small);
	});
});
