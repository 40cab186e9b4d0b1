import { describe, expect, it } from 'vitest';
import { ActivityFailed } from './errors.ts';
import { checkTolerance, isTruthy, type ToleranceContext } from './tolerance.ts';
import type { Activity, Scope, Tolerance } from './types.ts';

const EMPTY_SCOPE: Scope = { configuration: {}, secrets: {} };

function context(scope: Scope = EMPTY_SCOPE, runProbe: ToleranceContext['runProbe'] = unexpectedProbe): ToleranceContext {
	return { scope, runProbe };
}

async function unexpectedProbe(): Promise<never> {
	throw new Error('no probe should run for this tolerance');
}

function check(tolerance: unknown, value: unknown, scope?: Scope) {
	return checkTolerance(tolerance as Tolerance, value, context(scope));
}

function processResult(status: number, stdout = '', stderr = '') {
	return { status, stdout, stderr };
}

function httpResult(status: number, body: unknown, contentType = 'application/json') {
	return { status, headers: { 'Content-Type': contentType }, body };
}

describe('bool and str tolerances: equality with the raw output', () => {
	it('a boolean equals a boolean output', async () => {
		expect(await check(true, true)).toEqual({ met: true });
		expect(await check(true, false)).toEqual({ met: false, message: 'expected true, got false' });
	});

	it('follows Python, where True == 1 and False == 0, in both directions', async () => {
		expect(await check(true, 1)).toEqual({ met: true });
		expect(await check(false, 0)).toEqual({ met: true });
		expect(await check(1, true)).toEqual({ met: true });
		expect(await check(true, 2)).toMatchObject({ met: false });
		expect(await check(true, 'true')).toMatchObject({ met: false });
	});

	it('a string equals a string output, after substitution from the scope', async () => {
		expect(await check('hello', 'hello')).toEqual({ met: true });
		expect(await check('hello', 'not hello')).toEqual({ met: false, message: 'expected "hello", got "not hello"' });
		const scope: Scope = { configuration: { greeting: 'bonjour' }, secrets: { vault: { token: 's3cret' } } };
		expect(await check('${greeting}, $token', 'bonjour, s3cret', scope)).toEqual({ met: true });
		expect(await check('costs $$5', 'costs $5', scope)).toEqual({ met: true });
	});

	it('a string that is exactly "${name}" takes the value\'s type', async () => {
		const scope: Scope = { configuration: { expected: 3 }, secrets: {} };
		expect(await check('${expected}', 3, scope)).toEqual({ met: true });
		expect(await check('${expected}', '3', scope)).toMatchObject({ met: false });
	});

	it('never matches an http or process result, and says what to write instead', async () => {
		expect(await check('ok', processResult(0, 'ok\n'))).toEqual({
			met: false,
			message:
				'"ok" is compared with the whole result {"status":0,"stdout":"ok\\n","stderr":""}, so it can never match: ' +
				'to check the exit status, write a number ("tolerance": 0); to look for text in the output, write {"type": "regex", "pattern": "ok", "target": "stdout"}',
		});
		const http = await check('up (v1.2)', httpResult(200, 'up (v1.2)', 'text/plain'));
		expect(http.met).toBe(false);
		expect(http.message).toContain('to check the HTTP status, write a number ("tolerance": 200)');
		expect(http.message).toContain('{"type": "regex", "pattern": "up \\\\(v1\\\\.2\\\\)", "target": "body"}');
		expect(await check(true, processResult(0))).toMatchObject({ met: false, message: expect.stringContaining('"tolerance": 0') });
	});
});

describe('int tolerances: the status of a result, or equality', () => {
	it('compares with the exit status of a process result', async () => {
		expect(await check(0, processResult(0))).toEqual({ met: true });
		expect(await check(0, processResult(1, '', 'boom'))).toEqual({ met: false, message: 'the exit status is 1, expected 0' });
	});

	it('compares with the status of an http result, whatever the body', async () => {
		expect(await check(200, httpResult(200, { ok: false }))).toEqual({ met: true });
		expect(await check(200, httpResult(503, 'down'))).toEqual({ met: false, message: 'the HTTP status is 503, expected 200' });
	});

	it('compares with a raw output otherwise', async () => {
		expect(await check(6, 6)).toEqual({ met: true });
		expect(await check(6, 7)).toEqual({ met: false, message: 'expected 6, got 7' });
		expect(await check(6, '6')).toMatchObject({ met: false });
	});
});

