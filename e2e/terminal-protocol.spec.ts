import http from 'node:http';
import WebSocket from 'ws';
import { CLOSE, TERMINAL_PATH } from '../src/terminal/protocol.ts';
import { expect, labApi, test } from './fixtures.ts';

/**
 * The terminal socket, driven directly rather than through the page: whatever a client sends, the
 * socket closes with a code and a reason, and the server keeps serving.
 */

interface Closed {
	code: number;
	reason: string;
	output: string;
}

function openTerminal(url: string, headers: Record<string, string>, onOpen?: (ws: WebSocket) => void): Promise<Closed> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url, { headers });
		let output = '';
		ws.on('message', (data, isBinary) => {
			if (isBinary) output += data.toString();
		});
		ws.on('open', () => onOpen?.(ws));
		ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), output }));
		ws.on('error', reject);
	});
}

test.describe('the terminal socket', () => {
	let cookie = '';
	let base = '';

	test.beforeAll(async ({ playwright, platform }) => {
		base = platform.url;
		const request = await playwright.request.newContext({ baseURL: base });
		const api = await labApi(request, base);
		expect((await api.start()).status()).toBe(202);
		await api.waitFor('running');
		const state = await request.storageState();
		cookie = state.cookies.map((entry) => `${entry.name}=${entry.value}`).join('; ');
		await request.dispose();
	});

	async function ticket(): Promise<string> {
		const response = await fetch(`${base}/api/labs/steady-state/terminal-ticket`, { method: 'POST', headers: { cookie, origin: base } });
		expect(response.status).toBe(201);
		return ((await response.json()) as { ticket: string }).ticket;
	}

	const socketUrl = (ticketValue?: string) => `${base.replace('http', 'ws')}${TERMINAL_PATH}${ticketValue ? `?ticket=${ticketValue}` : ''}`;

	test('without a ticket it is closed as unauthorised, with a reason', async () => {
		const closed = await openTerminal(socketUrl(), { cookie, origin: base });
		expect(closed.code).toBe(CLOSE.unauthorized);
		expect(closed.reason).toContain('ticket');
	});

	test('a ticket works once only', async () => {
		const value = await ticket();
		const first = await openTerminal(socketUrl(value), { cookie, origin: base }, (ws) => setTimeout(() => ws.close(1000), 1500));
		expect(first.code).toBe(1000);
		expect(first.output.length).toBeGreaterThan(0);
		const second = await openTerminal(socketUrl(value), { cookie, origin: base });
		expect(second.code).toBe(CLOSE.unauthorized);
	});

	test('a ticket without its session cookie is refused', async () => {
		const closed = await openTerminal(socketUrl(await ticket()), { origin: base });
		expect(closed.code).toBe(CLOSE.unauthorized);
		expect(closed.reason).toContain('another session');
	});

	test('from another origin it is closed as forbidden', async () => {
		const closed = await openTerminal(socketUrl(await ticket()), { cookie, origin: 'http://evil.example' });
		expect(closed.code).toBe(CLOSE.forbiddenOrigin);
		expect(closed.reason).toContain('Origin not allowed');
	});

	test('malformed frames close it with the reason', async () => {
		const notJson = await openTerminal(socketUrl(await ticket()), { cookie, origin: base }, (ws) => ws.send('{not json'));
		expect(notJson).toMatchObject({ code: CLOSE.invalidMessage, reason: 'invalid message: not JSON' });

		const wrongShape = await openTerminal(socketUrl(await ticket()), { cookie, origin: base }, (ws) => ws.send(JSON.stringify({ type: 'resize', cols: 'wide' })));
		expect(wrongShape.code).toBe(CLOSE.invalidMessage);
		expect(wrongShape.reason).toMatch(/^invalid message: cols/);

		const binary = await openTerminal(socketUrl(await ticket()), { cookie, origin: base }, (ws) => ws.send(Buffer.from([1, 2, 3])));
		expect(binary).toMatchObject({ code: CLOSE.invalidMessage });
		expect(binary.reason).toContain('binary');

		const huge = await openTerminal(socketUrl(await ticket()), { cookie, origin: base }, (ws) => ws.send(JSON.stringify({ type: 'input', data: 'x'.repeat(200_000) })));
		expect(huge.code).toBe(1009);
	});

	test('after all that the server still serves pages, the API and terminals', async () => {
		expect((await fetch(`${base}/foundations/steady-state/`)).status).toBe(200);
		expect(await (await fetch(`${base}/api/health`)).json()).toMatchObject({ ok: true, labs: true });
		const closed = await openTerminal(socketUrl(await ticket()), { cookie, origin: base }, (ws) => {
			ws.send(JSON.stringify({ type: 'input', data: 'echo "alive-$((20 + 1))"\r' }));
			setTimeout(() => ws.close(1000), 2000);
		});
		expect(closed.output).toContain('alive-21');
	});

	test('a request for an unknown host name is refused (no DNS rebinding)', async () => {
		// fetch() will not send a Host of our choosing; a plain request will, as a rebinding page's would.
		const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
			const target = new URL(base);
			http
				.get({ host: target.hostname, port: target.port, path: '/foundations/steady-state/', headers: { host: 'rebound.example' } }, (response) => {
					let text = '';
					response.on('data', (chunk: Buffer) => (text += chunk.toString()));
					response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
				})
				.on('error', reject);
		});
		expect(status).toBe(421);
		expect(body).toContain('STEADY_ALLOWED_HOSTS');
	});

	test('API changes from another origin are refused with a reason', async () => {
		const response = await fetch(`${base}/api/labs/steady-state/sandbox`, { method: 'DELETE', headers: { cookie, origin: 'http://evil.example' } });
		expect(response.status).toBe(403);
		expect(await response.json()).toMatchObject({ error: expect.stringContaining('Refused') });
	});

	test('bad requests get a 4xx with a reason', async () => {
		const unknownLab = await fetch(`${base}/api/labs/no-such-lab/sandbox`, { method: 'POST', headers: { cookie, origin: base } });
		expect(unknownLab.status).toBe(404);
		expect(await unknownLab.json()).toEqual({ error: 'There is no lab "no-such-lab".', fix: 'Labs on this platform: steady-state.' });
		const unknownTask = await fetch(`${base}/api/labs/steady-state/tasks/nope/check`, { method: 'POST', headers: { cookie, origin: base } });
		expect(unknownTask.status).toBe(404);
	});
});
