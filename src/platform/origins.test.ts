import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { isAllowedHost, isSameOrigin } from './origins.ts';

const CONFIGURED = ['course.example.com'];

describe('isAllowedHost', () => {
	it.each(['localhost', 'localhost:4321', '127.0.0.1', '127.0.0.1:4321', '[::1]', '[::1]:4321'])('allows the loopback name %s', (host) => {
		expect(isAllowedHost(host, [])).toBe(true);
	});

	it('allows loopback names in any case', () => {
		expect(isAllowedHost('LocalHost:4321', [])).toBe(true);
	});

	it('allows a configured host name, with or without a port, in any case', () => {
		expect(isAllowedHost('course.example.com', CONFIGURED)).toBe(true);
		expect(isAllowedHost('course.example.com:8443', CONFIGURED)).toBe(true);
		expect(isAllowedHost('Course.Example.COM', CONFIGURED)).toBe(true);
	});

	it('refuses a host name that is not configured, such as a DNS-rebinding name that resolves to loopback', () => {
		expect(isAllowedHost('evil.example:4321', CONFIGURED)).toBe(false);
		expect(isAllowedHost('evil.example', [])).toBe(false);
		expect(isAllowedHost('course.example.com', [])).toBe(false);
	});

	it('refuses names that only look like loopback', () => {
		expect(isAllowedHost('localhost.evil.example', [])).toBe(false);
		expect(isAllowedHost('localhost@evil.example', [])).toBe(false);
		expect(isAllowedHost('127.0.0.1.nip.io', [])).toBe(false);
	});

	it('refuses a missing or empty Host', () => {
		expect(isAllowedHost(undefined, CONFIGURED)).toBe(false);
		expect(isAllowedHost('', CONFIGURED)).toBe(false);
	});

	it('refuses a Host that is not a host name at all', () => {
		expect(isAllowedHost('localhost:not-a-port', [])).toBe(false);
		expect(isAllowedHost('::1', [])).toBe(false);
		expect(isAllowedHost(' localhost', [])).toBe(false);
	});
});

describe('isSameOrigin', () => {
	/** The same request headers, as Node's http module and as the fetch API give them. */
	const shapes = [
		['Node headers', (headers: Record<string, string>): IncomingHttpHeaders => headers],
		['fetch Headers', (headers: Record<string, string>) => new Headers(headers)],
	] as const;

	describe.each(shapes)('with %s', (_shape, make) => {
		it('accepts an Origin that names the very host the request went to', () => {
			expect(isSameOrigin(make({ origin: 'http://localhost:4321', host: 'localhost:4321' }), [])).toBe(true);
			expect(isSameOrigin(make({ origin: 'http://[::1]:4321', host: '[::1]:4321' }), [])).toBe(true);
			expect(isSameOrigin(make({ origin: 'https://course.example.com', host: 'course.example.com' }), CONFIGURED)).toBe(true);
		});

		it('compares host names without regard to case', () => {
			expect(isSameOrigin(make({ origin: 'http://LOCALHOST:4321', host: 'localhost:4321' }), [])).toBe(true);
			expect(isSameOrigin(make({ origin: 'http://localhost:4321', host: 'LocalHost:4321' }), [])).toBe(true);
		});

		it('refuses an Origin on another port of the same host', () => {
			expect(isSameOrigin(make({ origin: 'http://localhost:3000', host: 'localhost:4321' }), [])).toBe(false);
			expect(isSameOrigin(make({ origin: 'http://localhost', host: 'localhost:4321' }), [])).toBe(false);
		});

		it('refuses another loopback name for the same machine', () => {
			expect(isSameOrigin(make({ origin: 'http://127.0.0.1:4321', host: 'localhost:4321' }), [])).toBe(false);
		});

		// The scheme is not compared: behind a TLS-terminating proxy the page is https while the platform hears http.
		it('accepts an Origin whose scheme differs, when host and port match', () => {
			expect(isSameOrigin(make({ origin: 'https://localhost:4321', host: 'localhost:4321' }), [])).toBe(true);
		});

		it('refuses a page of a rebinding name even when Origin and Host agree', () => {
			expect(isSameOrigin(make({ origin: 'http://evil.example:4321', host: 'evil.example:4321' }), CONFIGURED)).toBe(false);
		});

		it('refuses a request without an Origin or without a Host', () => {
			expect(isSameOrigin(make({ host: 'localhost:4321' }), [])).toBe(false);
			expect(isSameOrigin(make({ origin: 'http://localhost:4321' }), [])).toBe(false);
		});

		it('refuses the opaque Origin "null" and an Origin that is not a URL', () => {
			expect(isSameOrigin(make({ origin: 'null', host: 'localhost:4321' }), [])).toBe(false);
			expect(isSameOrigin(make({ origin: 'not a url', host: 'localhost:4321' }), [])).toBe(false);
			expect(isSameOrigin(make({ origin: 'localhost:4321', host: 'localhost:4321' }), [])).toBe(false);
			expect(isSameOrigin(make({ origin: 'file:///home/learner/page.html', host: 'localhost:4321' }), [])).toBe(false);
		});
	});

	it('reads the first value when Node gives a header as a list', () => {
		const headers: IncomingHttpHeaders = { host: 'localhost:4321' };
		Object.assign(headers, { origin: ['http://localhost:4321', 'http://evil.example'] });

		expect(isSameOrigin(headers, [])).toBe(true);
	});
});