describe('list tolerances', () => {
	it('against a result with a status, is the set of accepted statuses', async () => {
		expect(await check([200, 201], httpResult(201, ''))).toEqual({ met: true });
		expect(await check([0, 2], processResult(3))).toEqual({ met: false, message: 'the exit status is 3, which is not one of [0,2]' });
	});

	it('is membership, not a range, for two numbers against a status, and says how to write a range', async () => {
		expect(await check([200, 299], httpResult(204, ''))).toEqual({
			met: false,
			message:
				'the HTTP status is 204, which is not one of [200,299]. Against a result with a status, a list is the set of accepted statuses, not a range: ' +
				'for a range, write {"type": "range", "range": [200, 299], "target": "status"}',
		});
		expect(await check([200, 299], httpResult(299, ''))).toEqual({ met: true });
	});

	it('with two items, is an inclusive range for a raw output', async () => {
		expect(await check([5, 10], 5)).toEqual({ met: true });
		expect(await check([5, 10], 10)).toEqual({ met: true });
		expect(await check([5, 10], 7.5)).toEqual({ met: true });
		expect(await check([5, 10], 11)).toEqual({ met: false, message: '11 is not between 5 and 10' });
		expect(await check([0, 1], true)).toEqual({ met: true });
	});

	it('compares strings in a two-item range as Python does, by characters', async () => {
		expect(await check(['a', 'm'], 'go')).toEqual({ met: true });
		expect(await check(['a', 'm'], 'zebra')).toMatchObject({ met: false });
	});

	it('cannot order a number against a string, where Python raises', async () => {
		expect(await check([0, 10], '5')).toEqual({
			met: false,
			message: '"5" cannot be compared with [0,10]: a two-item list is a range of numbers or of strings',
		});
	});

	it('stops at the first failed bound, as Python chained comparisons do', async () => {
		expect(await check([10, 'x'], 5)).toEqual({ met: false, message: '5 is not between 10 and "x"' });
	});

	it('with another number of items, is membership', async () => {
		expect(await check([1, 2, 3], 2)).toEqual({ met: true });
		expect(await check(['a', 'b', 'c'], 'd')).toEqual({ met: false, message: '"d" is not one of ["a","b","c"]' });
		expect(await check([1], true)).toEqual({ met: true });
		expect(await check([], 0)).toMatchObject({ met: false });
	});
});

