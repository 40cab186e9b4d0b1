import { describe, expect, it } from 'vitest';
import { isTruthy, JsonPathSyntaxError, pythonEquals, queryJsonPath, suggestWildcardBeforeFilters } from './jsonpath.ts';

/** Goessner's bookstore, which jsonpath2's own tests use too. */
const STORE = {
	store: {
		book: [
			{ category: 'reference', author: 'Nigel Rees', title: 'Sayings of the Century', price: 8.95 },
			{ category: 'fiction', author: 'Evelyn Waugh', title: 'Sword of Honour', price: 12.99 },
			{ category: 'fiction', author: 'Herman Melville', title: 'Moby Dick', isbn: '0-553-21311-3', price: 8.99 },
			{ category: 'fiction', author: 'J. R. R. Tolkien', title: 'The Lord of the Rings', isbn: '0-395-19395-8', price: 22.99 },
		],
		bicycle: { color: 'red', price: 19.95 },
	},
};

const SERVICES = {
	items: [
		{ name: 'api', up: true, replicas: 3 },
		{ name: 'db', up: false, replicas: 1 },
		{ name: 'cache', up: true, replicas: 0, note: null },
	],
};

const LETTERS = ['a', 'b', 'c', 'd', 'e'];

function syntaxError(path: string): JsonPathSyntaxError {
	try {
		queryJsonPath(path, {});
	} catch (error) {
		if (error instanceof JsonPathSyntaxError) return error;
		throw error;
	}
	throw new Error(`${path} parsed, a syntax error was expected`);
}

describe('queryJsonPath: names, indexes and wildcards', () => {
	it('$ is the whole document', () => {
		expect(queryJsonPath('$', { a: 1 })).toEqual([{ a: 1 }]);
		expect(queryJsonPath('$', 'text')).toEqual(['text']);
	});

	it('reads names dotted or quoted in brackets, and nothing where the name is missing', () => {
		expect(queryJsonPath('$.store.bicycle.color', STORE)).toEqual(['red']);
		expect(queryJsonPath('$["store"]["bicycle"]["color"]', STORE)).toEqual(['red']);
		expect(queryJsonPath('$["content-type"]', { 'content-type': 'text/plain' })).toEqual(['text/plain']);
		expect(queryJsonPath('$.store.car', STORE)).toEqual([]);
		expect(queryJsonPath('$.length', ['a'])).toEqual([]);
	});

	it('keeps escapes in bracketed names as written, as jsonpath2 does', () => {
		expect(queryJsonPath('$["a\\"b"]', { 'a\\"b': 1, 'a"b': 2 })).toEqual([1]);
	});

	it('skips whitespace between tokens', () => {
		expect(queryJsonPath(' $ . store [ "bicycle" ] . color ', STORE)).toEqual(['red']);
	});

	it('[*] and .* yield the items of a list and the values of an object, and nothing for a scalar', () => {
		expect(queryJsonPath('$.store.book[*].author', STORE)).toEqual(['Nigel Rees', 'Evelyn Waugh', 'Herman Melville', 'J. R. R. Tolkien']);
		expect(queryJsonPath('$.store.bicycle.*', STORE)).toEqual(['red', 19.95]);
		expect(queryJsonPath('$.store.bicycle.color[*]', STORE)).toEqual([]);
	});

	it('indexes lists from the start and, when negative, from the end', () => {
		expect(queryJsonPath('$[0]', LETTERS)).toEqual(['a']);
		expect(queryJsonPath('$[-1]', LETTERS)).toEqual(['e']);
		expect(queryJsonPath('$[-5]', LETTERS)).toEqual(['a']);
		expect(queryJsonPath('$[5]', LETTERS)).toEqual([]);
		expect(queryJsonPath('$[-6]', LETTERS)).toEqual([]);
		expect(queryJsonPath('$[0]', { 0: 'not a list' })).toEqual([]);
	});

	it('yields a union in the order written, not the order of the document', () => {
		expect(queryJsonPath('$[3,0]', LETTERS)).toEqual(['d', 'a']);
		expect(queryJsonPath('$["price","color"]', STORE.store.bicycle)).toEqual([19.95, 'red']);
		expect(queryJsonPath('$[0,"x",*]', ['a', 'b'])).toEqual(['a', 'a', 'b']);
	});

	it('.. visits a value before its children, depth first', () => {
		expect(queryJsonPath('$..price', STORE)).toEqual([8.95, 12.99, 8.99, 22.99, 19.95]);
		expect(queryJsonPath('$..book[2].title', STORE)).toEqual(['Moby Dick']);
		expect(queryJsonPath('$..*', { a: [1, { b: 2 }], c: 3 })).toEqual([[1, { b: 2 }], 3, 1, { b: 2 }, 2]);
		expect(queryJsonPath('$..["b","c"]', { a: [1, { b: 2 }], c: 3 })).toEqual([3, 2]);
	});
});

