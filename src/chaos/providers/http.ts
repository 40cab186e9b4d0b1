import { readFileSync } from 'node:fs';
import { request as plainRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as tlsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { ActivityFailed } from '../errors.ts';
import type { HttpProvider, HttpResult } from '../types.ts';
import { interruption, onAbort } from './abort.ts';
import type { ProviderOptions } from './index.ts';
import { pythonRepr, pythonStr } from './python-text.ts';

/*
 * The reference tool sends HTTP activities with python-requests (one Session, an HTTPAdapter with
 * `max_retries`) and reports failures with the text of requests' exceptions. This module follows
 * requests where a learner can see the difference: what is sent, which failures are retried, how
 * redirects change the request, how the body is decoded, and the words of each failure.
 */

const TOOK_TOO_LONG = 'activity took too long to complete';
/** requests gives up after this many redirects (its DEFAULT_REDIRECT_LIMIT). */
const REDIRECT_LIMIT = 30;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** urllib3 adds `Content-Length: 0` to a request without a body unless its method never carries one. */
const METHODS_WITHOUT_BODY = new Set(['GET', 'HEAD', 'DELETE', 'TRACE', 'OPTIONS', 'CONNECT']);
const DEFAULT_HEADERS: Array<[string, string]> = [
	['User-Agent', 'steady-state-chaos'],
	// requests asks for compressed bodies and hands back the decompressed text; so do we.
	['Accept-Encoding', 'gzip, deflate'],
	['Accept', '*/*'],
];

type HeaderMap = Map<string, { name: string; value: string }>;

interface Outgoing {
	url: URL;
	method: string;
	headers: HeaderMap;
	body: Buffer | undefined;
}

interface Received {
	status: number;
	rawHeaders: string[];
	body: Buffer;
}

interface Timeouts {
	/** Seconds for the TCP connection (and, as in urllib3, for the TLS handshake). */
	connect: number | undefined;
	/** Seconds of silence allowed while waiting for and reading the response. */
	read: number | undefined;
}

interface Settings {
	timeouts: Timeouts;
	verifyTls: boolean;
	env: Record<string, string | undefined>;
	signal: AbortSignal | undefined;
}

/**
 * An attempt that got no response. `retryable` follows urllib3's `Retry(max_retries, read=False)`:
 * failures to establish the connection (DNS, refused, connect timeout, TLS) are tried again, while
 * anything after the request went out is not. `detail` is the text of the exception requests raised.
 */
class AttemptFailed extends Error {
	readonly retryable: boolean;
	constructor(detail: string, retryable: boolean) {
		super(detail);
		this.retryable = retryable;
	}
}

function setHeader(headers: HeaderMap, name: string, value: string): void {
	headers.set(name.toLowerCase(), { name, value });
}

function hostOf(url: URL): string {
	return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function portOf(url: URL): number {
	if (url.port !== '') return Number(url.port);
	return url.protocol === 'https:' ? 443 : 80;
}

/** How urllib3 names the connection pool and the connection in its messages. */
function poolName(url: URL): string {
	return `${url.protocol === 'https:' ? 'HTTPS' : 'HTTP'}ConnectionPool(host='${hostOf(url)}', port=${portOf(url)})`;
}

function connectionName(url: URL): string {
	return `${url.protocol === 'https:' ? 'HTTPS' : 'HTTP'}Connection(host='${hostOf(url)}', port=${portOf(url)})`;
}

function parseUrl(raw: string): URL {
	let url: URL | undefined;
	try {
		url = new URL(raw);
	} catch {
		url = undefined;
	}
	if (url && (url.protocol === 'http:' || url.protocol === 'https:')) return url;
	if (/^https?:/i.test(raw)) throw new ActivityFailed(`Invalid URL '${raw}': No host supplied`);
	if (raw.includes('://')) {
		throw new ActivityFailed(`No connection adapters were found for '${raw}': only http:// and https:// URLs can be called`);
	}
	throw new ActivityFailed(`Invalid URL '${raw}': No scheme supplied. Perhaps you meant http://${raw}?`);
}

function isSeconds(value: unknown): value is number {
	return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

function readTimeouts(timeout: unknown): Timeouts {
	if (timeout === undefined || timeout === null) return { connect: undefined, read: undefined };
	if (isSeconds(timeout)) return { connect: timeout, read: timeout };
	if (Array.isArray(timeout) && timeout.length === 2 && timeout.every((part) => part === null || isSeconds(part))) {
		return { connect: timeout[0] ?? undefined, read: timeout[1] ?? undefined };
	}
	throw new ActivityFailed(
		`HTTP timeout must be a number of seconds above 0, or a [connect, read] pair of them, not ${JSON.stringify(timeout)}`,
	);
}

function readMaxRetries(maxRetries: unknown): number {
	if (maxRetries === undefined || maxRetries === null) return 0;
	if (typeof maxRetries === 'number' && Number.isInteger(maxRetries) && maxRetries >= 0) return maxRetries;
	throw new ActivityFailed(`HTTP max_retries must be a whole number of 0 or more, not ${JSON.stringify(maxRetries)}`);
}

/** Python's `urllib.parse.quote_plus`: only letters, digits and `_.-~` stay as they are. */
function quotePlus(text: string): string {
	return encodeURIComponent(text)
		.replace(/[!'()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`)
		.replace(/%20/g, '+');
}

/**
 * A mapping encoded the way requests encodes `params` and `data`: a list repeats its key, a value
 * of null is left out, and everything else goes through Python's `str()`.
 */
function encodeMapping(mapping: Record<string, unknown>): string {
	const pairs: string[] = [];
	for (const [key, value] of Object.entries(mapping)) {
		// requests iterates any non-string value it can; iterating a Python dict yields its keys.
		const values = Array.isArray(value) ? value : value !== null && typeof value === 'object' ? Object.keys(value) : [value];
		for (const item of values) {
			if (item !== null && item !== undefined) pairs.push(`${quotePlus(key)}=${quotePlus(pythonStr(item))}`);
		}
	}
	return pairs.join('&');
}

function isMapping(value: unknown): value is Record<string, unknown> {
	return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function wrongArguments(value: unknown): ActivityFailed {
	return new ActivityFailed(
		`HTTP arguments must be a mapping of names to values (or a string sent as it is), not ${JSON.stringify(value)}`,
	);
}

function appendQuery(url: URL, args: unknown): void {
	if (args === undefined || args === null) return;
	if (typeof args !== 'string' && !isMapping(args)) throw wrongArguments(args);
	const query = typeof args === 'string' ? args : encodeMapping(args);
	if (query === '') return;
	url.search = url.search.length > 1 ? `${url.search.slice(1)}&${query}` : query;
}

/** The body of a non-GET request and whether requests would label it as form-encoded. */
function requestBody(provider: HttpProvider): { body: Buffer | undefined; form: boolean } {
	const args: unknown = provider.arguments;
	// Only this exact key and value switch requests to `json=`; `content-type` in lower case does not.
	if (provider.headers?.['Content-Type'] === 'application/json') {
		return { body: args === undefined || args === null ? undefined : Buffer.from(JSON.stringify(args)), form: false };
	}
	if (args === undefined || args === null || args === '') return { body: undefined, form: false };
	if (typeof args === 'string') return { body: Buffer.from(args), form: false };
	if (!isMapping(args)) throw wrongArguments(args);
	if (Object.keys(args).length === 0) return { body: undefined, form: false };
	return { body: Buffer.from(encodeMapping(args)), form: true };
}

function prepareRequest(provider: HttpProvider): Outgoing {
	const url = parseUrl(provider.url);
	const method = (provider.method ?? 'GET').toUpperCase();
	const headers: HeaderMap = new Map();
	for (const [name, value] of DEFAULT_HEADERS) setHeader(headers, name, value);
	for (const [name, value] of Object.entries(provider.headers ?? {}) as Array<[string, unknown]>) {
		// requests drops a header whose value is None, even one of its defaults.
		if (value === null || value === undefined) headers.delete(name.toLowerCase());
		else setHeader(headers, name, pythonStr(value));
	}
	if (url.username !== '' || url.password !== '') {
		const credentials = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
		setHeader(headers, 'Authorization', `Basic ${Buffer.from(credentials, 'latin1').toString('base64')}`);
	}
	if (method === 'GET') {
		appendQuery(url, provider.arguments);
		return { url, method, headers, body: undefined };
	}
	const { body, form } = requestBody(provider);
	if (form && !headers.has('content-type')) setHeader(headers, 'Content-Type', 'application/x-www-form-urlencoded');
	if (body !== undefined && body.length > 0) setHeader(headers, 'Content-Length', String(body.length));
	else if (method !== 'HEAD' && !headers.has('content-length')) setHeader(headers, 'Content-Length', '0');
	return { url, method, headers, body };
}

/** requests' own CA bundle can be replaced through the environment; learners with a lab CA rely on it. */
function caBundle(env: Record<string, string | undefined>): Buffer | undefined {
	const path = env.REQUESTS_CA_BUNDLE || env.CURL_CA_BUNDLE;
	if (!path) return undefined;
	try {
		return readFileSync(path);
	} catch {
		throw new ActivityFailed(
			`Could not find a suitable TLS CA certificate bundle, invalid path: ${path} (set by REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE)`,
		);
	}
}

/** Python's text for the socket errors a learner's services produce. */
const OS_ERRORS: Record<string, [pythonClass: string, errno: number, text: string]> = {
	ECONNREFUSED: ['ConnectionRefusedError', 111, 'Connection refused'],
	ECONNRESET: ['ConnectionResetError', 104, 'Connection reset by peer'],
	ECONNABORTED: ['ConnectionAbortedError', 103, 'Software caused connection abort'],
	EPIPE: ['BrokenPipeError', 32, 'Broken pipe'],
	ETIMEDOUT: ['TimeoutError', 110, 'Connection timed out'],
	EHOSTUNREACH: ['OSError', 113, 'No route to host'],
	ENETUNREACH: ['OSError', 101, 'Network is unreachable'],
	EADDRNOTAVAIL: ['OSError', 99, 'Cannot assign requested address'],
};

const RESOLVER_ERRORS: Record<string, string> = {
	ENOTFOUND: '[Errno -2] Name or service not known',
	EAI_AGAIN: '[Errno -3] Temporary failure in name resolution',
	EAI_FAIL: '[Errno -4] Non-recoverable failure in name resolution',
};

function osErrorText(error: NodeJS.ErrnoException): string {
	const known = error.code === undefined ? undefined : OS_ERRORS[error.code];
	return known ? `[Errno ${known[1]}] ${known[2]}` : error.message;
}

function osErrorRepr(error: NodeJS.ErrnoException): string {
	const known = error.code === undefined ? undefined : OS_ERRORS[error.code];
	return known ? `${known[0]}(${known[1]}, ${pythonRepr(known[2])})` : `OSError(${pythonRepr(error.message)})`;
}

function connectFailure(error: NodeJS.ErrnoException, url: URL): AttemptFailed {
	const connection = connectionName(url);
	const resolverText = error.code === undefined ? undefined : RESOLVER_ERRORS[error.code];
	if (resolverText !== undefined || error.syscall === 'getaddrinfo') {
		const reason = resolverText ?? error.message;
		return new AttemptFailed(`NameResolutionError(${pythonRepr(`${connection}: Failed to resolve '${hostOf(url)}' (${reason})`)})`, true);
	}
	return new AttemptFailed(
		`NewConnectionError(${pythonRepr(`${connection}: Failed to establish a new connection: ${osErrorText(error)}`)})`,
		true,
	);
}

function handshakeFailure(error: NodeJS.ErrnoException & { reason?: string }): AttemptFailed {
	if (error.code?.startsWith('ERR_SSL_')) {
		const text = `[SSL: ${error.code.slice('ERR_SSL_'.length)}] ${error.reason ?? error.message}`;
		return new AttemptFailed(`SSLError(SSLError(1, ${pythonRepr(text)}))`, true);
	}
	// The server hung up mid-handshake: Python's ssl module calls that an EOF, an SSL error.
	if (error.code === 'ECONNRESET' && error.syscall === undefined) {
		const text = '[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of protocol';
		return new AttemptFailed(`SSLError(SSLEOFError(8, ${pythonRepr(text)}))`, true);
	}
	if (error.syscall !== undefined) return new AttemptFailed(`('Connection aborted.', ${osErrorRepr(error)})`, false);
	// What is left is the certificate check: self-signed, unknown issuer, expired, wrong host name.
	const text = `[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: ${error.message}`;
	return new AttemptFailed(`SSLError(SSLCertVerificationError(1, ${pythonRepr(text)}))`, true);
}

function requestFailure(error: NodeJS.ErrnoException): AttemptFailed {
	if (error.code === 'ECONNRESET' && error.syscall === undefined) {
		return new AttemptFailed(`('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))`, false);
	}
	if (error.syscall !== undefined) return new AttemptFailed(`('Connection aborted.', ${osErrorRepr(error)})`, false);
	return new AttemptFailed(`('Connection aborted.', BadStatusLine(${pythonRepr(error.message)}))`, false);
}

function brokenBody(cause: string): AttemptFailed {
	return new AttemptFailed(`(${pythonRepr(`Connection broken: ${cause}`)}, ${cause})`, false);
}

type Phase = 'connecting' | 'handshaking' | 'waiting' | 'reading';

/** One request on a fresh connection, with the connect and read timeouts urllib3 applies. */
function attempt(outgoing: Outgoing, settings: Settings): Promise<Received> {
	return new Promise((resolve, reject) => {
		if (settings.signal?.aborted) return reject(interruption(settings.signal));
		const { url } = outgoing;
		const secure = url.protocol === 'https:';
		const { connect, read } = settings.timeouts;
		let phase: Phase = 'connecting';
		let timer: NodeJS.Timeout | undefined;
		let settled = false;
		let request: ClientRequest | undefined;
		let stopListening = (): void => {};

		const finish = (outcome: () => void): void => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			stopListening();
			// The connection is never reused, so close it now rather than leave it holding the event loop.
			request?.destroy();
			outcome();
		};
		const fail = (error: Error): void => finish(() => reject(error));
		const startTimer = (seconds: number | undefined, onTimeout: () => void): void => {
			clearTimeout(timer);
			timer = seconds === undefined ? undefined : setTimeout(onTimeout, seconds * 1000);
		};

		const headers: Record<string, string> = {};
		for (const { name, value } of outgoing.headers.values()) headers[name] = value;
		if (outgoing.body === undefined && !outgoing.headers.has('content-length') && !METHODS_WITHOUT_BODY.has(outgoing.method)) {
			headers['Content-Length'] = '0';
		}
		try {
			request = (secure ? tlsRequest : plainRequest)({
				protocol: url.protocol,
				hostname: hostOf(url),
				port: portOf(url),
				path: `${url.pathname}${url.search}`,
				method: outgoing.method,
				headers,
				agent: false,
				// Python's http.client accepts what small hand-written lab servers send (bare \n line ends).
				insecureHTTPParser: true,
				rejectUnauthorized: settings.verifyTls,
				ca: secure && settings.verifyTls ? caBundle(settings.env) : undefined,
			});
		} catch (error) {
			fail(error instanceof ActivityFailed ? error : new ActivityFailed(`cannot send the request to ${url.href}: ${(error as Error).message}`));
			return;
		}
		stopListening = onAbort(settings.signal, () => fail(interruption(settings.signal as AbortSignal)));

		const connected = (socket: Socket): void => {
			phase = 'waiting';
			clearTimeout(timer);
			if (read === undefined) return;
			socket.setTimeout(read * 1000, () => {
				if (phase === 'waiting') fail(new ActivityFailed(TOOK_TOO_LONG));
				// requests turns a read timeout while streaming the body into a ConnectionError.
				else fail(new AttemptFailed(`${poolName(url)}: Read timed out.`, false));
			});
		};

		startTimer(connect, () => {
			const text = `Connection to ${hostOf(url)} timed out. (connect timeout=${pythonStr(connect)})`;
			fail(new AttemptFailed(`ConnectTimeoutError(<${connectionName(url)}>, ${pythonRepr(text)})`, true));
		});
		request.on('socket', (socket: Socket) => {
			socket.once('connect', () => {
				if (!secure) return connected(socket);
				phase = 'handshaking';
				// urllib3 bounds the handshake with the connect timeout but reports it as a read timeout.
				startTimer(connect, () => fail(new ActivityFailed(TOOK_TOO_LONG)));
			});
			if (secure) socket.once('secureConnect', () => connected(socket));
		});
		request.on('error', (error: NodeJS.ErrnoException) => {
			if (phase === 'connecting') fail(connectFailure(error, url));
			else if (phase === 'handshaking') fail(handshakeFailure(error));
			else if (phase === 'waiting') fail(requestFailure(error));
			else fail(brokenBody(osErrorRepr(error)));
		});
		request.on('response', (response: IncomingMessage) => {
			phase = 'reading';
			const chunks: Buffer[] = [];
			let received = 0;
			response.on('data', (chunk: Buffer) => {
				chunks.push(chunk);
				received += chunk.length;
			});
			response.on('end', () =>
				finish(() => resolve({ status: response.statusCode ?? 0, rawHeaders: response.rawHeaders, body: Buffer.concat(chunks) })),
			);
			const cutShort = (): void => {
				if (response.complete) return;
				const expected = Number(response.headers['content-length']);
				const missing = Number.isInteger(expected) && expected > received ? `, ${expected - received} more expected` : '';
				fail(brokenBody(`IncompleteRead(${received} bytes read${missing})`));
			};
			response.on('error', cutShort);
			response.on('close', cutShort);
		});
		request.end(outgoing.body);
	});
}

/** Tries again right away (requests' adapter has no back-off) for as long as `max_retries` allows. */
async function send(outgoing: Outgoing, providerUrl: string, maxRetries: number, settings: Settings): Promise<Received> {
	for (let retriesLeft = maxRetries; ; retriesLeft -= 1) {
		try {
			return await attempt(outgoing, settings);
		} catch (error) {
			if (!(error instanceof AttemptFailed)) throw error;
			if (error.retryable && retriesLeft > 0) continue;
			const detail = error.retryable
				? `${poolName(outgoing.url)}: Max retries exceeded with url: ${outgoing.url.pathname}${outgoing.url.search} (Caused by ${error.message})`
				: error.message;
			throw new ActivityFailed(`failed to connect to ${providerUrl}: ${detail}`);
		}
	}
}

interface ResponseHeader {
	name: string;
	values: string[];
}

/** Header names keep the case the server sent (the first time it sent them); repeats are joined by ", ". */
function responseHeaders(rawHeaders: string[]): Map<string, ResponseHeader> {
	const headers = new Map<string, ResponseHeader>();
	for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
		const name = rawHeaders[index] as string;
		const value = rawHeaders[index + 1] as string;
		const existing = headers.get(name.toLowerCase());
		if (existing) existing.values.push(value);
		else headers.set(name.toLowerCase(), { name, values: [value] });
	}
	return headers;
}

function headerValue(headers: Map<string, ResponseHeader>, name: string): string | undefined {
	return headers.get(name)?.values.join(', ');
}

/** Cookies set along a redirect chain, by host: requests' session sends them on to the next hop. */
type CookieJar = Map<string, Map<string, string>>;

function keepCookies(jar: CookieJar, url: URL, headers: Map<string, ResponseHeader>): void {
	for (const setCookie of headers.get('set-cookie')?.values ?? []) {
		const pair = setCookie.split(';', 1)[0] ?? '';
		const separator = pair.indexOf('=');
		if (separator <= 0) continue;
		const cookies = jar.get(url.hostname) ?? new Map<string, string>();
		cookies.set(pair.slice(0, separator).trim(), pair.slice(separator + 1).trim());
		jar.set(url.hostname, cookies);
	}
}

/** requests keeps Authorization only on the same host, scheme and port (or an upgrade from http to https). */
function keepsAuthorization(from: URL, to: URL): boolean {
	if (from.hostname !== to.hostname) return false;
	if (from.protocol === 'http:' && from.port === '' && to.protocol === 'https:' && to.port === '') return true;
	return from.protocol === to.protocol && from.port === to.port;
}

/** The next request of a redirect chain, changed the way requests' `resolve_redirects` changes it. */
function redirected(previous: Outgoing, status: number, location: string, jar: CookieJar): Outgoing {
	let url: URL;
	try {
		// requests reads the Location header's bytes as UTF-8.
		url = new URL(Buffer.from(location, 'latin1').toString('utf8'), previous.url);
	} catch {
		throw new ActivityFailed(`the server at ${previous.url.href} redirected to an invalid URL: ${location}`);
	}
	let { method, body } = previous;
	if ((status === 302 || status === 303) && method !== 'HEAD') method = 'GET';
	if (status === 301 && method === 'POST') method = 'GET';
	const headers: HeaderMap = new Map(previous.headers);
	if (status !== 307 && status !== 308) {
		for (const name of ['content-length', 'content-type', 'transfer-encoding']) headers.delete(name);
		body = undefined;
	}
	// requests drops a Cookie header given by hand and sends the cookies its session collected instead.
	headers.delete('cookie');
	const cookies = jar.get(url.hostname);
	if (cookies) setHeader(headers, 'Cookie', [...cookies].map(([name, value]) => `${name}=${value}`).join('; '));
	if (!keepsAuthorization(previous.url, url)) headers.delete('authorization');
	return { url, method, headers, body };
}

/** urllib3 undoes gzip and deflate (zlib-wrapped or raw) and leaves other encodings as they came. */
function decompressed(body: Buffer, contentEncoding: string | undefined): Buffer {
	if (body.length === 0 || contentEncoding === undefined) return body;
	const encodings = contentEncoding.toLowerCase().split(',').map((encoding) => encoding.trim());
	let decoded = body;
	try {
		for (const encoding of encodings.reverse()) {
			if (encoding === 'gzip' || encoding === 'x-gzip') decoded = gunzipSync(decoded);
			else if (encoding === 'deflate') {
				try {
					decoded = inflateSync(decoded);
				} catch {
					decoded = inflateRawSync(decoded);
				}
			}
		}
	} catch (error) {
		throw new ActivityFailed(
			`Received response with content-encoding: ${contentEncoding}, but failed to decode it: ${(error as Error).message}`,
		);
	}
	return decoded;
}

const LATIN_1 = new Set(['iso-8859-1', 'iso8859-1', 'latin-1', 'latin1', 'l1', 'iso-ir-100', 'cp819']);

/**
 * requests' `Response.text`: the charset the Content-Type names; ISO-8859-1 for a text/* type without
 * one (HTTP/1.1's old default, which requests still applies); UTF-8 otherwise.
 */
function bodyText(body: Buffer, contentType: string | undefined): string {
	if (body.length === 0) return '';
	const [mediaType = '', ...parameters] = (contentType ?? '').split(';');
	let charset: string | undefined;
	for (const parameter of parameters) {
		const separator = parameter.indexOf('=');
		if (separator > 0 && parameter.slice(0, separator).trim().toLowerCase() === 'charset') {
			charset = parameter.slice(separator + 1).trim().replace(/^["']|["']$/g, '');
		}
	}
	if (charset === undefined && mediaType.includes('text')) charset = 'iso-8859-1';
	const label = (charset ?? 'utf-8').toLowerCase().replace(/_/g, '-');
	// WHATWG's TextDecoder reads "iso-8859-1" as windows-1252; Python means the real ISO-8859-1.
	if (LATIN_1.has(label)) return body.toString('latin1');
	try {
		return new TextDecoder(label).decode(body);
	} catch {
		return body.toString('utf8');
	}
}

function result(received: Received, headers: Map<string, ResponseHeader>): HttpResult {
	const contentType = headerValue(headers, 'content-type');
	const text = bodyText(decompressed(received.body, headerValue(headers, 'content-encoding')), contentType);
	let body: unknown = text;
	// Exactly this value, as in the reference tool: "application/json; charset=utf-8" stays text.
	if (contentType === 'application/json') {
		try {
			body = JSON.parse(text);
		} catch (error) {
			throw new ActivityFailed(
				`the response's Content-Type is application/json but its body is not valid JSON (${(error as Error).message}): ${text.slice(0, 200)}`,
			);
		}
	}
	const flat: Record<string, string> = {};
	for (const { name, values } of headers.values()) flat[name] = values.join(', ');
	return { status: received.status, headers: flat, body };
}

/**
 * Calls the provider's URL. A response of any status is a result; failing to connect, a timeout
 * and an interruption reject with ActivityFailed in the reference tool's words.
 */
export async function runHttp(provider: HttpProvider, options: ProviderOptions): Promise<HttpResult> {
	const settings: Settings = {
		timeouts: readTimeouts(provider.timeout),
		verifyTls: options.verifyTls && provider.verify_tls !== false,
		env: options.env ?? process.env,
		signal: options.signal,
	};
	const maxRetries = readMaxRetries(provider.max_retries);
	const jar: CookieJar = new Map();
	let outgoing = prepareRequest(provider);
	for (let redirects = 0; ; redirects += 1) {
		const received = await send(outgoing, provider.url, maxRetries, settings);
		const headers = responseHeaders(received.rawHeaders);
		const location = headerValue(headers, 'location');
		if (!REDIRECT_STATUSES.has(received.status) || location === undefined) return result(received, headers);
		if (redirects === REDIRECT_LIMIT) {
			throw new ActivityFailed(
				`Exceeded ${REDIRECT_LIMIT} redirects, starting from ${provider.url}: the server keeps sending the request elsewhere; check its Location headers`,
			);
		}
		keepCookies(jar, outgoing.url, headers);
		outgoing = redirected(outgoing, received.status, location, jar);
	}
}
