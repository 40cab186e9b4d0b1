import http from 'node:http';
import { ProxyCollection } from './collection.ts';
import { ApiError, badRequest } from './errors.ts';
import { proxyEvents, type ProxyEventKind } from './events.ts';

/**
 * Toxiproxy's HTTP API on node:http: same routes, same JSON, same status codes, so `toxiproxy-cli`,
 * the client libraries and Chaos Toolkit's toxiproxy extension all work against it.
 */

/** The Toxiproxy release whose API this follows; the build tag says it is not the real one. */
export const VERSION = '2.12.0+steady-state';

/** Request bodies are a few hundred bytes; anything this large is a mistake. */
const MAX_BODY_BYTES = 1024 * 1024;

type Handler = (params: string[], body: () => Promise<unknown>) => Promise<Reply>;

interface Reply {
	status: number;
	json?: unknown;
}

/** What a change request was trying to do, so a refusal can be logged as an attempt at it. */
interface Attempt {
	kind: ProxyEventKind;
	target: string;
	parameters?: Record<string, unknown>;
}

type DescribeAttempt = (params: string[], body: Record<string, unknown>) => Attempt;

interface Route {
	pattern: RegExp;
	methods: Record<string, Handler>;
	/** Per changing method; reads only the URL and the body as sent, since the request may be nonsense. */
	attempts: Record<string, DescribeAttempt>;
}

const ROUTE_LIST = [
	'GET /version',
	'POST /reset',
	'POST /populate',
	'GET|POST /proxies',
	'GET|POST|PATCH|DELETE /proxies/{proxy}',
	'GET|POST /proxies/{proxy}/toxics',
	'GET|POST|PATCH|DELETE /proxies/{proxy}/toxics/{toxic}',
].join(', ');

function routes(proxies: ProxyCollection): Route[] {
	const ok = (json: unknown): Reply => ({ status: 200, json });
	const noContent: Reply = { status: 204 };
	const updateProxy: Handler = async ([name = ''], body) => ok(await proxies.update(name, await body()));
	const updateToxic: Handler = async ([proxy = '', toxic = ''], body) => ok(await proxies.updateToxic(proxy, toxic, await body()));
	const proxyChange: DescribeAttempt = ([name = ''], body) => {
		const readdressed = body.listen !== undefined || body.upstream !== undefined;
		const kind = readdressed ? 'proxy-update' : body.enabled === false ? 'proxy-disable' : body.enabled === true ? 'proxy-enable' : 'proxy-update';
		return { kind, target: name };
	};
	const toxicChange: DescribeAttempt = ([proxy = '', toxic = '']) => ({ kind: 'toxic-update', target: proxy, parameters: { name: toxic } });
	return [
		{ pattern: /^\/version$/, methods: { GET: async () => ok({ version: VERSION }) }, attempts: {} },
		{
			pattern: /^\/reset$/,
			methods: {
				POST: async () => {
					await proxies.reset();
					return noContent;
				},
			},
			attempts: { POST: () => ({ kind: 'proxy-reset', target: '*' }) },
		},
		{
			pattern: /^\/populate$/,
			methods: { POST: async (_, body) => ({ status: 201, json: { proxies: await proxies.populate(await body()) } }) },
			attempts: { POST: () => ({ kind: 'proxy-create', target: '*' }) },
		},
		{
			pattern: /^\/proxies$/,
			methods: {
				GET: async () => ok(Object.fromEntries(proxies.list().map((proxy) => [proxy.name, proxy]))),
				POST: async (_, body) => ({ status: 201, json: await proxies.create(await body()) }),
			},
			attempts: { POST: (_, body) => ({ kind: 'proxy-create', target: typeof body.name === 'string' && body.name !== '' ? body.name : '(no name)' }) },
		},
		{
			pattern: /^\/proxies\/([^/]+)$/,
			methods: {
				GET: async ([name = '']) => ok(proxies.get(name)),
				POST: updateProxy,
				PATCH: updateProxy,
				DELETE: async ([name = '']) => {
					await proxies.remove(name);
					return noContent;
				},
			},
			attempts: { POST: proxyChange, PATCH: proxyChange, DELETE: ([name = '']) => ({ kind: 'proxy-delete', target: name }) },
		},
		{
			pattern: /^\/proxies\/([^/]+)\/toxics$/,
			methods: {
				GET: async ([name = '']) => ok(proxies.get(name).toxics),
				POST: async ([name = ''], body) => ok(await proxies.addToxic(name, await body())),
			},
			attempts: { POST: ([name = '']) => ({ kind: 'toxic-add', target: name }) },
		},
		{
			pattern: /^\/proxies\/([^/]+)\/toxics\/([^/]+)$/,
			methods: {
				GET: async ([proxy = '', toxic = '']) => ok(proxies.get(proxy).toxic(toxic)),
				POST: updateToxic,
				PATCH: updateToxic,
				DELETE: async ([proxy = '', toxic = '']) => {
					await proxies.removeToxic(proxy, toxic);
					return noContent;
				},
			},
			attempts: {
				POST: toxicChange,
				PATCH: toxicChange,
				DELETE: ([proxy = '', toxic = '']) => ({ kind: 'toxic-remove', target: proxy, parameters: { name: toxic } }),
			},
		},
	];
}

