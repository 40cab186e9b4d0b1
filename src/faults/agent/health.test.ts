import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthSample } from '../../store/store.ts';
import { parseHealthOption, sampleOnce, startHealthSampler } from './health.ts';

const servers: http.Server[] = [];
afterEach(async () => {
	for (const server of servers.splice(0)) {
		server.closeAllConnections();
		await new Promise((resolve) => server.close(resolve));
	}
});

/** A real HTTP server on loopback whose answer the test can change. */
async function target(answer: { status: number; delayMs?: number }): Promise<string> {
	const server = http.createServer((_request, response) => {
		setTimeout(() => response.writeHead(answer.status).end('{}'), answer.delayMs ?? 0);
	});
	servers.push(server);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
}

/** An address on loopback where nothing listens any more. */
async function closedPort(): Promise<string> {
	const server = http.createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	await new Promise((resolve) => server.close(resolve));
	return `http://127.0.0.1:${port}/health`;
}

describe('sampleOnce', () => {
	it('says ok for a 2xx answer, with its status and time', async () => {
		const sample = await sampleOnce({ url: await target({ status: 200 }), timeoutMs: 1000 });
		expect(sample).toEqual({ at: expect.any(String), ok: true, status: 200, latencyMs: expect.any(Number), error: null });
		expect(Math.abs(Date.parse(sample.at) - Date.now())).toBeLessThan(5000);
	});

	it('says not ok for an error status, a slow answer and no answer at all', async () => {
		expect(await sampleOnce({ url: await target({ status: 503 }), timeoutMs: 1000 })).toMatchObject({ ok: false, status: 503, error: 'HTTP 503' });
		const slow = await sampleOnce({ url: await target({ status: 200, delayMs: 800 }), timeoutMs: 200 });
		expect(slow).toMatchObject({ ok: false, status: null, error: 'no answer within 200 ms' });
		expect(slow.latencyMs).toBeGreaterThanOrEqual(150);
		expect(await sampleOnce({ url: await closedPort(), timeoutMs: 1000 })).toMatchObject({ ok: false, status: null, error: 'ECONNREFUSED' });
	});
});

describe('startHealthSampler', () => {
	it('samples on a beat and delivers in batches, keeping a batch the platform did not take', async () => {
		const answer = { status: 200 };
		const url = await target(answer);
		const delivered: HealthSample[][] = [];
		const warnings: string[] = [];
		let refuse = true;
		const sampler = startHealthSampler({
			url,
			intervalMs: 50,
			timeoutMs: 500,
			batchMs: 200,
			warn: (line) => warnings.push(line),
			deliver: async (samples) => {
				if (refuse) throw new Error('platform away');
				delivered.push(samples);
			},
		});
		await new Promise((resolve) => setTimeout(resolve, 450));
		refuse = false;
		answer.status = 503;
		await new Promise((resolve) => setTimeout(resolve, 400));
		await sampler.stop();

		const all = delivered.flat();
		expect(warnings).toHaveLength(1);
		expect(warnings[0]).toContain('platform away');
		// Nothing lost while the platform was away, in time order, and the change of answer is in the series.
		expect(all.length).toBeGreaterThanOrEqual(8);
		expect(all.map((sample) => sample.at)).toEqual([...all.map((sample) => sample.at)].sort());
		expect(all[0]?.ok).toBe(true);
		expect(all.at(-1)).toMatchObject({ ok: false, status: 503 });
	});
});

describe('parseHealthOption', () => {
	it('reads the target, and refuses what it cannot use with the form it wants', () => {
		expect(parseHealthOption('{"url":"http://storefront:8080/health","intervalMs":1000,"timeoutMs":500}')).toEqual({ url: 'http://storefront:8080/health', intervalMs: 1000, timeoutMs: 500 });
		expect(() => parseHealthOption('{url}')).toThrow(/^--health: not JSON\. Give \{"url"/);
		expect(() => parseHealthOption('{"url":"ftp://x","intervalMs":1000,"timeoutMs":500}')).toThrow('"url" must be an http:// address');
		expect(() => parseHealthOption('{"url":"http://x","intervalMs":5,"timeoutMs":500}')).toThrow('whole milliseconds from 100 to 60000');
	});
});
