import { describe, expect, it } from 'vitest';
import { substitute, substituteActivity, substituteString } from './substitute.ts';
import type { Activity, Scope } from './types.ts';

const scope: Scope = {
	configuration: { port: 8080, host: 'localhost', ratio: 0.5, on: true, off: false, nothing: null, a: 'A', ab: 'AB', shared: 'from configuration' },
	secrets: {
		first: { token: 's3cret', shared: 'from first scope', both: 'first' },
		second: { both: 'second', list: [1, 'two'], map: { 'it\'s': 'x', nested: [true, null] } },
	},
};

describe('substituteString', () => {
	it('keeps the value type when the whole string is exactly ${name}', () => {
		expect(substituteString('${port}', scope)).toBe(8080);
		expect(substituteString('${ratio}', scope)).toBe(0.5);
		expect(substituteString('${on}', scope)).toBe(true);
		expect(substituteString('${nothing}', scope)).toBeNull();
		expect(substituteString('${list}', scope)).toEqual([1, 'two']);
	});

	it('renders a whole-string $name as text: the reference types only the braced form', () => {
		expect(substituteString('$port', scope)).toBe('8080');
		expect(substituteString('$on', scope)).toBe('True');
	});

	it('renders values inside longer strings the way Python str() does', () => {
		expect(substituteString('http://${host}:${port}/', scope)).toBe('http://localhost:8080/');
		expect(substituteString('${on}/${off}/${nothing}/${ratio}', scope)).toBe('True/False/None/0.5');
		expect(substituteString('list=${list}', scope)).toBe("list=[1, 'two']");
		expect(substituteString('map=${map}', scope)).toBe(`map={"it's": 'x', 'nested': [True, None]}`);
	});

	it('reads $$ as a literal $, and does not substitute what follows it', () => {
		expect(substituteString('$$', scope)).toBe('$');
		expect(substituteString('cost: $$5', scope)).toBe('cost: $5');
		expect(substituteString('$${port}', scope)).toBe('${port}');
		expect(substituteString('$$$port', scope)).toBe('$8080');
	});

	it('leaves unknown keys as written, braced or not', () => {
		expect(substituteString('${missing}', scope)).toBe('${missing}');
		expect(substituteString('$missing and ${port}', scope)).toBe('$missing and 8080');
	});

	it('leaves a $ that starts no identifier alone', () => {
		expect(substituteString('price $ 5, ${not valid}, ${, $1, end $', scope)).toBe('price $ 5, ${not valid}, ${, $1, end $');
	});

	it('takes the longest identifier after a bare $, so adjacent text needs braces', () => {
		expect(substituteString('$ab', scope)).toBe('AB');
		expect(substituteString('${a}b', scope)).toBe('Ab');
		expect(substituteString('$abc', scope)).toBe('$abc');
		expect(substituteString('$a.b $a-b $a/b', scope)).toBe('A.b A-b A/b');
	});

	it('matches identifiers case-insensitively but looks them up case-sensitively', () => {
		expect(substituteString('${PORT}', scope)).toBe('${PORT}');
		expect(substituteString('${Port}', { configuration: { Port: 1 }, secrets: {} })).toBe(1);
		expect(substituteString('${_x9}', { configuration: { _x9: 'ok' }, secrets: {} })).toBe('ok');
		expect(substituteString('${9x}', { configuration: { '9x': 'no' }, secrets: {} })).toBe('${9x}');
	});

	it('looks in configuration first, then each secret scope in order', () => {
		expect(substituteString('${shared}', scope)).toBe('from configuration');
		expect(substituteString('${both}', scope)).toBe('first');
		expect(substituteString('${token}', scope)).toBe('s3cret');
	});

	it('substitutes once: a value that itself looks like a placeholder is not expanded again', () => {
		const chained: Scope = { configuration: { outer: '${inner}', inner: 'deep' }, secrets: {} };
		expect(substituteString('${outer}', chained)).toBe('${inner}');
		expect(substituteString('x ${outer}', chained)).toBe('x ${inner}');
	});
});

