import http from 'node:http';
import { startApi, type ApiServer } from '../proxy/api.ts';
import { checkPopulate, ProxyCollection, type NewProxy } from '../proxy/collection.ts';
import { ApiError } from '../proxy/errors.ts';
import { channelDelivery, startHealthSampler, type HealthTarget } from './health.ts';
import { callChannel, ChannelTimeout, type ChannelReply } from './channel.ts';
import { createProxyEventReporter } from './reporter.ts';

/**
 * The fault agent in every sandbox's `faults` helper container. The learner's workstation reaches
 * it by name: the fault API on port 80, forwarded unchanged to the platform over this sandbox's
 * channel, and the Toxiproxy-compatible proxy API on 8474, served here in the same process. The
 * agent itself decides nothing about faults; it only guards the channel (size, type, time) and
 * says clearly when the platform is not there.
 */

/** The platform's answer to a fault request is a record of a few hundred bytes; requests are as small. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export interface AgentTimeouts {
	/** POST /faults and POST /reset: longer than the platform's own 15 s wait on a pressure exec, so its answer wins. */
	applyMs: number;
	/** GET /faults: a read of the log. */
	readMs: number;
	/** The platform probe behind GET /health. */
	healthMs: number;
	/** Logging one proxy change; the learner's proxy request waits this long at most for it. */
	reportMs: number;
}

export const DEFAULT_TIMEOUTS: AgentTimeouts = { applyMs: 20_000, readMs: 5_000, healthMs: 1_000, reportMs: 3_000 };

const PROXIES_FIX = '--proxies takes a JSON array like [{"name":"redis","listen":"0.0.0.0:26379","upstream":"redis:6379","enabled":true}]; correct the lab\'s proxies.';

/** A mistake in how the agent was started, said in terms of its command line. */
export class AgentConfigError extends Error {}

/**
 * `--proxies`: the lab's proxies, in the format of POST /populate and checked the same way, so a
 * lab that works against Toxiproxy works here and a wrong entry is named before anything starts.
 */
export function parseProxiesOption(text: string): NewProxy[] {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (error) {
		throw new AgentConfigError(`--proxies is not valid JSON (${(error as Error).message}).\n${PROXIES_FIX}`);
	}
	try {
		return checkPopulate(value);
	} catch (error) {
		if (error instanceof ApiError) throw new AgentConfigError(`--proxies: ${error.message.replace(/^bad request body: /, '').replace(/\.?$/, '.')}\n${PROXIES_FIX}`);
		throw error;
	}
}

export interface AgentOptions {
	host: string;
	port: number;
	proxyPort: number;
	/** The platform's UNIX socket for this sandbox. */
	channel: string;
	/** Created before either API answers, and not reported: they are the lab's, not the learner's doing. */
	proxies?: NewProxy[];
	timeouts?: Partial<AgentTimeouts>;
	/** Where a failure to log proxy changes is told (the container's stderr by default). */
	warn?: (line: string) => void;
	/** The lab's health target, sampled for the platform's health series. */
	health?: HealthTarget;
}

export interface Agent {
	/** The real ports, when 0 was asked for. */
	port: number;
	proxyPort: number;
	proxy: ApiServer;
	close(): Promise<void>;
}

const UNREACHABLE = {
	error: 'The platform is not reachable from this sandbox right now; try again in a moment.',
	fix: 'If it keeps failing, reset the lab from the lab page.',
};

interface Reply {
	status: number;
	body: unknown;
	headers?: http.OutgoingHttpHeaders;
}

class Refusal extends Error {
	readonly reply: Reply;
	constructor(status: number, error: string, fix: string) {
		super(error);
		this.reply = { status, body: { error, fix } };
	}
}

export async function startAgent(options: AgentOptions): Promise<Agent> {
	const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
	const warn = options.warn ?? ((line: string) => process.stderr.write(`${line}\n`));
	const proxies = new ProxyCollection();
	const proxy = await startApi(options.host, options.proxyPort, proxies);
	const server = http.createServer(createAgentHandler(options.channel, proxy, timeouts));
	try {
		if (options.proxies) {
			await proxies.populate(options.proxies).catch((error: Error) => {
				throw error instanceof ApiError ? new AgentConfigError(`--proxies: ${error.message}.\n${PROXIES_FIX}`) : error;
			});
		}
		proxies.onChange(createProxyEventReporter(options.channel, timeouts.reportMs, warn));
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(options.port, options.host, () => {
				server.off('error', reject);
				resolve();
			});
		});
	} catch (error) {
		await proxy.close();
		throw error;
	}
	const sampler = options.health ? startHealthSampler({ ...options.health, deliver: channelDelivery(options.channel, timeouts.reportMs), warn }) : undefined;
	return {
		port: (server.address() as { port: number }).port,
		proxyPort: proxy.port,
		proxy,
		async close() {
			await sampler?.stop();
			server.closeAllConnections();
			await new Promise<void>((resolve) => server.close(() => resolve()));
			await proxy.close();
		},
	};
}

