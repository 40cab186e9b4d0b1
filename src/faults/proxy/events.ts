import type { Toxic } from './toxics.ts';

/**
 * What the proxy API tells whoever listens about each change it made, or refused to make, so the
 * platform's fault log shows network faults next to the others. The proxy itself knows nothing of
 * where these go.
 */

export const PROXY_EVENT_KINDS = [
	'toxic-add',
	'toxic-update',
	'toxic-remove',
	'proxy-disable',
	'proxy-enable',
	'proxy-create',
	'proxy-delete',
	'proxy-update',
	'proxy-reset',
] as const;
export type ProxyEventKind = (typeof PROXY_EVENT_KINDS)[number];

export const PROXY_EVENT_OUTCOMES = ['applied', 'reverted', 'refused'] as const;
export type ProxyEventOutcome = (typeof PROXY_EVENT_OUTCOMES)[number];

/** Bounds the platform's log holds an event to; the proxy trims to them so a long name cannot lose an event. */
export const EVENT_LIMITS = { target: 200, message: 1000, parametersBytes: 2048 } as const;

export interface ProxyEvent {
	kind: ProxyEventKind;
	/** A proxy's name, or `*` for all of them. */
	target: string;
	parameters: Record<string, unknown>;
	outcome: ProxyEventOutcome;
	/** One plain sentence for the learner. */
	message: string;
}

/** Called after each change; the API's answer waits for it, so it must not reject. */
export type ProxyChangeListener = (event: ProxyEvent) => Promise<void> | void;

export interface ProxyState {
	name: string;
	listen: string;
	upstream: string;
	enabled: boolean;
}

function toxicParameters(toxic: Toxic): Record<string, unknown> {
	return { name: toxic.name, type: toxic.type, stream: toxic.stream, toxicity: toxic.toxicity, attributes: toxic.attributes };
}

/** The toxic's effect in the units a learner set it in, e.g. "1000 ms ± 100 ms". */
function effect(toxic: Toxic): string {
	const attr = (name: string) => toxic.attributes[name] ?? 0;
	switch (toxic.type) {
		case 'latency':
			return attr('jitter') > 0 ? `${attr('latency')} ms ± ${attr('jitter')} ms` : `${attr('latency')} ms`;
		case 'bandwidth':
			return `${attr('rate')} KB/s`;
		case 'slow_close':
			return `close delayed ${attr('delay')} ms`;
		case 'timeout':
			return attr('timeout') > 0 ? `data dropped, connection closed after ${attr('timeout')} ms` : 'data dropped, connection held open';
		case 'reset_peer':
			return `connection reset after ${attr('timeout')} ms`;
		case 'slicer':
			return `slices of ${attr('average_size')} ± ${attr('size_variation')} bytes, ${attr('delay')} µs apart`;
		case 'limit_data':
			return `connection closed after ${attr('bytes')} bytes`;
	}
}

function describeToxic(verb: string, proxy: string, toxic: Toxic): string {
	return `${verb} ${toxic.type} toxic ${toxic.name} on ${proxy}: ${effect(toxic)}, ${toxic.stream}, toxicity ${toxic.toxicity}.`;
}

function addresses(proxy: ProxyState): Record<string, unknown> {
	return { listen: proxy.listen, upstream: proxy.upstream, enabled: proxy.enabled };
}