describe('regex tolerances', () => {
	it('searches anywhere in the text rather than matching all of it', async () => {
		expect(await check({ type: 'regex', pattern: '[0-9]{2}' }, 'you are number 87')).toEqual({ met: true });
		expect(await check({ type: 'regex', pattern: '[0-9]{2}' }, 'you are number 8')).toEqual({
			met: false,
			message: 'the pattern "[0-9]{2}" was not found in the result: "you are number 8"',
		});
	});

	it('searches the target of a result: stdout, stderr or body', async () => {
		const result = processResult(0, 'you are number 87', 'you are number 8');
		expect(await check({ type: 'regex', pattern: '[0-9]{2}', target: 'stdout' }, result)).toEqual({ met: true });
		expect(await check({ type: 'regex', pattern: '[0-9]{2}', target: 'stderr' }, result)).toEqual({
			met: false,
			message: 'the pattern "[0-9]{2}" was not found in stderr: "you are number 8"',
		});
		expect(await check({ type: 'regex', pattern: 'healthy', target: 'body' }, httpResult(200, 'all healthy', 'text/plain'))).toEqual({ met: true });
	});

	it('substitutes the pattern from the scope, leaving escaped dollars alone', async () => {
		const scope: Scope = { configuration: { msg: 'hello' }, secrets: {} };
		expect(await check({ type: 'regex', pattern: '${msg}' }, 'jane said hello at sunrise', scope)).toEqual({ met: true });
		expect(await check({ type: 'regex', pattern: '^[0-9] \\$\\{level\\} ${msg} - done$' }, '1 ${level} hello - done', scope)).toEqual({ met: true });
	});

	it('reads the pattern as Python does: $ matches before a final newline', async () => {
		const tolerance = { type: 'regex', pattern: '^ok$', target: 'stdout' };
		expect(await check(tolerance, processResult(0, 'ok\n'))).toEqual({ met: true });
		expect(await check(tolerance, processResult(0, 'ok\nmore\n'))).toMatchObject({ met: false });
		expect(await check({ ...tolerance, pattern: '(?m)^more$' }, processResult(0, 'ok\nmore\nlast'))).toEqual({ met: true });
		expect(await check({ ...tolerance, pattern: 'ok[$]' }, processResult(0, 'ok$'))).toEqual({ met: true });
	});

	it('reads Python-only syntax: \\A, \\Z, (?P<name>), (?P=name), (?#...), leading flags, ] first in a class', async () => {
		const search = async (pattern: string, text: string) => (await check({ type: 'regex', pattern }, text)).met;
		expect(await search('\\Aok\\Z', 'ok')).toBe(true);
		expect(await search('ok\\Z', 'ok\n')).toBe(false);
		expect(await search('(?P<word>\\w+) (?P=word)', 'hello hello')).toBe(true);
		expect(await search('(?P<word>\\w+) (?P=word)', 'hello world')).toBe(false);
		expect(await search('(?i)READY', 'ready')).toBe(true);
		expect(await search('(?s)a.b', 'a\nb')).toBe(true);
		expect(await search('a.b', 'a\nb')).toBe(false);
		expect(await search('(?x) ready  # the word\n [!]', 'ready!')).toBe(true);
		expect(await search('up(?# a comment)!', 'up!')).toBe(true);
		expect(await search('[]x]+$', 'a]x]')).toBe(true);
		expect(await search('[^]]', ']')).toBe(false);
	});

	it('without a target on a result, fails and says which target to add', async () => {
		expect(await check({ type: 'regex', pattern: 'ok' }, processResult(0, 'ok'))).toEqual({
			met: false,
			message: 'a regex tolerance needs "target" to say which part of the result to search: add "target": "stdout" (or "stderr")',
		});
		expect(await check({ type: 'regex', pattern: 'ok' }, httpResult(200, 'ok'))).toEqual({
			met: false,
			message: 'a regex tolerance needs "target" to say which part of the result to search: add "target": "body"',
		});
	});

	it('fails and says so for a target the result does not have', async () => {
		expect(await check({ type: 'regex', pattern: 'ok', target: 'body' }, processResult(0, 'ok'))).toEqual({
			met: false,
			message: 'the result has no "body": "target" is one of "status", "stdout", "stderr"',
		});
		expect(await check({ type: 'regex', pattern: 'ok', target: 'stdout' }, 'ok')).toEqual({
			met: false,
			message: '"target": "stdout" picks a field of the result, but the probe returned "ok": remove "target"',
		});
	});

	it('fails and says so for a pattern that does not compile', async () => {
		const outcome = await check({ type: 'regex', pattern: '[0-9', target: 'stdout' }, processResult(0, '42'));
		expect(outcome.met).toBe(false);
		expect(outcome.message).toMatch(/^the pattern "\[0-9" is not a valid regular expression: /);
	});

	it('fails and says what to use for a target that is not text', async () => {
		expect(await check({ type: 'regex', pattern: '200', target: 'status' }, httpResult(200, ''))).toEqual({
			met: false,
			message: 'status is the number 200 and a regex searches text: to check a number, use {"type": "range", "range": [low, high], "target": "status"}',
		});
		expect(await check({ type: 'regex', pattern: 'up', target: 'body' }, httpResult(200, { state: 'up' }))).toEqual({
			met: false,
			message: 'body is JSON ({"state":"up"}) and a regex searches text: use {"type": "jsonpath", "path": "$.<field>", "target": "body"}',
		});
		expect(await check({ type: 'regex', pattern: 'x', target: 'body' }, httpResult(204, null))).toEqual({
			met: false,
			message: 'body is null, so there is no text to search',
		});
	});

	it('fails for a pattern that is not text', async () => {
		const scope: Scope = { configuration: { code: 200 }, secrets: {} };
		expect(await check({ type: 'regex', pattern: '${code}' }, '200', scope)).toEqual({
			met: false,
			message: 'a regex tolerance needs a "pattern" that is text, not 200',
		});
	});
});

