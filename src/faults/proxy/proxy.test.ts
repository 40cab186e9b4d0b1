import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
	connect,
	delay,
	echoServer,
	pattern,
	portOf,
	readAll,
	roundTrip,
	sendingServer,
	startTestApi,
	type Api,
	type Upstream,
} from './test-support.ts';

/** The toxics and outages, measured through real TCP connections on loopback. */

let api: Api;
let upstreams: Upstream[];

beforeEach(async () => {
	api = await startTestApi();
	upstreams = [];
});

afterEach(async () => {
	await api.api.close();
	for (const upstream of upstreams) await upstream.close();
});

/** A proxy in front of `upstream`, with the given toxics; resolves with its port. */
async function proxyTo(upstream: Upstream, toxics: object[] = [], name = 'svc'): Promise<number> {
	upstreams.push(upstream);
	const created = await api.request('POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstream.port}` });
	expect(created.status).toBe(201);
	for (const toxic of toxics) expect((await api.request('POST', `/proxies/${name}/toxics`, toxic)).status).toBe(200);
	return portOf(created.json.listen);
}

describe('latency', () => {
	it('adds at least the latency to a round trip, on open and new connections, and stops when removed', async () => {
		const port = await proxyTo(await echoServer());
		const open = await connect(port);
		expect(await roundTrip(open)).toBeLessThan(100);

		await api.request('POST', '/proxies/svc/toxics', { type: 'latency', attributes: { latency: 200 } });
		expect(await roundTrip(open)).toBeGreaterThanOrEqual(198);
		const fresh = await connect(port);
		expect(await roundTrip(fresh)).toBeGreaterThanOrEqual(198);

		// Both directions add up.
		await api.request('POST', '/proxies/svc/toxics', { type: 'latency', stream: 'upstream', attributes: { latency: 100 } });
		expect(await roundTrip(fresh)).toBeGreaterThanOrEqual(298);

		expect((await api.request('DELETE', '/proxies/svc/toxics/latency_downstream')).status).toBe(204);
		expect((await api.request('DELETE', '/proxies/svc/toxics/latency_upstream')).status).toBe(204);
		expect(await roundTrip(open)).toBeLessThan(100);
		expect(await roundTrip(fresh)).toBeLessThan(100);
		open.destroy();
		fresh.destroy();
	});

	it('releases data held by a latency toxic when it is removed', async () => {
		const port = await proxyTo(await echoServer(), [{ type: 'latency', attributes: { latency: 10_000 } }]);
		const socket = await connect(port);
		const trip = roundTrip(socket);
		await delay(100);
		await api.request('DELETE', '/proxies/svc/toxics/latency_downstream');
		expect(await trip).toBeLessThan(2_000);
		socket.destroy();
	});

	it('keeps each round trip within latency ± jitter, and varies it', async () => {
		const port = await proxyTo(await echoServer(), [{ type: 'latency', attributes: { latency: 100, jitter: 50 } }]);
		const socket = await connect(port);
		const trips: number[] = [];
		for (let i = 0; i < 10; i++) trips.push(await roundTrip(socket));
		socket.destroy();
		expect(Math.min(...trips)).toBeGreaterThanOrEqual(48);
		expect(Math.max(...trips)).toBeLessThan(150 + 80);
		expect(Math.max(...trips) - Math.min(...trips)).toBeGreaterThan(10);
	});
});

describe('bandwidth', () => {
	it('slows a large transfer to about the rate', async () => {
		const size = 60_000;
		const fast = await readAll(await connect(await proxyTo(await sendingServer(size), [], 'fast')));
		expect(fast.data.equals(pattern(size))).toBe(true);
		expect(fast.endedAfter).toBeLessThan(200);

		// 100 KB/s: 60 KB takes 600 ms.
		const port = await proxyTo(await sendingServer(size), [{ type: 'bandwidth', attributes: { rate: 100 } }], 'slow');
		const slow = await readAll(await connect(port));
		expect(slow.data.equals(pattern(size))).toBe(true);
		expect(slow.endedAfter).toBeGreaterThanOrEqual(500);
		expect(slow.endedAfter).toBeLessThan(1_500);
	});
});

describe('timeout', () => {
	it('with 0, swallows data and keeps the connection open; removing it closes the connection', async () => {
		const port = await proxyTo(await echoServer(), [{ type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } }]);
		const socket = await connect(port);
		const received = readAll(socket);
		socket.write('hello');
		await delay(400);
		expect(socket.destroyed).toBe(false);
		expect(socket.bytesRead).toBe(0);
		await api.request('DELETE', '/proxies/svc/toxics/timeout_upstream');
		const result = await received;
		expect(result.data.length).toBe(0);
		expect(result.endedAfter).toBeLessThan(1_000);
	});

	it('closes the connection after the timeout, with no data passed', async () => {
		const port = await proxyTo(await echoServer(), [{ type: 'timeout', attributes: { timeout: 300 } }]);
		const socket = await connect(port);
		const received = readAll(socket);
		socket.write('hello');
		const result = await received;
		expect(result.data.length).toBe(0);
		expect(result.endedAfter).toBeGreaterThanOrEqual(280);
		expect(result.endedAfter).toBeLessThan(1_500);
	});
});

