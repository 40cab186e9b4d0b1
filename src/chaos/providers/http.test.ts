import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createPlainServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ActivityFailed } from '../errors.ts';
import type { HttpProvider } from '../types.ts';
import { runHttp } from './http.ts';

type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

const cleanups: Array<() => void> = [];
afterEach(() => {
	for (const cleanup of cleanups.splice(0)) cleanup();
});

function track<T extends Server | import('node:net').Server>(server: T): T {
	cleanups.push(() => {
		if ('closeAllConnections' in server) server.closeAllConnections();
		server.close();
	});
	return server;
}

async function listen(server: import('node:net').Server): Promise<number> {
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return (server.address() as AddressInfo).port;
}

/** A loopback server that reads the whole request before handing it to `handler`. */
async function serve(handler: Handler): Promise<{ base: string; port: number; connections: () => number }> {
	let connections = 0;
	const server = track(
		createPlainServer((request, response) => {
			let body = '';
			request.setEncoding('utf8');
			request.on('data', (chunk: string) => (body += chunk));
			request.on('end', () => handler(request, response, body));
		}),
	);
	server.on('connection', () => (connections += 1));
	const port = await listen(server);
	return { base: `http://127.0.0.1:${port}`, port, connections: () => connections };
}

/** Answers with what it received, so a test can assert on the request as the server saw it. */
const echo: Handler = (request, response, body) => {
	response.setHeader('Content-Type', 'application/json');
	response.end(JSON.stringify({ method: request.method, url: request.url, headers: request.headers, body }));
};

const options = { verifyTls: true };

function http(provider: Omit<HttpProvider, 'type'>): HttpProvider {
	return { type: 'http', ...provider };
}

async function failure(promise: Promise<unknown>): Promise<ActivityFailed> {
	const error = await promise.then(
		() => undefined,
		(rejection: unknown) => rejection,
	);
	expect(error).toBeInstanceOf(ActivityFailed);
	return error as ActivityFailed;
}

/** A port where nothing listens: bound once, then released. */
async function closedPort(): Promise<number> {
	const server = createTcpServer();
	const port = await listen(server);
	await new Promise((resolve) => server.close(resolve));
	return port;
}

describe('the request', () => {
	it('sends GET arguments as a query string, appended to one already in the URL, with Python value spelling', async () => {
		const { base } = await serve(echo);
		const result = await runHttp(
			http({ url: `${base}/items?page=2`, arguments: { tag: ['a b', 'c&d'], live: true, missing: null, ratio: 0.5 } }),
			options,
		);
		expect(result.status).toBe(200);
		expect(result.body).toMatchObject({ method: 'GET', url: '/items?page=2&tag=a+b&tag=c%26d&live=True&ratio=0.5', body: '' });
	});

	it('upper-cases the method and sends a JSON body only for headers["Content-Type"] exactly application/json', async () => {
		const { base } = await serve(echo);
		const result = await runHttp(
			http({ url: base, method: 'post', headers: { 'Content-Type': 'application/json' }, arguments: { name: 'db', replicas: 3 } }),
			options,
		);
		expect(result.body).toMatchObject({
			method: 'POST',
			body: '{"name":"db","replicas":3}',
			headers: { 'content-type': 'application/json', 'content-length': '26' },
		});
	});

	it('form-encodes the body otherwise, even when a lower-case content-type says JSON', async () => {
		const { base } = await serve(echo);
		const plain = await runHttp(http({ url: base, method: 'PUT', arguments: { name: 'web server', on: false } }), options);
		expect(plain.body).toMatchObject({
			method: 'PUT',
			body: 'name=web+server&on=False',
			headers: { 'content-type': 'application/x-www-form-urlencoded' },
		});
		const lowerCase = await runHttp(
			http({ url: base, method: 'POST', headers: { 'content-type': 'application/json' }, arguments: { a: 1 } }),
			options,
		);
		expect(lowerCase.body).toMatchObject({ body: 'a=1', headers: { 'content-type': 'application/json' } });
	});

	it('sends Content-Length: 0 on a POST without arguments', async () => {
		const { base } = await serve(echo);
		const result = await runHttp(http({ url: base, method: 'POST' }), options);
		expect(result.body).toMatchObject({ body: '', headers: { 'content-length': '0' } });
		expect((result.body as { headers: Record<string, string> }).headers['content-type']).toBeUndefined();
	});

	it('sends the headers given, over its own defaults, and credentials from the URL as Basic auth', async () => {
		const { port } = await serve(echo);
		const result = await runHttp(
			http({ url: `http://ops:s3cret@127.0.0.1:${port}/`, headers: { 'X-Request-Id': 'abc', 'user-agent': 'probe/1' } }),
			options,
		);
		expect(result.body).toMatchObject({
			headers: {
				'x-request-id': 'abc',
				'user-agent': 'probe/1',
				accept: '*/*',
				'accept-encoding': 'gzip, deflate',
				authorization: `Basic ${Buffer.from('ops:s3cret').toString('base64')}`,
			},
		});
	});

	it('refuses a URL without a scheme, saying what to write instead', async () => {
		const error = await failure(runHttp(http({ url: 'localhost:8080/health' }), options));
		expect(error.message).toBe("Invalid URL 'localhost:8080/health': No scheme supplied. Perhaps you meant http://localhost:8080/health?");
		const ftp = await failure(runHttp(http({ url: 'ftp://example.com/file' }), options));
		expect(ftp.message).toBe(
			"No connection adapters were found for 'ftp://example.com/file': only http:// and https:// URLs can be called",
		);
	});

	it('refuses a timeout that is not seconds', async () => {
		const error = await failure(runHttp(http({ url: 'http://127.0.0.1:1/', timeout: '5' as unknown as number }), options));
		expect(error.message).toBe('HTTP timeout must be a number of seconds above 0, or a [connect, read] pair of them, not "5"');
	});
});