describe('substitute', () => {
	it('walks objects and arrays, substituting string values and leaving keys and other values alone', () => {
		const input = {
			'${host}': '${port}',
			nested: { url: 'http://${host}/', items: ['${on}', 3, null, false, ['$a', { deep: '${token}' }]] },
			count: 7,
		};
		expect(substitute(input, scope)).toEqual({
			'${host}': 8080,
			nested: { url: 'http://localhost/', items: [true, 3, null, false, ['A', { deep: 's3cret' }]] },
			count: 7,
		});
	});

	it('does not change its input', () => {
		const input = { url: '${host}', list: ['${port}'] };
		substitute(input, scope);
		expect(input).toEqual({ url: '${host}', list: ['${port}'] });
	});

	it('returns non-strings unchanged', () => {
		expect(substitute(42, scope)).toBe(42);
		expect(substitute(null, scope)).toBeNull();
		expect(substitute(true, scope)).toBe(true);
	});
});

describe('substituteActivity', () => {
	const httpProbe: Activity = {
		type: 'probe',
		name: 'probe ${host}',
		tolerance: '${host}',
		pauses: { before: '${port}', after: 1 },
		provider: {
			type: 'http',
			url: 'http://${host}:${port}/',
			headers: { Authorization: 'Bearer ${token}' },
			timeout: '${ratio}' as unknown as number,
			arguments: { q: '${a}', price: '$$5' },
		},
	};

	it('substitutes pauses, url, headers, timeout and arguments, and nothing else', () => {
		expect(substituteActivity(httpProbe, scope)).toEqual({
			type: 'probe',
			name: 'probe ${host}',
			tolerance: '${host}',
			pauses: { before: 8080, after: 1 },
			provider: {
				type: 'http',
				url: 'http://localhost:8080/',
				headers: { Authorization: 'Bearer s3cret' },
				timeout: 0.5,
				arguments: { q: 'A', price: '$5' },
			},
		});
		expect(httpProbe.provider).toMatchObject({ url: 'http://${host}:${port}/' });
	});

	it('substitutes process arguments as a string or a list', () => {
		const asString: Activity = { type: 'action', name: 'a', provider: { type: 'process', path: 'echo', arguments: '--port ${port}' } };
		const asList: Activity = { type: 'action', name: 'a', provider: { type: 'process', path: '${a}', arguments: ['${port}', '$host'] } };
		expect(substituteActivity(asString, scope).provider).toEqual({ type: 'process', path: 'echo', arguments: '--port 8080' });
		expect(substituteActivity(asList, scope).provider).toEqual({ type: 'process', path: '${a}', arguments: [8080, 'localhost'] });
	});

	it('leaves arguments alone without any configuration or secrets, so $$ stays $$ there (but not in the url)', () => {
		const empty: Scope = { configuration: {}, secrets: {} };
		const activity: Activity = {
			type: 'action',
			name: 'a',
			provider: { type: 'http', url: 'http://h/$$', arguments: { price: '$$5' } },
		};
		expect(substituteActivity(activity, empty).provider).toEqual({ type: 'http', url: 'http://h/$', arguments: { price: '$$5' } });
		const process: Activity = { type: 'action', name: 'p', provider: { type: 'process', path: 'echo', arguments: '$$5' } };
		expect(substituteActivity(process, empty).provider).toMatchObject({ arguments: '$$5' });
	});

	it('adds no fields the activity did not have', () => {
		const bare: Activity = { type: 'probe', name: 'p', provider: { type: 'http', url: 'http://x/' } };
		expect(substituteActivity(bare, scope)).toEqual(bare);
		expect(Object.keys(substituteActivity(bare, scope).provider)).toEqual(['type', 'url']);
	});
});