export const proxyEvents = {
	toxicAdded: (proxy: string, toxic: Toxic): ProxyEvent => ({
		kind: 'toxic-add',
		target: proxy,
		parameters: toxicParameters(toxic),
		outcome: 'applied',
		message: describeToxic('Added', proxy, toxic),
	}),
	toxicUpdated: (proxy: string, toxic: Toxic): ProxyEvent => ({
		kind: 'toxic-update',
		target: proxy,
		parameters: toxicParameters(toxic),
		outcome: 'applied',
		message: describeToxic('Updated', proxy, toxic),
	}),
	toxicRemoved: (proxy: string, toxic: Toxic): ProxyEvent => ({
		kind: 'toxic-remove',
		target: proxy,
		parameters: { name: toxic.name, type: toxic.type },
		outcome: 'reverted',
		message: `Removed ${toxic.type} toxic ${toxic.name} from ${proxy}.`,
	}),
	created: (proxy: ProxyState): ProxyEvent => ({
		kind: 'proxy-create',
		target: proxy.name,
		parameters: addresses(proxy),
		outcome: 'applied',
		message: proxy.enabled
			? `Created proxy ${proxy.name}: ${proxy.listen} forwards to ${proxy.upstream}.`
			: `Created proxy ${proxy.name}, disabled: nothing listens on ${proxy.listen} until it is enabled.`,
	}),
	updated: (before: ProxyState, after: ProxyState): ProxyEvent => ({
		kind: 'proxy-update',
		target: after.name,
		parameters: addresses(after),
		outcome: 'applied',
		message: `Changed proxy ${after.name}: it was ${before.listen} to ${before.upstream}, now ${after.listen} to ${after.upstream}.`,
	}),
	deleted: (proxy: ProxyState): ProxyEvent => ({
		kind: 'proxy-delete',
		target: proxy.name,
		parameters: { listen: proxy.listen, upstream: proxy.upstream },
		outcome: 'applied',
		message: `Deleted proxy ${proxy.name}: nothing forwards from ${proxy.listen} to ${proxy.upstream} any more.`,
	}),
	disabled: (proxy: ProxyState): ProxyEvent => ({
		kind: 'proxy-disable',
		target: proxy.name,
		parameters: addresses(proxy),
		outcome: 'applied',
		message: `Disabled proxy ${proxy.name}: connections to ${proxy.listen} are refused and open ones were cut, as if ${proxy.upstream} were down.`,
	}),
	enabled: (proxy: ProxyState): ProxyEvent => ({
		kind: 'proxy-enable',
		target: proxy.name,
		parameters: addresses(proxy),
		outcome: 'reverted',
		message: `Enabled proxy ${proxy.name} again: ${proxy.listen} forwards to ${proxy.upstream}.`,
	}),
	reset: (toxicsRemoved: number, proxiesEnabled: number): ProxyEvent => ({
		kind: 'proxy-reset',
		target: '*',
		parameters: { toxicsRemoved, proxiesEnabled },
		outcome: 'reverted',
		message: `Reset the proxies: all toxics removed (${toxicsRemoved}) and all proxies enabled (${proxiesEnabled} had been disabled).`,
	}),
	refused: (kind: ProxyEventKind, target: string, parameters: Record<string, unknown>, reason: string): ProxyEvent => ({
		kind,
		target,
		parameters,
		outcome: 'refused',
		message: `Refused ${REFUSED_ACTIONS[kind]} ${target === '*' ? 'the proxies' : target}: ${reason.replace(/\.?$/, '.')}`,
	}),
};

const REFUSED_ACTIONS: Record<ProxyEventKind, string> = {
	'toxic-add': 'to add a toxic on',
	'toxic-update': 'to update a toxic on',
	'toxic-remove': 'to remove a toxic from',
	'proxy-disable': 'to disable',
	'proxy-enable': 'to enable',
	'proxy-create': 'to create',
	'proxy-delete': 'to delete',
	'proxy-update': 'to change',
	'proxy-reset': 'to reset',
};

/**
 * The event cut to the log's bounds: the learner names proxies and sends the bodies, and an event
 * the platform refuses for its size would vanish from the log altogether.
 */
export function fitForLog(event: ProxyEvent): ProxyEvent {
	const clip = (text: string, limit: number) => (text.length <= limit ? text : `${text.slice(0, limit - 1)}…`);
	const size = Buffer.byteLength(JSON.stringify(event.parameters));
	return {
		...event,
		target: clip(event.target, EVENT_LIMITS.target),
		message: clip(event.message, EVENT_LIMITS.message),
		parameters: size <= EVENT_LIMITS.parametersBytes ? event.parameters : { omitted: `the parameters were ${size} bytes, over the log's ${EVENT_LIMITS.parametersBytes}` },
	};
}