describe('the result', () => {
	it('parses a body as JSON only when Content-Type is exactly application/json, and keeps header names as sent', async () => {
		const { base } = await serve((request, response) => {
			const type = request.url === '/exact' ? 'application/json' : 'application/json; charset=utf-8';
			response.writeHead(200, [
				['Content-Type', type],
				['X-Trace', 'one'],
				['x-trace', 'two'],
				['Content-Length', '12'],
			]);
			response.end('{"up": true}');
		});
		const exact = await runHttp(http({ url: `${base}/exact` }), options);
		expect(exact.body).toEqual({ up: true });
		expect(exact.headers).toMatchObject({ 'Content-Type': 'application/json', 'X-Trace': 'one, two', 'Content-Length': '12' });
		const withCharset = await runHttp(http({ url: `${base}/charset` }), options);
		expect(withCharset.body).toBe('{"up": true}');
	});

	it('decodes text as its charset says, and text/* without one as ISO-8859-1 like requests', async () => {
		const { base } = await serve((request, response) => {
			response.setHeader('Content-Type', request.url === '/utf8' ? 'text/plain; charset=utf-8' : 'text/plain');
			response.end('café');
		});
		expect((await runHttp(http({ url: `${base}/utf8` }), options)).body).toBe('café');
		expect((await runHttp(http({ url: `${base}/bare` }), options)).body).toBe('cafÃ©');
	});

	it('undoes gzip compression', async () => {
		const { base } = await serve((_request, response) => {
			response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
			response.end(gzipSync('{"compressed": "yes"}'));
		});
		expect((await runHttp(http({ url: base }), options)).body).toEqual({ compressed: 'yes' });
	});

	it('returns a 500 as a result, not a failure', async () => {
		const { base } = await serve((_request, response) => {
			response.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
			response.end('database down');
		});
		const result = await runHttp(http({ url: base }), options);
		expect(result).toMatchObject({ status: 500, body: 'database down' });
	});

	it('fails, quoting the body, when a response that says application/json is not JSON', async () => {
		const { base } = await serve((_request, response) => {
			response.writeHead(200, { 'Content-Type': 'application/json' });
			response.end('<html>oops</html>');
		});
		const error = await failure(runHttp(http({ url: base }), options));
		expect(error.message).toMatch(/^the response's Content-Type is application\/json but its body is not valid JSON \(.+\): <html>oops<\/html>$/);
	});
});

describe('failures', () => {
	it('words a refused connection as the reference tool does', async () => {
		const port = await closedPort();
		const url = `http://127.0.0.1:${port}/health?deep=1`;
		const error = await failure(runHttp(http({ url }), options));
		expect(error.message).toBe(
			`failed to connect to ${url}: HTTPConnectionPool(host='127.0.0.1', port=${port}): Max retries exceeded with url: /health?deep=1 ` +
				`(Caused by NewConnectionError("HTTPConnection(host='127.0.0.1', port=${port}): Failed to establish a new connection: [Errno 111] Connection refused"))`,
		);
	});

	it('fails with "activity took too long to complete" when the response does not come in time', async () => {
		const { base } = await serve(() => {});
		const started = Date.now();
		const error = await failure(runHttp(http({ url: base, timeout: 0.2 }), options));
		expect(error.message).toBe('activity took too long to complete');
		expect(Date.now() - started).toBeLessThan(2000);
	});

	it('reports a body that stops arriving as a broken connection, as requests does', async () => {
		const { base, port } = await serve((_request, response) => {
			response.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '10' });
			response.write('12345');
		});
		const error = await failure(runHttp(http({ url: base, timeout: [5, 0.2] }), options));
		expect(error.message).toBe(`failed to connect to ${base}: HTTPConnectionPool(host='127.0.0.1', port=${port}): Read timed out.`);
	});

	it('reports a body cut short by the server with the bytes that came', async () => {
		const { base } = await serve((_request, response) => {
			response.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '10' });
			response.write('12345', () => response.socket?.end());
		});
		const error = await failure(runHttp(http({ url: base }), options));
		expect(error.message).toBe(
			`failed to connect to ${base}: ('Connection broken: IncompleteRead(5 bytes read, 5 more expected)', IncompleteRead(5 bytes read, 5 more expected))`,
		);
	});
});