describe('queryJsonPath: slices follow Python range() then index like [n]', () => {
	it.each([
		['$[1:3]', ['b', 'c']],
		['$[:2]', ['a', 'b']],
		['$[3:]', ['d', 'e']],
		['$[:]', LETTERS],
		['$[::2]', ['a', 'c', 'e']],
		['$[1::2]', ['b', 'd']],
		['$[:2:]', ['a', 'b']],
		['$[-2:]', ['d', 'e']],
		['$[:-3]', ['a', 'b']],
		['$[3:1:-1]', ['d', 'c']],
		['$[1:10]', ['b', 'c', 'd', 'e']],
	])('%s', (path, expected) => {
		expect(queryJsonPath(path, LETTERS)).toEqual(expected);
	});

	it('wraps round when the start is before the beginning, like jsonpath2', () => {
		// [-7:] of 5 items: range(-2, 5) reads indexes -2, -1, 0, 1, 2, 3, 4.
		expect(queryJsonPath('$[-7:]', LETTERS)).toEqual(['d', 'e', 'a', 'b', 'c', 'd', 'e']);
	});

	it('yields nothing for a negative step without a start, since range(0, end, -1) is empty', () => {
		expect(queryJsonPath('$[::-1]', LETTERS)).toEqual([]);
	});

	it('yields nothing on something that is not a list', () => {
		expect(queryJsonPath('$[0:2]', 'abc')).toEqual([]);
	});
});