describe('jsonpath tolerances', () => {
	const services = { items: [{ name: 'api', up: true }, { name: 'db', up: false }] };

	it('with neither count nor expect, needs at least one match', async () => {
		expect(await check({ type: 'jsonpath', path: '$.foo.*[?(@.baz)]' }, { foo: [{ baz: 1 }, { baz: 2 }] })).toEqual({ met: true });
		expect(await check({ type: 'jsonpath', path: '$.nope[*]' }, { foo: [1] })).toEqual({
			met: false,
			message: '$.nope[*] found [] in {"foo":[1]}, expected at least one match',
		});
	});

	it('parses a string output as JSON', async () => {
		expect(await check({ type: 'jsonpath', path: '$.foo[*].baz' }, '{"foo": [{"baz": 1}, {"baz": 2}]}')).toEqual({ met: true });
	});

	it('reads the target of an http result, JSON text or already parsed', async () => {
		const tolerance = { type: 'jsonpath', path: '$.items[*][?(@.up = true)].name', target: 'body' };
		expect(await check(tolerance, httpResult(200, services))).toEqual({ met: true });
		expect(await check(tolerance, httpResult(200, JSON.stringify(services), 'application/json; charset=utf-8'))).toEqual({ met: true });
	});

	it('reads the target of a process result', async () => {
		const tolerance = { type: 'jsonpath', path: '$.ready', expect: true, target: 'stdout' };
		expect(await check(tolerance, processResult(0, '{"ready": true}\n'))).toEqual({ met: true });
	});

	it('without a target, queries the whole result', async () => {
		expect(await check({ type: 'jsonpath', path: '$.body.items[0].name', expect: 'api' }, httpResult(200, services))).toEqual({ met: true });
		expect(await check({ type: 'jsonpath', path: '$.status', expect: 200 }, httpResult(200, services))).toEqual({ met: true });
	});

	it('suggests a target when a path finds nothing in the whole result', async () => {
		const outcome = await check({ type: 'jsonpath', path: '$.items[*]' }, httpResult(200, services));
		expect(outcome.met).toBe(false);
		expect(outcome.message).toContain('. The path starts at the whole result (status, headers, body): add "target": "body" to query the body');
	});

	it('with a filter that tests the list itself, finds nothing and says to put [*] before it', async () => {
		const outcome = await check({ type: 'jsonpath', path: '$.items[?(@.up = true)]', target: 'body' }, httpResult(200, services));
		expect(outcome.met).toBe(false);
		expect(outcome.message).toBe(
			'$.items[?(@.up = true)] found [] in {"items":[{"name":"api","up":true},{"name":"db","up":false}]}, expected at least one match. ' +
				'A filter tests the value it follows, not its items: to test each item of a list, write $.items[*][?(@.up = true)]',
		);
	});

	it('a scalar expect must be the only match', async () => {
		const tolerance = { type: 'jsonpath', path: '$.foo[?(@.baz)].baz', expect: 'hello' };
		expect(await check(tolerance, { foo: { baz: 'hello' } })).toEqual({ met: true });
		expect(await check(tolerance, { foo: { baz: 'bye' } })).toEqual({ met: false, message: '$.foo[?(@.baz)].baz found ["bye"], expected ["hello"]' });
		expect(await check({ type: 'jsonpath', path: '$[*]', expect: 1 }, [1, 1])).toEqual({ met: false, message: '$[*] found [1,1], expected [1]' });
	});

	it('a list expect must equal the matches, in order', async () => {
		const tolerance = { type: 'jsonpath', path: '$.foo.*[?(@.baz)].baz', expect: ['hello', 'bonjour'] };
		expect(await check(tolerance, { foo: [{ baz: 'hello' }, { baz: 'bonjour' }] })).toEqual({ met: true });
		expect(await check(tolerance, { foo: [{ baz: 'bonjour' }, { baz: 'hello' }] })).toMatchObject({ met: false });
	});

	it('to expect a list value, wraps it in a list', async () => {
		const value = { foo: { baz: ['hello', 'bonjour'] } };
		expect(await check({ type: 'jsonpath', path: '$.foo.baz', expect: [['hello', 'bonjour']] }, value)).toEqual({ met: true });
		expect(await check({ type: 'jsonpath', path: '$.foo.baz', expect: ['hello', 'bonjour'] }, value)).toMatchObject({ met: false });
	});

	it('an empty expect list is met by no match at all', async () => {
		expect(await check({ type: 'jsonpath', path: '$.foo[?(@.baz)].baz', expect: [] }, { foo: { jon: 'boom' } })).toEqual({ met: true });
	});

	it('expect: null expects one null match', async () => {
		expect(await check({ type: 'jsonpath', path: '$.a', expect: null }, { a: null })).toEqual({ met: true });
		expect(await check({ type: 'jsonpath', path: '$.a', expect: null }, { b: 1 })).toMatchObject({ met: false });
	});

	it('compares expect with Python equality', async () => {
		expect(await check({ type: 'jsonpath', path: '$.up', expect: 1 }, { up: true })).toEqual({ met: true });
	});

	it('count is the number of matches', async () => {
		const value = { foo: [{ baz: 4 }, { baz: 4 }, { baz: 1 }] };
		expect(await check({ type: 'jsonpath', path: '$.foo.*[?(@.baz=4)]', count: 2 }, value)).toEqual({ met: true });
		expect(await check({ type: 'jsonpath', path: '$.foo.*[?(@.baz=1)]', count: 2 }, value)).toEqual({
			met: false,
			message: '$.foo.*[?(@.baz=1)] found [{"baz":1}], expected 2 matches',
		});
		expect(await check({ type: 'jsonpath', path: '$.foo.*[?(@.baz=9)]', count: 0 }, value)).toEqual({ met: true });
	});

	it('expect decides when count is given too', async () => {
		expect(await check({ type: 'jsonpath', path: '$.a', count: 5, expect: 1 }, { a: 1 })).toEqual({ met: true });
	});

	it('substitutes the path and expect from the scope; an exact "${name}" keeps its type', async () => {
		const scope: Scope = { configuration: { msg: 'hello', replicas: 3 }, secrets: {} };
		expect(await check({ type: 'jsonpath', path: '$.foo[?(@.baz="${msg}")]', count: 1 }, { foo: { baz: 'hello' } }, scope)).toEqual({ met: true });
		expect(await check({ type: 'jsonpath', path: '$.replicas', expect: '${replicas}' }, { replicas: 3 }, scope)).toEqual({ met: true });
		expect(await check({ type: 'jsonpath', path: '$.greeting', expect: '${msg}, world' }, { greeting: 'hello, world' }, scope)).toEqual({ met: true });
	});

	it('fails with the syntax error, its column and the dialect\'s way to write it', async () => {
		const outcome = await check({ type: 'jsonpath', path: '$.items[?(@.up == true)]', target: 'body' }, httpResult(200, services));
		expect(outcome).toEqual({
			met: false,
			message:
				'JSONPath $.items[?(@.up == true)] is invalid at column 17: this dialect compares with a single "=", not "==". ' +
				'In this dialect, write $.items[?(@.up = true)]. ' +
				'A filter tests the value it follows, not its items: if that value is a list, write $.items[*][?(@.up = true)]',
		});
	});

	it('fails for a body that is not JSON, or empty', async () => {
		expect(await check({ type: 'jsonpath', path: '$.a', target: 'body' }, httpResult(200, '<html>oops</html>', 'text/html'))).toEqual({
			met: false,
			message: 'body is not JSON: "<html>oops</html>", so the path $.a has nothing to look into',
		});
		expect(await check({ type: 'jsonpath', path: '$.a', target: 'body' }, httpResult(204, '', 'text/plain'))).toEqual({
			met: false,
			message: 'body is empty, so the path $.a has nothing to look into',
		});
	});

	it('fails for a missing or empty path', async () => {
		expect(await check({ type: 'jsonpath', path: '  ' }, {})).toEqual({
			met: false,
			message: 'a jsonpath tolerance needs a "path", e.g. "$.status", not "  "',
		});
	});

	it('fails for a target the result does not have', async () => {
		expect(await check({ type: 'jsonpath', path: '$.a', target: 'body' }, processResult(0, '{"a": 1}'))).toEqual({
			met: false,
			message: 'the result has no "body": "target" is one of "status", "stdout", "stderr"',
		});
	});
});