describe('connect timeouts and retries', () => {
	let stopped: { port: number; release: () => void } | undefined;

	/**
	 * A port whose connections hang: a listener in a stopped process with its accept queue full. The
	 * kernel drops further connection attempts, exactly what a firewalled or overloaded host does.
	 */
	beforeAll(async () => {
		const listener = execFile(process.execPath, [
			'-e',
			"const s = require('net').createServer(); s.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => console.log(s.address().port))",
		]);
		const port = await new Promise<number>((resolve) => listener.stdout?.once('data', (data) => resolve(Number(String(data).trim()))));
		process.kill(listener.pid as number, 'SIGSTOP');
		const fillers: Socket[] = [];
		for (;;) {
			const socket = connect(port, '127.0.0.1');
			fillers.push(socket);
			const completed = await new Promise<boolean>((resolve) => {
				socket.once('connect', () => resolve(true));
				setTimeout(() => resolve(false), 500);
			});
			if (!completed) break;
		}
		stopped = {
			port,
			release: () => {
				for (const socket of fillers) socket.destroy();
				listener.kill('SIGKILL');
			},
		};
	});
	afterAll(() => stopped?.release());

	it('words a connect timeout from a [connect, read] pair as a failure to connect', async () => {
		const port = stopped?.port as number;
		const url = `http://127.0.0.1:${port}/`;
		const started = Date.now();
		const error = await failure(runHttp(http({ url, timeout: [0.2, 30] }), options));
		expect(error.message).toBe(
			`failed to connect to ${url}: HTTPConnectionPool(host='127.0.0.1', port=${port}): Max retries exceeded with url: / ` +
				`(Caused by ConnectTimeoutError(<HTTPConnection(host='127.0.0.1', port=${port})>, 'Connection to 127.0.0.1 timed out. (connect timeout=0.2)'))`,
		);
		expect(Date.now() - started).toBeLessThan(2000);
	});

	it('tries a connection that cannot be made max_retries more times', async () => {
		const url = `http://127.0.0.1:${stopped?.port}/`;
		const started = Date.now();
		await failure(runHttp(http({ url, timeout: [0.2, 30], max_retries: 2 }), options));
		expect(Date.now() - started).toBeGreaterThanOrEqual(600);
	});

	it('does not retry once the request was sent, as requests (read=False) does not', async () => {
		const { base, connections } = await serve((request) => request.socket.destroy());
		const error = await failure(runHttp(http({ url: base, max_retries: 3 }), options));
		expect(error.message).toBe(
			`failed to connect to ${base}: ('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))`,
		);
		expect(connections()).toBe(1);
	});
});