describe('queryJsonPath: filters test the value they follow', () => {
	it('needs [*] before the filter to test each item of a list', () => {
		expect(queryJsonPath('$.items[*][?(@.up = true)].name', SERVICES)).toEqual(['api', 'cache']);
		expect(queryJsonPath('$.items[?(@.up = true)]', SERVICES)).toEqual([]);
		expect(queryJsonPath('$.items.*[?(@.up = false)].name', SERVICES)).toEqual(['db']);
	});

	it('tests an object itself when it follows the object', () => {
		expect(queryJsonPath('$.foo[?(@.baz)].baz', { foo: { baz: 'hello' } })).toEqual(['hello']);
		expect(queryJsonPath('$[?(@.foo)]', { foo: 1 })).toEqual([{ foo: 1 }]);
	});

	it('a bare path is true when it matches anything, even false or null', () => {
		expect(queryJsonPath('$.items[*][?(@.note)].name', SERVICES)).toEqual(['cache']);
		expect(queryJsonPath('$..book[*][?(@.isbn)].title', STORE)).toEqual(['Moby Dick', 'The Lord of the Rings']);
		expect(queryJsonPath('$.items[*][?(@.up)].name', SERVICES)).toEqual(['api', 'db', 'cache']);
	});

	it('compares with =, !=, <, <=, >, >=', () => {
		const names = (filter: string) => queryJsonPath(`$.items[*][?(${filter})].name`, SERVICES);
		expect(names('@.name = "db"')).toEqual(['db']);
		expect(names('@.name != "db"')).toEqual(['api', 'cache']);
		expect(names('@.replicas < 1')).toEqual(['cache']);
		expect(names('@.replicas <= 1')).toEqual(['db', 'cache']);
		expect(names('@.replicas > 1')).toEqual(['api']);
		expect(names('@.replicas >= 1')).toEqual(['api', 'db']);
		expect(names('1 = @.replicas')).toEqual(['db']);
	});

	it('a comparison with a missing value is false, != included', () => {
		expect(queryJsonPath('$.items[*][?(@.missing != 1)].name', SERVICES)).toEqual([]);
	});

	it('orders numbers only: strings and null never compare with < or >', () => {
		expect(queryJsonPath('$[*][?(@ > "a")]', ['b', 'c', 2])).toEqual([]);
		expect(queryJsonPath('$[*][?(@ >= null)]', [null, 0])).toEqual([]);
	});

	it('uses Python equality: true = 1, 1 = 1.0, lists and objects compared by value', () => {
		expect(queryJsonPath('$[*][?(@ = 1)]', [true, 1, 1.0, '1', [1]])).toEqual([true, 1, 1]);
		expect(queryJsonPath('$[*][?(@ = false)]', [0, false, null, ''])).toEqual([0, false]);
		expect(queryJsonPath('$[*][?(@ = [1, "a"])]', [[1, 'a'], [1, 'b'], [true, 'a']])).toEqual([
			[1, 'a'],
			[true, 'a'],
		]);
		expect(queryJsonPath('$[*][?(@ = {"a": 1})]', [{ a: 1 }, { a: 1, b: 2 }, {}])).toEqual([{ a: 1 }]);
		expect(queryJsonPath('$[*][?(@ = null)]', [null, 0, 'null'])).toEqual([null]);
	});

	it('reads number literals: negative, decimal, exponent', () => {
		expect(queryJsonPath('$[*][?(@ = -1.5)]', [-1.5, 1.5])).toEqual([-1.5]);
		expect(queryJsonPath('$[*][?(@ = 1e3)]', [1000, 1])).toEqual([1000]);
	});

	it('a path operand compares true when any of its matches does', () => {
		const data = { racks: [{ hosts: [{ up: false }, { up: true }] }, { hosts: [{ up: false }] }] };
		expect(queryJsonPath('$.racks[*][?(@.hosts[*].up = true)]', data)).toEqual([data.racks[0]]);
	});

	it('combines with and, or, not and parentheses; or binds tighter than and', () => {
		const names = (filter: string) => queryJsonPath(`$.items[*][?(${filter})].name`, SERVICES);
		expect(names('@.up = true and @.replicas > 0')).toEqual(['api']);
		expect(names('@.name = "db" or @.replicas = 0')).toEqual(['db', 'cache']);
		expect(names('not @.up = true')).toEqual(['db']);
		expect(names('not @.note')).toEqual(['api', 'db']);
		// (name = db or replicas = 3) and up = true: only api. With and binding tighter it would be db and api.
		expect(names('@.name = "db" or @.replicas = 3 and @.up = true')).toEqual(['api']);
		expect(names('@.name = "db" or (@.replicas = 3 and @.up = true)')).toEqual(['api', 'db']);
	});

	it('a literal alone is tested for Python truthiness', () => {
		expect(queryJsonPath('$[?(0)]', { a: 1 })).toEqual([]);
		expect(queryJsonPath('$[?(0 = 0)].a', { a: 1 })).toEqual([1]);
		expect(queryJsonPath('$[?("x")].a', { a: 1 })).toEqual([1]);
		expect(queryJsonPath('$[?([])].a', { a: 1 })).toEqual([]);
	});

	it('$ inside a filter is the whole document', () => {
		const data = { wanted: 'db', items: SERVICES.items };
		expect(queryJsonPath('$.items[*][?(@.name = $.wanted)].replicas', data)).toEqual([1]);
	});

	it('applies a filter at every level under ..', () => {
		expect(queryJsonPath('$..[?(@.price > 20)].title', STORE)).toEqual(['The Lord of the Rings']);
	});
});

describe('queryJsonPath: a path in brackets picks by its values', () => {
	it('uses integers as indexes and strings as names', () => {
		const data = { pick: 1, key: 'b', list: ['x', 'y'], map: { b: 'B' } };
		expect(queryJsonPath('$.list[$.pick]', data)).toEqual(['y']);
		expect(queryJsonPath('$.map[$.key]', data)).toEqual(['B']);
		expect(queryJsonPath('$.map[$.pick]', data)).toEqual([]);
		expect(queryJsonPath('$.list[$.list[*]]', data)).toEqual([]);
	});

	it('uses the current value with @', () => {
		expect(queryJsonPath('$.pairs[*][@.use]', { pairs: [{ use: 'a', a: 1 }, { use: 'b', b: 2 }] })).toEqual([1, 2]);
	});
});