/** The body as the learner sent it when it was a JSON object; anything else tells the log nothing. */
async function sentObject(body: Promise<unknown> | undefined): Promise<Record<string, unknown>> {
	const value = await body?.catch(() => undefined);
	return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

async function readJson(request: http.IncomingMessage): Promise<unknown> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of request as AsyncIterable<Buffer>) {
		size += chunk.length;
		if (size > MAX_BODY_BYTES) throw badRequest(`the body is larger than ${MAX_BODY_BYTES} bytes`);
		chunks.push(chunk);
	}
	const text = Buffer.concat(chunks).toString('utf8');
	// An empty body is an empty object, as Go's decoder sees it for an update that changes nothing.
	if (text.trim() === '') return {};
	try {
		return JSON.parse(text);
	} catch (error) {
		throw badRequest(`not valid JSON (${(error as Error).message})`);
	}
}

function send(response: http.ServerResponse, reply: Reply): void {
	if (reply.json === undefined) {
		response.writeHead(reply.status).end();
		return;
	}
	const text = `${JSON.stringify(reply.json)}\n`;
	response.writeHead(reply.status, { 'Content-Type': 'application/json' }).end(text);
}

function errorReply(error: ApiError): Reply {
	return { status: error.status, json: { error: error.message, status: error.status } };
}

/** The API's request handler, separate from any listener so tests and the entry point share it. */
export function createApiHandler(proxies: ProxyCollection): http.RequestListener {
	const table = routes(proxies);
	return (request, response) => {
		void (async () => {
			// Toxiproxy refuses browsers, so a web page the learner opens cannot reach the API
			// behind their back (cross-site requests carry a browser's user agent).
			if (request.headers['user-agent']?.startsWith('Mozilla/')) {
				response.writeHead(403, { 'Content-Type': 'text/plain' }).end('User agent not allowed\n');
				return;
			}
			const path = new URL(request.url ?? '/', 'http://proxy').pathname.replace(/\/+$/, '') || '/';
			const method = request.method ?? 'GET';
			let params: string[] = [];
			let attempt: DescribeAttempt | undefined;
			let body: Promise<unknown> | undefined;
			try {
				const route = table.find((candidate) => candidate.pattern.test(path));
				if (!route) throw new ApiError(`no such route: ${method} ${path}; the routes are ${ROUTE_LIST}`, 404);
				const handler = route.methods[method];
				if (!handler) {
					throw new ApiError(`method ${method} not allowed on ${path}; use ${Object.keys(route.methods).join(' or ')}`, 405);
				}
				params = (route.pattern.exec(path) ?? []).slice(1).map((part) => decodeURIComponent(part));
				attempt = route.attempts[method];
				send(response, await handler(params, () => (body ??= readJson(request))));
			} catch (error) {
				const failure = error instanceof ApiError ? error : new ApiError(`internal error: ${(error as Error).message}`, 500);
				// A refused change is logged as an attempt, so the log shows what the learner tried.
				if (attempt && failure.status >= 400 && failure.status < 500) {
					const sent = await sentObject(body);
					const { kind, target, parameters } = attempt(params, sent);
					await proxies.notify(proxyEvents.refused(kind, target, { ...sent, ...parameters }, failure.message));
				}
				send(response, errorReply(failure));
			}
		})();
	};
}

export interface ApiServer {
	server: http.Server;
	proxies: ProxyCollection;
	/** Where the API listens, with the real port when port 0 was asked for. */
	port: number;
	close(): Promise<void>;
}

/** Starts the API; closing it stops every proxy too. */
export async function startApi(host: string, port: number, proxies = new ProxyCollection()): Promise<ApiServer> {
	const server = http.createServer(createApiHandler(proxies));
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, () => {
			server.off('error', reject);
			resolve();
		});
	});
	return {
		server,
		proxies,
		port: (server.address() as { port: number }).port,
		async close() {
			for (const proxy of proxies.list()) proxy.stop();
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}