describe('redirects', () => {
	it('follows them for GET and returns the last response', async () => {
		const { base } = await serve((request, response, body) => {
			if (request.url === '/old') {
				response.writeHead(301, { Location: '/new?from=old' });
				return response.end('moved');
			}
			echo(request, response, body);
		});
		const result = await runHttp(http({ url: `${base}/old` }), options);
		expect(result.status).toBe(200);
		expect(result.body).toMatchObject({ method: 'GET', url: '/new?from=old' });
	});

	it('turns a POST into a body-less GET on 302, 303 and 301, and keeps it on 307 and 308', async () => {
		const { base } = await serve((request, response, body) => {
			const status = /^\/(\d{3})$/.exec(request.url ?? '')?.[1];
			if (status) {
				response.writeHead(Number(status), { Location: '/landed' });
				return response.end();
			}
			echo(request, response, body);
		});
		const post = { method: 'POST', arguments: { order: 7 } };
		for (const status of [301, 302, 303]) {
			const result = await runHttp(http({ url: `${base}/${status}`, ...post }), options);
			expect(result.body, `after ${status}`).toMatchObject({ method: 'GET', body: '' });
			expect((result.body as { headers: Record<string, string> }).headers['content-type'], `after ${status}`).toBeUndefined();
		}
		for (const status of [307, 308]) {
			const result = await runHttp(http({ url: `${base}/${status}`, ...post }), options);
			expect(result.body, `after ${status}`).toMatchObject({
				method: 'POST',
				body: 'order=7',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
			});
		}
	});

	it('drops Authorization when the redirect leaves for another port, and carries cookies set on the way', async () => {
		const elsewhere = await serve(echo);
		const { base } = await serve((request, response, body) => {
			if (request.url === '/login') {
				response.writeHead(302, { Location: '/home', 'Set-Cookie': 'session=s1; Path=/; HttpOnly' });
				return response.end();
			}
			if (request.url === '/away') {
				response.writeHead(302, { Location: `${elsewhere.base}/landed` });
				return response.end();
			}
			echo(request, response, body);
		});
		const headers = { Authorization: 'Bearer t0ken', Cookie: 'given=1' };
		const home = await runHttp(http({ url: `${base}/login`, headers }), options);
		expect(home.body).toMatchObject({ url: '/home', headers: { authorization: 'Bearer t0ken', cookie: 'session=s1' } });
		const away = await runHttp(http({ url: `${base}/away`, headers }), options);
		expect(away.body).toMatchObject({ url: '/landed' });
		expect((away.body as { headers: Record<string, string> }).headers.authorization).toBeUndefined();
	});

	it('gives up after 30 redirects', async () => {
		const { base } = await serve((_request, response) => {
			response.writeHead(302, { Location: '/again' });
			response.end();
		});
		const error = await failure(runHttp(http({ url: base }), options));
		expect(error.message).toBe(
			`Exceeded 30 redirects, starting from ${base}: the server keeps sending the request elsewhere; check its Location headers`,
		);
	});
});