describe('range tolerances', () => {
	it('reads numbers and numeric strings, bounds included', async () => {
		const tolerance = { type: 'range', range: [10, 800], target: 'body' };
		expect(await check(tolerance, httpResult(200, '580', 'text/plain'))).toEqual({ met: true });
		expect(await check(tolerance, httpResult(200, '800', 'text/plain'))).toEqual({ met: true });
		expect(await check(tolerance, httpResult(200, 10, 'text/plain'))).toEqual({ met: true });
		expect(await check(tolerance, httpResult(200, '1230', 'text/plain'))).toEqual({ met: false, message: 'body is 1230, which is not between 10 and 800' });
	});

	it('mixes integers and decimals', async () => {
		expect(await check({ type: 'range', range: [10, 800.8], target: 'body' }, httpResult(200, '580.4', 'text/plain'))).toEqual({ met: true });
		expect(await check({ type: 'range', range: [10.5, 800], target: 'body' }, httpResult(200, '10.4', 'text/plain'))).toMatchObject({ met: false });
	});

	it('reads numbers as Python Decimal does: surrounding whitespace, underscores, exponents', async () => {
		const tolerance = { type: 'range', range: [0, 2000], target: 'stdout' };
		expect(await check(tolerance, processResult(0, '42\n'))).toEqual({ met: true });
		expect(await check(tolerance, processResult(0, '1_500'))).toEqual({ met: true });
		expect(await check(tolerance, processResult(0, '1.5e3'))).toEqual({ met: true });
		expect(await check(tolerance, processResult(0, '.5'))).toEqual({ met: true });
		expect(await check(tolerance, processResult(0, '5.'))).toEqual({ met: true });
		expect(await check(tolerance, processResult(0, 'Infinity'))).toMatchObject({ met: false });
		expect(await check(tolerance, processResult(0, '0x10'))).toMatchObject({ met: false });
		expect(await check(tolerance, processResult(0, ''))).toMatchObject({ met: false });
	});

	it('checks the status with "target": "status"', async () => {
		expect(await check({ type: 'range', range: [200, 299], target: 'status' }, httpResult(204, ''))).toEqual({ met: true });
	});

	it('fails for a value that is not a number', async () => {
		expect(await check({ type: 'range', range: [6, 8], target: 'body' }, httpResult(200, 'bad', 'text/plain'))).toEqual({
			met: false,
			message: 'a range tolerance needs a number, but body is "bad"',
		});
	});

	it('without a target on a result, fails and says which target to add', async () => {
		expect(await check({ type: 'range', range: [200, 299] }, httpResult(200, ''))).toEqual({
			met: false,
			message: 'a range tolerance needs "target" to say which part of the result to check: add "target": "status" (or "body")',
		});
		expect(await check({ type: 'range', range: [0, 5] }, processResult(0, '3'))).toEqual({
			met: false,
			message: 'a range tolerance needs "target" to say which part of the result to check: add "target": "status" (or "stdout")',
		});
	});

	it('checks a raw number without a target', async () => {
		expect(await check({ type: 'range', range: [1, 3] }, 2)).toEqual({ met: true });
		expect(await check({ type: 'range', range: [1, 3] }, true)).toEqual({ met: true });
	});

	it('fails for bounds that are not two numbers', async () => {
		expect(await check({ type: 'range', range: [1] }, 1)).toEqual({
			met: false,
			message: 'a range tolerance needs "range": [low, high] with two numbers, not [1]',
		});
	});
});

