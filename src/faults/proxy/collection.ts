import { z } from 'zod';
import { ApiError, badRequest, describeIssues, missingField, proxyNotFound } from './errors.ts';
import { parseAddress, Proxy } from './proxy.ts';
import { ATTRIBUTES, isToxicType, STREAMS, strictFields, TOXIC_TYPES, type Toxic } from './toxics.ts';

/**
 * Every proxy by name, and the checks on what the API is sent: each request body is validated
 * here, once, and the proxies below trust what they are given.
 */

const ProxyFields = strictFields(
	{
		name: z.string({ error: 'name must be a string' }).optional(),
		listen: z.string({ error: 'listen must be a string like "0.0.0.0:26379"' }).optional(),
		upstream: z.string({ error: 'upstream must be a string like "redis:6379"' }).optional(),
		enabled: z.boolean({ error: 'enabled must be true or false' }).optional(),
	},
	'proxy field',
);

const ToxicFields = strictFields(
	{
		name: z.string({ error: 'name must be a string' }).optional(),
		type: z.string({ error: `type must be a string, one of ${TOXIC_TYPES.join(', ')}` }).optional(),
		stream: z.string({ error: 'stream must be "upstream" or "downstream"' }).optional(),
		toxicity: z
			.number({ error: 'toxicity must be a number from 0 to 1' })
			.min(0, 'toxicity must be at least 0 (never applies)')
			.max(1, 'toxicity must be at most 1 (applies to every connection)')
			.optional(),
		attributes: z.record(z.string(), z.unknown(), { error: 'attributes must be an object' }).optional(),
	},
	'toxic field',
);

function parse<T>(schema: z.ZodType<T>, body: unknown, where?: string): T {
	const result = schema.safeParse(body);
	if (!result.success) throw badRequest(describeIssues(result.error, where ? `${where}: ` : ''));
	return result.data;
}

function checkedAttributes(type: Toxic['type'], attributes: unknown): Toxic['attributes'] {
	const result = ATTRIBUTES[type].safeParse(attributes);
	if (!result.success) throw badRequest(describeIssues(result.error, 'attributes.'));
	return result.data;
}

interface NewProxy {
	name: string;
	listen: string;
	upstream: string;
	enabled: boolean;
}

function newProxy(body: unknown, where?: string): NewProxy {
	const fields = parse(ProxyFields, body, where);
	const suffix = where ? ` at ${where}` : '';
	if (!fields.name) throw missingField(`name${suffix}`);
	if (!fields.upstream) throw missingField(`upstream${suffix}`);
	// Like Go's net.Listen(""): every interface, any free port.
	const listen = fields.listen ?? ':0';
	const enabled = fields.enabled ?? true;
	parseAddress(fields.upstream, 'upstream');
	parseAddress(listen, 'listen');
	return { name: fields.name, listen, upstream: fields.upstream, enabled };
}

export class ProxyCollection {
	private readonly proxies = new Map<string, Proxy>();

	list(): Proxy[] {
		return [...this.proxies.values()];
	}

	get(name: string): Proxy {
		const proxy = this.proxies.get(name);
		if (!proxy) throw proxyNotFound(name, [...this.proxies.keys()]);
		return proxy;
	}

	async create(body: unknown): Promise<Proxy> {
		const input = newProxy(body);
		if (this.proxies.has(input.name)) {
			throw new ApiError(`proxy already exists: "${input.name}"; update it with POST /proxies/${input.name}, or delete it first`, 409);
		}
		const proxy = new Proxy(input.name, input.listen, input.upstream);
		if (input.enabled) await proxy.start();
		this.proxies.set(proxy.name, proxy);
		return proxy;
	}

	/**
	 * Toxiproxy's populate: every entry is checked before anything changes; a proxy with the same
	 * name and addresses is kept as it is (toxics and connections included), one with new
	 * addresses replaces it.
	 */
	async populate(body: unknown): Promise<Proxy[]> {
		if (!Array.isArray(body)) throw badRequest('expected a JSON array of proxies, like [{"name": "redis", "listen": "0.0.0.0:26379", "upstream": "redis:6379"}]');
		const inputs = body.map((entry, index) => newProxy(entry, `proxy ${index + 1}`));
		const names = new Set<string>();
		for (const input of inputs) {
			if (names.has(input.name)) throw badRequest(`duplicate proxy name "${input.name}": each proxy needs its own name`);
			names.add(input.name);
		}
		const result: Proxy[] = [];
		for (const input of inputs) {
			const existing = this.proxies.get(input.name);
			if (existing && existing.listen === input.listen && existing.upstream === input.upstream) {
				result.push(existing);
				continue;
			}
			existing?.stop();
			const proxy = new Proxy(input.name, input.listen, input.upstream);
			if (input.enabled) await proxy.start();
			this.proxies.set(proxy.name, proxy);
			result.push(proxy);
		}
		return result;
	}

	async update(name: string, body: unknown): Promise<Proxy> {
		const proxy = this.get(name);
		const fields = parse(ProxyFields, body);
		if (fields.name !== undefined && fields.name !== name) {
			throw badRequest(`a proxy cannot be renamed ("${name}" to "${fields.name}"); create a new one and delete this one`);
		}
		await proxy.update(fields);
		return proxy;
	}

	remove(name: string): void {
		this.get(name).stop();
		this.proxies.delete(name);
	}

	/** Toxiproxy's /reset: every proxy enabled again and every toxic gone. */
	async reset(): Promise<void> {
		for (const proxy of this.proxies.values()) {
			proxy.removeAllToxics();
			await proxy.start();
		}
	}

	addToxic(proxyName: string, body: unknown): Toxic {
		const proxy = this.get(proxyName);
		const fields = parse(ToxicFields, body);
		if (fields.type === undefined || !isToxicType(fields.type)) {
			const got = fields.type === undefined ? 'none given' : `got "${fields.type}"`;
			throw new ApiError(`invalid toxic type (${got}); valid types are ${TOXIC_TYPES.join(', ')}`, 400);
		}
		const stream = fields.stream ?? 'downstream';
		if (!(STREAMS as readonly string[]).includes(stream)) {
			throw new ApiError(`stream was invalid (got "${stream}"), can be either upstream or downstream`, 400);
		}
		const toxic: Toxic = {
			name: fields.name || `${fields.type}_${stream}`,
			type: fields.type,
			stream: stream as Toxic['stream'],
			toxicity: fields.toxicity ?? 1,
			attributes: checkedAttributes(fields.type, fields.attributes ?? {}),
		};
		proxy.addToxic(toxic);
		return toxic;
	}

	/** Attributes given are merged into the current ones; the name, type and stream stay. */
	updateToxic(proxyName: string, toxicName: string, body: unknown): Toxic {
		const proxy = this.get(proxyName);
		const current = proxy.toxic(toxicName);
		const fields = parse(ToxicFields, body);
		for (const key of ['name', 'type', 'stream'] as const) {
			if (fields[key] !== undefined && fields[key] !== current[key]) {
				throw badRequest(`a toxic's ${key} cannot change ("${current[key]}" to "${fields[key]}"); delete it and add a new one`);
			}
		}
		const toxic: Toxic = {
			...current,
			toxicity: fields.toxicity ?? current.toxicity,
			attributes: checkedAttributes(current.type, { ...current.attributes, ...fields.attributes }),
		};
		proxy.replaceToxic(toxic);
		return toxic;
	}
}