describe('reset_peer', () => {
	it('resets the connection (ECONNRESET) after the timeout once data flows', async () => {
		const port = await proxyTo(await echoServer(), [{ type: 'reset_peer', attributes: { timeout: 200 } }]);
		const socket = await connect(port);
		const received = readAll(socket);
		socket.write('hello');
		const result = await received;
		expect(result.error?.code).toBe('ECONNRESET');
		expect(result.data.length).toBe(0);
		expect(result.endedAfter).toBeGreaterThanOrEqual(180);
	});
});

describe('slicer', () => {
	it('delivers every byte, in small pieces', async () => {
		const size = 2_000;
		const port = await proxyTo(await sendingServer(size), [
			{ type: 'slicer', attributes: { average_size: 20, size_variation: 10, delay: 2_000 } },
		]);
		const result = await readAll(await connect(port));
		expect(result.data.equals(pattern(size))).toBe(true);
		// At most 30 bytes a slice, 2 ms apart: far more pieces than the one or two loopback gives.
		expect(result.pieces).toBeGreaterThan(20);
	});
});

describe('limit_data', () => {
	it('closes the connection after exactly the given bytes', async () => {
		// An echo upstream keeps the connection open: only the toxic can close it.
		const port = await proxyTo(await echoServer(), [{ type: 'limit_data', attributes: { bytes: 1_234 } }]);
		const socket = await connect(port);
		const received = readAll(socket);
		socket.write(pattern(10_000));
		const result = await received;
		expect(result.data.equals(pattern(10_000).subarray(0, 1_234))).toBe(true);
		expect(result.error).toBeUndefined();
	});
});

describe('slow_close', () => {
	it('delays the close after the data', async () => {
		const quick = await readAll(await connect(await proxyTo(await sendingServer(10), [], 'quick')));
		expect(quick.endedAfter).toBeLessThan(200);
		const port = await proxyTo(await sendingServer(10), [{ type: 'slow_close', attributes: { delay: 400 } }], 'slow');
		const result = await readAll(await connect(port));
		expect(result.data.equals(pattern(10))).toBe(true);
		expect(result.firstAfter).toBeLessThan(200);
		expect(result.endedAfter - result.firstAfter).toBeGreaterThanOrEqual(380);
	});
});

describe('toxicity', () => {
	it('0 never applies and 1 always does, decided per connection', async () => {
		const port = await proxyTo(await echoServer(), [
			{ name: 'never', type: 'latency', toxicity: 0, attributes: { latency: 1_000 } },
			{ name: 'always', type: 'latency', stream: 'upstream', toxicity: 1, attributes: { latency: 150 } },
		]);
		for (let i = 0; i < 5; i++) {
			const socket = await connect(port);
			const trip = await roundTrip(socket);
			expect(trip).toBeGreaterThanOrEqual(148);
			expect(trip).toBeLessThan(600);
			socket.destroy();
		}
	});
});

describe('enabled', () => {
	it('disabling cuts open connections and refuses new ones; enabling restores the same address', async () => {
		const port = await proxyTo(await echoServer());
		const open = await connect(port);
		await roundTrip(open);
		const cut = readAll(open);

		const disabled = await api.request('POST', '/proxies/svc', { enabled: false });
		expect(disabled.json).toMatchObject({ enabled: false, listen: `127.0.0.1:${port}` });
		await cut;
		await expect(connect(port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

		expect((await api.request('POST', '/proxies/svc', { enabled: true })).json.enabled).toBe(true);
		const again = await connect(port);
		expect(await roundTrip(again)).toBeLessThan(100);
		again.destroy();
	});

	it('closes a client whose upstream cannot be reached', async () => {
		const gone = await echoServer();
		const port = await proxyTo(gone);
		await gone.close();
		const result = await readAll(await connect(port));
		expect(result.data.length).toBe(0);
	});

	it('listens only on the address it was given', async () => {
		upstreams.push(await echoServer());
		const created = await api.request('POST', '/proxies', {
			name: 'only',
			listen: '127.0.0.2:0',
			upstream: `127.0.0.1:${upstreams[0]?.port}`,
		});
		const port = portOf(created.json.listen);
		expect(created.json.listen).toBe(`127.0.0.2:${port}`);
		const socket = await connect(port, '127.0.0.2');
		expect(await roundTrip(socket)).toBeLessThan(100);
		socket.destroy();
		await expect(connect(port, '127.0.0.1')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
	});
});

describe('reset', () => {
	it('enables every proxy and removes every toxic', async () => {
		const port = await proxyTo(await echoServer(), [
			{ type: 'latency', attributes: { latency: 500 } },
			{ type: 'timeout', stream: 'upstream' },
		]);
		await api.request('POST', '/proxies/svc', { enabled: false });
		expect((await api.request('POST', '/reset')).status).toBe(204);
		expect((await api.request('GET', '/proxies/svc')).json).toMatchObject({ enabled: true, toxics: [] });
		const socket = await connect(port);
		expect(await roundTrip(socket)).toBeLessThan(100);
		socket.destroy();
	});
});