describe('TLS', () => {
	let directory: string;
	let key: Buffer;
	let cert: Buffer;

	beforeAll(() => {
		directory = mkdtempSync(join(tmpdir(), 'chaos-http-tls-'));
		// openssl is part of the test toolchain (it is on the CI image and the lab base image).
		execFileSync('openssl', [
			'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
			'-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
			'-keyout', join(directory, 'key.pem'), '-out', join(directory, 'cert.pem'),
		], { stdio: 'ignore' });
		key = readFileSync(join(directory, 'key.pem'));
		cert = readFileSync(join(directory, 'cert.pem'));
	});
	afterAll(() => rmSync(directory, { recursive: true, force: true }));

	async function serveTls(): Promise<string> {
		const server = track(
			createTlsServer({ key, cert }, (_request, response) => {
				response.writeHead(200, { 'Content-Type': 'text/plain' });
				response.end('secure');
			}),
		);
		return `https://127.0.0.1:${await listen(server)}/`;
	}

	it('fails on a self-signed certificate while verify_tls is on (the default)', async () => {
		const url = await serveTls();
		const port = new URL(url).port;
		const error = await failure(runHttp(http({ url }), options));
		expect(error.message).toMatch(
			new RegExp(
				`^failed to connect to ${url}: HTTPSConnectionPool\\(host='127.0.0.1', port=${port}\\): Max retries exceeded with url: / ` +
					`\\(Caused by SSLError\\(SSLCertVerificationError\\(1, '\\[SSL: CERTIFICATE_VERIFY_FAILED\\] certificate verify failed: self.signed certificate'\\)\\)\\)$`,
			),
		);
	});

	it('accepts it with verify_tls false, or when the CLI turns verification off', async () => {
		const url = await serveTls();
		expect(await runHttp(http({ url, verify_tls: false }), options)).toMatchObject({ status: 200, body: 'secure' });
		expect(await runHttp(http({ url, verify_tls: true }), { verifyTls: false })).toMatchObject({ status: 200, body: 'secure' });
	});

	it('trusts the CA bundle named by REQUESTS_CA_BUNDLE, as requests does', async () => {
		const url = await serveTls();
		const env = { REQUESTS_CA_BUNDLE: join(directory, 'cert.pem') };
		expect(await runHttp(http({ url }), { verifyTls: true, env })).toMatchObject({ status: 200, body: 'secure' });
	});

	it('retries a connection the server hangs up on before the handshake, and succeeds when it then answers', async () => {
		const tls = track(
			createTlsServer({ key, cert }, (_request, response) => {
				response.end('second time lucky');
			}),
		);
		let connections = 0;
		const front = track(
			createTcpServer((socket) => {
				connections += 1;
				if (connections === 1) {
					socket.resume();
					return socket.end();
				}
				tls.emit('connection', socket);
			}),
		);
		const port = await listen(front);
		const url = `https://127.0.0.1:${port}/`;
		const result = await runHttp(http({ url, verify_tls: false, max_retries: 1 }), options);
		expect(result).toMatchObject({ status: 200, body: 'second time lucky' });
		expect(connections).toBe(2);

		connections = 0;
		const error = await failure(runHttp(http({ url, verify_tls: false }), options));
		expect(error.message).toBe(
			`failed to connect to ${url}: HTTPSConnectionPool(host='127.0.0.1', port=${port}): Max retries exceeded with url: / ` +
				`(Caused by SSLError(SSLEOFError(8, '[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol')))`,
		);
	});
});

describe('ending', () => {
	it('rejects and closes the connection when aborted', async () => {
		let serverSocketClosed: Promise<void> | undefined;
		const { base } = await serve((request) => {
			serverSocketClosed = new Promise((resolve) => request.socket.once('close', () => resolve()));
		});
		const controller = new AbortController();
		setTimeout(() => controller.abort(), 100);
		const error = await failure(runHttp(http({ url: base }), { verifyTls: true, signal: controller.signal }));
		expect(error.message).toBe('activity was interrupted before it completed');
		await serverSocketClosed;
	});

	it('connects to nothing once aborted, and fails with the ActivityFailed given as the reason', async () => {
		const { base, connections } = await serve(echo);
		const controller = new AbortController();
		controller.abort(new ActivityFailed('stopped by --fail-fast'));
		const error = await failure(runHttp(http({ url: base }), { verifyTls: true, signal: controller.signal }));
		expect(error.message).toBe('stopped by --fail-fast');
		expect(connections()).toBe(0);
	});

	it('leaves nothing holding the event loop once it has a result', async () => {
		const { base } = await serve(echo);
		const script = join(mkdtempSync(join(tmpdir(), 'chaos-http-exit-')), 'probe.ts');
		cleanups.push(() => rmSync(join(script, '..'), { recursive: true, force: true }));
		writeFileSync(
			script,
			`import { runHttp } from ${JSON.stringify(join(import.meta.dirname, 'http.ts'))};\n` +
				`const result = await runHttp({ type: 'http', url: ${JSON.stringify(base)}, timeout: 60 }, { verifyTls: true });\n` +
				'console.log(result.status);\n',
		);
		const started = Date.now();
		const output = await new Promise<string>((resolve, reject) =>
			execFile(process.execPath, [script], { timeout: 20_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
		);
		expect(output.trim()).toBe('200');
		expect(Date.now() - started).toBeLessThan(10_000);
	});
});
