import { z } from 'zod';
import { ApiError, badRequest, describeIssues, missingField, proxyNotFound } from './errors.ts';
import { proxyEvents, type ProxyChangeListener, type ProxyEvent, type ProxyState } from './events.ts';
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

export type NewProxy = ProxyState;

function newProxy(body: unknown, where?: string): NewProxy {
	const fields = parse(ProxyFields, body, where);
	const suffix = where ? ` at ${where}` : '';
	if (!fields.name) throw missingField(`name${suffix}`);
	if (!fields.upstream) throw missingField(`upstream${suffix}`);
	// Like Go's net.Listen(""): every interface, any free port.
	const listen = fields.listen ?? ':0';
	const enabled = fields.enabled ?? true;
	try {
		parseAddress(fields.upstream, 'upstream');
		parseAddress(listen, 'listen');
	} catch (error) {
		if (where && error instanceof ApiError) throw new ApiError(`${where}: ${error.message}`, error.status);
		throw error;
	}
	return { name: fields.name, listen, upstream: fields.upstream, enabled };
}

/**
 * The proxies of a populate request (or of a config given at start), every entry checked before
 * anything is created, each named by its place in the list when it is wrong.
 */
export function checkPopulate(body: unknown): NewProxy[] {
	if (!Array.isArray(body)) throw badRequest('expected a JSON array of proxies, like [{"name": "redis", "listen": "0.0.0.0:26379", "upstream": "redis:6379"}]');
	const inputs = body.map((entry, index) => newProxy(entry, `proxy ${index + 1}`));
	const names = new Set<string>();
	for (const input of inputs) {
		if (names.has(input.name)) throw badRequest(`duplicate proxy name "${input.name}": each proxy needs its own name`);
		names.add(input.name);
	}
	return inputs;
}

function stateOf(proxy: Proxy): ProxyState {
	return { name: proxy.name, listen: proxy.listen, upstream: proxy.upstream, enabled: proxy.enabled };
}

export class ProxyCollection {
	private readonly proxies = new Map<string, Proxy>();
	private listener: ProxyChangeListener | undefined;

	/** Who hears of each change from now on; changes made before (a lab's own proxies) are not news. */
	onChange(listener: ProxyChangeListener | undefined): void {
		this.listener = listener;
	}

	/** Tells the listener, and returns once it has taken the event, so an answer sent after it is in step. */
	async notify(event: ProxyEvent): Promise<void> {
		await this.listener?.(event);
	}

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
		await this.notify(proxyEvents.created(stateOf(proxy)));
		return proxy;
	}

	/**
	 * Toxiproxy's populate: every entry is checked before anything changes; a proxy with the same
	 * name and addresses is kept as it is (toxics and connections included), one with new
	 * addresses replaces it.
	 */
	async populate(body: unknown): Promise<Proxy[]> {
		const inputs = checkPopulate(body);
		const result: Proxy[] = [];
		const events: ProxyEvent[] = [];
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
			events.push(existing ? proxyEvents.updated(stateOf(existing), stateOf(proxy)) : proxyEvents.created(stateOf(proxy)));
		}
		for (const event of events) await this.notify(event);
		return result;
	}

	async update(name: string, body: unknown): Promise<Proxy> {
		const proxy = this.get(name);
		const fields = parse(ProxyFields, body);
		if (fields.name !== undefined && fields.name !== name) {
			throw badRequest(`a proxy cannot be renamed ("${name}" to "${fields.name}"); create a new one and delete this one`);
		}
		const before = stateOf(proxy);
		await proxy.update(fields);
		const after = stateOf(proxy);
		if (after.listen !== before.listen || after.upstream !== before.upstream) await this.notify(proxyEvents.updated(before, after));
		if (after.enabled !== before.enabled) await this.notify(after.enabled ? proxyEvents.enabled(after) : proxyEvents.disabled(after));
		return proxy;
	}

	async remove(name: string): Promise<void> {
		const proxy = this.get(name);
		proxy.stop();
		this.proxies.delete(name);
		await this.notify(proxyEvents.deleted(stateOf(proxy)));
	}

	/**
	 * Toxiproxy's /reset: every proxy enabled again and every toxic gone. The proxies themselves
	 * stay, so those a lab set up survive a learner's reset.
	 */
	async reset(): Promise<{ toxicsRemoved: number; proxiesEnabled: number }> {
		let toxicsRemoved = 0;
		let proxiesEnabled = 0;
		for (const proxy of this.proxies.values()) {
			toxicsRemoved += proxy.toxics.length;
			proxy.removeAllToxics();
			if (!proxy.enabled) proxiesEnabled += 1;
			await proxy.start();
		}
		await this.notify(proxyEvents.reset(toxicsRemoved, proxiesEnabled));
		return { toxicsRemoved, proxiesEnabled };
	}

	async addToxic(proxyName: string, body: unknown): Promise<Toxic> {
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
		await this.notify(proxyEvents.toxicAdded(proxy.name, toxic));
		return toxic;
	}

	/** Attributes given are merged into the current ones; the name, type and stream stay. */
	async updateToxic(proxyName: string, toxicName: string, body: unknown): Promise<Toxic> {
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
		await this.notify(proxyEvents.toxicUpdated(proxy.name, toxic));
		return toxic;
	}

	async removeToxic(proxyName: string, toxicName: string): Promise<void> {
		const proxy = this.get(proxyName);
		const toxic = proxy.toxic(toxicName);
		proxy.removeToxic(toxicName);
		await this.notify(proxyEvents.toxicRemoved(proxy.name, toxic));
	}
}