describe('queryJsonPath: functions', () => {
	it('length() counts list items and string characters, not object keys', () => {
		expect(queryJsonPath('$.items.length()', SERVICES)).toEqual([3]);
		expect(queryJsonPath('$.items[length()]', SERVICES)).toEqual([3]);
		expect(queryJsonPath('$.word.length()', { word: 'héllo👋' })).toEqual([6]);
		expect(queryJsonPath('$.length()', { a: 1 })).toEqual([]);
		expect(queryJsonPath('$.items[*][?(@.name.length() > 2)].name', SERVICES)).toEqual(['api', 'cache']);
	});

	it('keys(), values() and entries() on objects and lists', () => {
		expect(queryJsonPath('$.keys()', { a: 1, b: 2 })).toEqual([['a', 'b']]);
		expect(queryJsonPath('$.keys()', ['x', 'y'])).toEqual([[0, 1]]);
		expect(queryJsonPath('$.values()', { a: 1, b: 2 })).toEqual([[1, 2]]);
		expect(queryJsonPath('$.entries()', { a: 1 })).toEqual([[['a', 1]]]);
		expect(queryJsonPath('$.entries()', ['x'])).toEqual([[[0, 'x']]]);
	});

	it('charAt() and substring() index strings like Python', () => {
		expect(queryJsonPath('$.charAt(1)', 'abc')).toEqual(['b']);
		expect(queryJsonPath('$.charAt(-1)', 'abc')).toEqual(['c']);
		expect(queryJsonPath('$.charAt(3)', 'abc')).toEqual([]);
		expect(queryJsonPath('$.substring(1)', 'abcdef')).toEqual(['bcdef']);
		expect(queryJsonPath('$.substring(1, 3)', 'abcdef')).toEqual(['bc']);
		expect(queryJsonPath('$.substring(-2)', 'abcdef')).toEqual(['ef']);
		expect(queryJsonPath('$.word.substring($.n)', { word: 'abcdef', n: 4 })).toEqual(['ef']);
	});

	it('yields nothing for arguments of the wrong kind', () => {
		expect(queryJsonPath('$.charAt("1")', 'abc')).toEqual([]);
		expect(queryJsonPath('$.length(1)', 'abc')).toEqual([]);
		expect(queryJsonPath('$.substring($.missing)', 'abc')).toEqual([]);
	});
});

describe('suggestWildcardBeforeFilters', () => {
	it('puts [*] before a filter that was tested against a whole list, when that finds something', () => {
		expect(suggestWildcardBeforeFilters('$.items[?(@.up = true)].name', SERVICES)).toBe('$.items[*][?(@.up = true)].name');
	});

	it('suggests nothing when the rewritten path would find nothing either', () => {
		expect(suggestWildcardBeforeFilters('$.items[?(@.up = "yes")]', SERVICES)).toBeUndefined();
	});

	it('suggests nothing when the filter follows an object', () => {
		expect(suggestWildcardBeforeFilters('$.foo[?(@.baz = 2)]', { foo: { baz: 1 } })).toBeUndefined();
	});
});