describe('probe tolerances', () => {
	const tolerance = {
		type: 'probe',
		name: 'must-be-small',
		provider: { type: 'http', url: 'http://localhost:8080/check', arguments: { limit: 5 } },
	};

	it('runs the probe on a copy with arguments.value set to the output, leaving the tolerance as written', async () => {
		const calls: Activity[] = [];
		const output = processResult(0, '3');
		const before = structuredClone(tolerance);
		const outcome = await checkTolerance(tolerance as Tolerance, output, context(EMPTY_SCOPE, async (probe) => {
			calls.push(probe);
			return { status: 200 };
		}));
		expect(outcome).toEqual({ met: true });
		expect(calls).toEqual([{ ...tolerance, provider: { ...tolerance.provider, arguments: { limit: 5, value: output } } }]);
		expect(tolerance).toEqual(before);
	});

	it('gives a provider without arguments an arguments mapping', async () => {
		const calls: Activity[] = [];
		const bare = { type: 'probe', name: 'check', provider: { type: 'process', path: 'true' } };
		await checkTolerance(bare as Tolerance, 7, context(EMPTY_SCOPE, async (probe) => {
			calls.push(probe);
			return 1;
		}));
		expect(calls[0]?.provider).toEqual({ type: 'process', path: 'true', arguments: { value: 7 } });
	});

	it.each([[0], [''], [[]], [{}], [null], [false]])('is not met when the probe returns %j, which Python counts as false', async (result) => {
		const outcome = await checkTolerance(tolerance as Tolerance, 'x', context(EMPTY_SCOPE, async () => result));
		expect(outcome).toEqual({ met: false, message: `the tolerance probe returned ${JSON.stringify(result)}, which counts as false` });
	});

	it('is not met, without throwing, when the probe fails', async () => {
		const outcome = await checkTolerance(tolerance as Tolerance, 'x', context(EMPTY_SCOPE, async () => {
			throw new ActivityFailed('failed to connect to URL: http://localhost:8080/check');
		}));
		expect(outcome).toEqual({ met: false, message: 'the tolerance probe failed: failed to connect to URL: http://localhost:8080/check' });
	});

	it('lets errors that are not the probe failing through', async () => {
		const run = checkTolerance(tolerance as Tolerance, 'x', context(EMPTY_SCOPE, async () => {
			throw new TypeError('a bug in the runner');
		}));
		await expect(run).rejects.toThrow('a bug in the runner');
	});

	it('fails for arguments that cannot carry the value', async () => {
		const listed = { type: 'probe', name: 'check', provider: { type: 'process', path: 'test', arguments: ['-n', 'x'] } };
		expect(await check(listed, 'x')).toEqual({
			met: false,
			message: 'a probe tolerance passes the output to its probe as "arguments": {"value": ...}, so its "arguments" must be a mapping, not ["-n","x"]',
		});
	});
});

describe('other tolerances', () => {
	it('an unknown type is not met and names the supported ones', async () => {
		expect(await check({ type: 'boom' }, 1)).toEqual({
			met: false,
			message: 'tolerance type "boom" is not supported: use "regex", "jsonpath", "range" or "probe"',
		});
	});

	it('null is not a tolerance', async () => {
		expect(await check(null, null)).toEqual({
			met: false,
			message: 'a tolerance is a boolean, a number, a string, a list or an object with a "type", not null',
		});
	});

	it('isTruthy is Python truthiness', () => {
		expect([0, '', [], {}, null, false].map(isTruthy)).toEqual([false, false, false, false, false, false]);
		expect([1, 'x', [0], { a: 0 }, true].map(isTruthy)).toEqual([true, true, true, true, true]);
	});
});
