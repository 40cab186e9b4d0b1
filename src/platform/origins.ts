import type { IncomingHttpHeaders } from 'node:http';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Whether a request's Host is one the platform answers to. Checking it defeats DNS rebinding: a
 * hostile page whose name resolves to 127.0.0.1 still sends its own name as Host.
 */
export function isAllowedHost(hostHeader: string | undefined, allowedHosts: readonly string[]): boolean {
	if (!hostHeader) return false;
	const hostname = hostnameOf(hostHeader);
	return hostname !== undefined && (LOOPBACK_HOSTS.has(hostname) || allowedHosts.includes(hostname));
}

/**
 * Whether a request that changes state (or opens a terminal) comes from a page of this platform:
 * its Origin must name the very host the request was sent to, and that host must be allowed.
 */
export function isSameOrigin(headers: IncomingHttpHeaders | Headers, allowedHosts: readonly string[]): boolean {
	const origin = header(headers, 'origin');
	const host = header(headers, 'host');
	if (!origin || !host || !isAllowedHost(host, allowedHosts)) return false;
	try {
		return new URL(origin).host === host.toLowerCase();
	} catch {
		return false;
	}
}

function header(headers: IncomingHttpHeaders | Headers, name: string): string | undefined {
	if (headers instanceof Headers) return headers.get(name) ?? undefined;
	const value = headers[name];
	return Array.isArray(value) ? value[0] : value;
}

/** A Host header is a name or address and an optional port, nothing else. */
const HOST_HEADER = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

function hostnameOf(host: string): string | undefined {
	if (!HOST_HEADER.test(host)) return undefined;
	try {
		return new URL(`http://${host}`).hostname.toLowerCase();
	} catch {
		return undefined;
	}
}