/** The fault API's request handler, separate from the listener so the routes can be read in one place. */
export function createAgentHandler(channel: string, proxy: ApiServer, timeouts: AgentTimeouts): http.RequestListener {
	const forward = async (call: Parameters<typeof callChannel>[1]): Promise<ChannelReply | Reply> => {
		try {
			return await callChannel(channel, call);
		} catch (error) {
			if (!(error instanceof ChannelTimeout)) return { status: 503, body: UNREACHABLE };
			const applying = call.method === 'POST';
			return {
				status: 504,
				body: {
					error: `The platform did not answer within ${call.timeoutMs / 1000} s.`,
					fix: applying ? 'It may still have done it: check `faults log` (GET /faults) before trying again.' : 'Try again in a moment.',
				},
			};
		}
	};

	const handlers: Record<string, (request: http.IncomingMessage) => Promise<ChannelReply | Reply>> = {
		'GET /health': async () => {
			const platform = await callChannel(channel, { method: 'GET', path: '/health', timeoutMs: timeouts.healthMs }).then(
				(reply) => reply.status === 200,
				() => false,
			);
			return { status: 200, body: { ok: true, platform } };
		},
		'GET /faults': async () => forward({ method: 'GET', path: '/faults', timeoutMs: timeouts.readMs }),
		'POST /faults': async (request) => {
			requireJson(request, true);
			const body = await readBody(request);
			return forward({ method: 'POST', path: '/faults', body, timeoutMs: timeouts.applyMs });
		},
		'POST /reset': async (request) => {
			requireJson(request, false);
			await readBody(request);
			// The proxies live here, not on the platform, so a reset of the sandbox's faults includes them.
			await proxy.proxies.reset();
			return forward({ method: 'POST', path: '/reset', timeoutMs: timeouts.applyMs });
		},
	};

	return (request, response) => {
		void (async () => {
			let reply: ChannelReply | Reply;
			try {
				reply = await route(request, handlers);
			} catch (error) {
				reply = error instanceof Refusal ? error.reply : { status: 500, body: { error: `The fault agent failed: ${(error as Error).message}`, fix: 'Try again in a moment.' } };
			}
			if ('contentType' in reply) {
				response.writeHead(reply.status, { 'content-type': reply.contentType, 'content-length': reply.body.length }).end(reply.body);
			} else {
				const text = JSON.stringify(reply.body);
				response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers }).end(text);
			}
		})();
	};
}

async function route(
	request: http.IncomingMessage,
	handlers: Record<string, (request: http.IncomingMessage) => Promise<ChannelReply | Reply>>,
): Promise<ChannelReply | Reply> {
	const path = new URL(request.url ?? '/', 'http://faults').pathname.replace(/(.)\/+$/, '$1');
	const method = request.method ?? 'GET';
	const handler = handlers[`${method} ${path}`];
	if (handler) return handler(request);
	const routes = Object.keys(handlers);
	const allowed = routes.filter((known) => known.endsWith(` ${path}`)).map((known) => known.split(' ')[0] ?? '');
	if (allowed.length === 0) throw new Refusal(404, `No route ${method} ${path}.`, `The fault API has ${routes.join(', ')}.`);
	const refusal = new Refusal(405, `${path} does not take ${method}.`, `Use ${allowed.join(' or ')} ${path}.`);
	refusal.reply.headers = { allow: allowed.join(', ') };
	throw refusal;
}

/** JSON only, so a form post or a typo'd header is answered plainly rather than half-understood. */
function requireJson(request: http.IncomingMessage, bodyRequired: boolean): void {
	const type = request.headers['content-type'];
	const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'] !== undefined;
	if (!bodyRequired && !hasBody && type === undefined) return;
	if (type?.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
		throw new Refusal(
			415,
			`The fault API takes JSON, not ${type ? `"${type}"` : 'a body without a Content-Type'}.`,
			'Send the header `Content-Type: application/json` (curl: -H \'Content-Type: application/json\').',
		);
	}
}

/**
 * The body, up to the limit. Past it the rest is read and dropped before the 413 goes out, so the
 * client has finished sending and reads the answer rather than a reset connection.
 */
function readBody(request: http.IncomingMessage): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		request.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size <= BODY_LIMIT_BYTES) chunks.push(chunk);
			else chunks.length = 0;
		});
		request.on('end', () => {
			if (size <= BODY_LIMIT_BYTES) resolve(Buffer.concat(chunks));
			else reject(new Refusal(413, `The request is larger than ${BODY_LIMIT_BYTES / 1024} KiB.`, 'Send one fault as a small JSON object, e.g. {"kind": "pause", "target": "redis"}.'));
		});
		request.on('error', reject);
	});
}