describe('queryJsonPath: syntax errors say where and how to write it in this dialect', () => {
	it('== is not this dialect: the message gives the path with = and with [*] before the filter', () => {
		const error = syntaxError('$.items[?(@.up == true)]');
		expect(error.column).toBe(17);
		expect(error.message).toBe(
			'JSONPath $.items[?(@.up == true)] is invalid at column 17: this dialect compares with a single "=", not "==". ' +
				'In this dialect, write $.items[?(@.up = true)]. ' +
				'A filter tests the value it follows, not its items: if that value is a list, write $.items[*][?(@.up = true)]',
		);
	});

	it('does not suggest [*] when the filter already follows a wildcard', () => {
		const error = syntaxError('$.items[*][?(@.up == true)]');
		expect(error.message).toContain('In this dialect, write $.items[*][?(@.up = true)]');
		expect(error.message).not.toContain('[*][*]');
	});

	it('rewrites the habits of other dialects together: quotes, &&, filters without parentheses', () => {
		const error = syntaxError("$.items[?@.name == 'db' && @.up]");
		expect(error.column).toBe(10);
		expect(error.message).toContain('a filter is written in parentheses in this dialect: [?(@.up = true)]');
		expect(error.message).toContain('In this dialect, write $.items[?(@.name = "db" and @.up)]');
		expect(error.message).toContain('if that value is a list, write $.items[*][?(@.name = "db" and @.up)]');
	});

	it.each([
		['items[0]', 1, 'a path starts with $ (the whole value), e.g. $.status'],
		['@.up', 1, 'a path starts with $ (the whole value); @ is only for the item a filter tests'],
		["$.items[*][?(@.name = 'db')]", 23, 'strings are written in double quotes in this dialect: "db"'],
		['$[*][?(@.a && @.b)]', 12, 'write "and" to combine conditions (not &&)'],
		['$[*][?(@.a || @.b)]', 12, 'write "or" for either condition (not ||)'],
		['$[*][?(!@.a)]', 8, 'write "not" to negate a condition ("!" only appears in "!=")'],
		['$[*][?(@.a !== 1)]', 14, 'write "!=" for "not equal", not "!=="'],
		['$.headers.content-type', 18, 'a name with "-" in it goes in brackets and quotes: ["content-type"]'],
		['$.true', 3, '"true" is a keyword in this dialect: write ["true"] for a key with that name'],
		['$.items.0', 9, 'write [0] for an item of a list'],
		['$[name]', 3, 'a name in brackets is quoted: ["name"]'],
		['$[null]', 3, 'a name in brackets is quoted: ["null"]'],
		['$.items[1.5]', 9, 'an index must be a whole number, not 1.5'],
		['$.items[0:4:0]', 13, 'a slice step cannot be 0'],
		['$.items.size()', 9, 'there is no function "size" in this dialect; there are charAt(), entries(), keys(), length(), substring(), values()'],
		['$["open', 3, 'the string that starts at column 3 is not closed: add a " after it'],
		['$["a\\x"]', 5, '"\\x" is not an escape JSON strings allow'],
		['$..', 4, '".." needs a name, * or [...] after it, e.g. $..id'],
		['$.items.', 9, '"." needs a name or * after it, found the end of the path'],
		['$.items[]', 9, 'empty brackets: write a name ["id"], an index [0], * or a filter [?(...)]'],
		['$.items[0', 10, 'expected "]", found the end of the path'],
		['$.a b', 5, 'unexpected "b" after the path'],
		['$[*][?(up = true)]', 8, 'start a path in a filter with @ (the value tested) or $: @.up'],
		['$[*][?(@.a = )]', 14, 'expected a path (@... or $...) or a value, found ")"'],
		['$.café', 6, 'a name with letters beyond A-Z goes in brackets and quotes: ["café"]'],
		['$.über', 3, 'a name with letters beyond A-Z goes in brackets and quotes: ["über"]'],
		['$.a - 1', 5, 'unexpected character "-"'],
	])('%s: column %i', (path, column, problem) => {
		const error = syntaxError(path);
		expect(error.column).toBe(column);
		expect(error.message).toContain(`JSONPath ${path} is invalid at column ${column}: ${problem}`);
	});
});

describe('Python semantics', () => {
	it('pythonEquals: numbers and booleans are one kind, None equals only None', () => {
		expect(pythonEquals(true, 1)).toBe(true);
		expect(pythonEquals(false, 0)).toBe(true);
		expect(pythonEquals(true, 2)).toBe(false);
		expect(pythonEquals('1', 1)).toBe(false);
		expect(pythonEquals(null, undefined)).toBe(true);
		expect(pythonEquals(null, 0)).toBe(false);
		expect(pythonEquals({ a: [1, true] }, { a: [true, 1] })).toBe(true);
		expect(pythonEquals({ a: 1 }, { b: 1 })).toBe(false);
		expect(pythonEquals([1], [1, 1])).toBe(false);
	});

	it.each([
		[null, false],
		[undefined, false],
		[false, false],
		[0, false],
		['', false],
		[[], false],
		[{}, false],
		[true, true],
		[-1, true],
		['0', true],
		[[0], true],
		[{ status: 1 }, true],
	])('isTruthy(%j) is %s', (value, truthy) => {
		expect(isTruthy(value)).toBe(truthy);
	});
});
