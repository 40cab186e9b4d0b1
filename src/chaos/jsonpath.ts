/**
 * JSONPath as the reference Chaos Toolkit reads it in `{"type": "jsonpath"}` tolerances: the dialect
 * of Python's jsonpath2, which differs from Goessner's and from RFC 9535. Experiments must move
 * between our runner and the reference tool unchanged, so we follow jsonpath2's grammar and its
 * evaluation, quirks included:
 *
 * - A filter `[?(...)]` tests the value it follows, not that value's items: `$.items[?(@.up = true)]`
 *   tests the list itself, and learners must write `$.items[*][?(@.up = true)]`.
 * - Comparison is `=` (not `==`), with Python's equality (`true = 1`, `1 = 1.0`); `<`, `<=`, `>`, `>=`
 *   only hold between numbers. Operands that are paths compare true when any of their matches does.
 * - `and`, `or`, `not`; `or` binds tighter than `and` (the grammar nests them that way).
 * - A bare path in a filter (`@.isbn`) is true when it matches anything, even `false` or `null`.
 * - Names in brackets are double-quoted and their escapes are kept as written (`["a\"b"]` is the
 *   key `a\"b`). Dotted names are ASCII identifiers; `true`, `false`, `null`, `and`, `or` and `not`
 *   need brackets.
 * - Slices follow Python's `range` and then index like `[n]`, so a start before the beginning of
 *   the list wraps round (`[-4:]` of `[a, b, c]` yields c, a, b, c).
 * - Unions yield in the order written; recursive descent visits a value before its children.
 * - Functions: `length()`, `keys()`, `values()`, `entries()`, `charAt(i)`, `substring(i[, j])`, as a
 *   segment (`$.name.length()` or `$.name[length()]`).
 * - Objects are visited in JavaScript's key order, which puts integer-like keys ("200") first where
 *   Python keeps the document's order.
 */

/** A path that jsonpath2 would refuse, with where it stopped and how to write it in this dialect. */
export class JsonPathSyntaxError extends Error {
	/** 1-based position in the path of the character where reading stopped. */
	readonly column: number;
	constructor(message: string, column: number) {
		super(message);
		this.name = 'JsonPathSyntaxError';
		this.column = column;
	}
}

/** The values `path` matches in `document`, in the order jsonpath2 yields them. Throws JsonPathSyntaxError. */
export function queryJsonPath(path: string, document: unknown): unknown[] {
	return compileJsonPath(path)(document);
}

/** Parses once, to query many documents or to report a syntax error before any data is at hand. */
export function compileJsonPath(path: string): (document: unknown) => unknown[] {
	const parsed = parsePath(path);
	return (document) => evaluate(parsed, document).values;
}

/**
 * When a filter in `path` was tested against a whole list (the usual slip in this dialect), the
 * path with `[*]` put before each such filter, provided that finds something in `document`.
 */
export function suggestWildcardBeforeFilters(path: string, document: unknown): string | undefined {
	const { listFilterOffsets } = evaluate(parsePath(path), document);
	if (listFilterOffsets.size === 0) return undefined;
	const suggestion = insertWildcards(path, [...listFilterOffsets]);
	return queryJsonPath(suggestion, document).length > 0 ? suggestion : undefined;
}

/** Python's `==` on JSON values: `True == 1`, `1 == 1.0`, lists and dicts compared item by item. */
export function pythonEquals(left: unknown, right: unknown): boolean {
	const leftNumber = asPythonNumber(left);
	const rightNumber = asPythonNumber(right);
	if (leftNumber !== undefined || rightNumber !== undefined) return leftNumber === rightNumber;
	if (left === null || left === undefined) return right === null || right === undefined;
	if (typeof left === 'string') return left === right;
	if (Array.isArray(left)) {
		return Array.isArray(right) && left.length === right.length && left.every((item, index) => pythonEquals(item, right[index]));
	}
	if (isRecord(left)) {
		if (!isRecord(right)) return false;
		const keys = Object.keys(left);
		return (
			keys.length === Object.keys(right).length &&
			keys.every((key) => Object.hasOwn(right, key) && pythonEquals(left[key], right[key]))
		);
	}
	return Object.is(left, right);
}

/** Python's truthiness: None, False, 0, "", [] and {} are false; everything else is true. */
export function isTruthy(value: unknown): boolean {
	if (value === null || value === undefined || value === false) return false;
	if (typeof value === 'number') return value !== 0;
	if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
	if (isRecord(value)) return Object.keys(value).length > 0;
	return true;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Python counts booleans as the integers 0 and 1. */
function asPythonNumber(value: unknown): number | undefined {
	if (typeof value === 'number') return value;
	if (typeof value === 'boolean') return value ? 1 : 0;
	return undefined;
}

// ---------------------------------------------------------------------------------------------
// Syntax tree

interface ParsedPath {
	origin: '$' | '@';
	segments: Segment[];
}

interface Segment {
	/** `..` applies the selectors to the value and to everything below it. */
	descendant: boolean;
	selectors: Selector[];
	/** Offset of the segment's first character in the path, where a `[*]` would go. */
	offset: number;
}

type Selector =
	| { kind: 'name'; name: string }
	| { kind: 'index'; index: number }
	| { kind: 'slice'; start?: number; end?: number; step?: number }
	| { kind: 'wildcard' }
	| { kind: 'filter'; expression: Expression }
	| { kind: 'path'; path: ParsedPath }
	| { kind: 'call'; name: FunctionName; args: Operand[] };

type Operand = { kind: 'path'; path: ParsedPath } | { kind: 'literal'; value: unknown };

type ComparisonOperator = '=' | '!=' | '<' | '<=' | '>' | '>=';

type Expression =
	| { kind: 'and' | 'or'; operands: Expression[] }
	| { kind: 'not'; operand: Expression }
	| { kind: 'compare'; operator: ComparisonOperator; left: Operand; right: Operand }
	| { kind: 'exists'; operand: Operand };

// ---------------------------------------------------------------------------------------------
// Tokens

type TokenKind =
	| '$' | '@' | '..' | '.' | '*' | '[' | ']' | '(' | ')' | '{' | '}' | ':' | ',' | '?'
	| ComparisonOperator
	| 'and' | 'or' | 'not' | 'true' | 'false' | 'null'
	| 'name' | 'string' | 'number' | 'end';

interface Token {
	kind: TokenKind;
	/** For a string, its content between the quotes, escapes kept as written. */
	text: string;
	offset: number;
}

const KEYWORDS = new Set<TokenKind>(['and', 'or', 'not', 'true', 'false', 'null']);
const PUNCTUATION = ['..', '!=', '<=', '>=', '$', '@', '.', '*', '[', ']', '(', ')', '{', '}', ':', ',', '?', '=', '<', '>'] as const;
const COMPARISONS = new Set<TokenKind>(['=', '!=', '<', '<=', '>', '>=']);
// Longest match, as the grammar's lexer reads it: `1.` is the number 1 then a dot, `1e05` is 1e0 then 5.
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?(?:0|[1-9][0-9]*))?/y;
const IDENTIFIER = /[_A-Za-z][_A-Za-z0-9]*/y;
const WHITESPACE = /[ \t\n\r]+/y;

/** Where and why reading a path stopped; becomes a JsonPathSyntaxError once advice is added. */
class SyntaxProblem extends Error {
	readonly column: number;
	constructor(column: number, problem: string) {
		super(problem);
		this.column = column;
	}
}

function parsePath(path: string): ParsedPath {
	try {
		return new Parser(path).parseRoot();
	} catch (error) {
		if (!(error instanceof SyntaxProblem)) throw error;
		throw new JsonPathSyntaxError(`JSONPath ${path} is invalid at column ${error.column}: ${error.message}${adviceFor(path)}`, error.column);
	}
}

/**
 * Reads one token at a time, as the parser asks for it, so that the first mistake reported is the
 * leftmost one whether the lexer or the grammar finds it.
 */
function* tokens(path: string): Generator<Token, Token> {
	let offset = 0;
	let previous: Token | undefined;
	for (;;) {
		WHITESPACE.lastIndex = offset;
		if (WHITESPACE.test(path)) offset = WHITESPACE.lastIndex;
		if (offset >= path.length) return { kind: 'end', text: '', offset: path.length };
		const token = readToken(path, offset, previous);
		offset += token.kind === 'string' ? token.text.length + 2 : token.text.length;
		previous = token;
		yield token;
	}
}

function readToken(path: string, offset: number, previous: Token | undefined): Token {
	if (path[offset] === '"') return { kind: 'string', text: readString(path, offset), offset };
	NUMBER.lastIndex = offset;
	const number = NUMBER.exec(path);
	if (number) return { kind: 'number', text: number[0], offset };
	IDENTIFIER.lastIndex = offset;
	const identifier = IDENTIFIER.exec(path);
	if (identifier) {
		const word = identifier[0] as TokenKind;
		return { kind: KEYWORDS.has(word) ? word : 'name', text: word, offset };
	}
	const punctuation = PUNCTUATION.find((candidate) => path.startsWith(candidate, offset));
	if (punctuation) return { kind: punctuation, text: punctuation, offset };
	throw new SyntaxProblem(offset + 1, unexpectedCharacter(path, offset, previous));
}

/** The content of the string starting at `start` (a double quote), checked against JSON's string rules. */
function readString(path: string, start: number): string {
	let offset = start + 1;
	while (offset < path.length) {
		const char = path[offset]!;
		if (char === '"') return path.slice(start + 1, offset);
		if (char === '\\') {
			const escape = path[offset + 1];
			if (escape === 'u' && /^[0-9a-fA-F]{4}$/.test(path.slice(offset + 2, offset + 6))) offset += 6;
			else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) offset += 2;
			else throw new SyntaxProblem(offset + 1, `"\\${escape ?? ''}" is not an escape JSON strings allow`);
			continue;
		}
		if (char < ' ') throw new SyntaxProblem(offset + 1, 'a string cannot contain a line break or other control character');
		offset += 1;
	}
	throw new SyntaxProblem(start + 1, `the string that starts at column ${start + 1} is not closed: add a " after it`);
}

function unexpectedCharacter(path: string, offset: number, previous: Token | undefined): string {
	const char = path[offset]!;
	if (char === "'") return `strings are written in double quotes in this dialect: "${path.slice(offset + 1).split("'")[0]}"`;
	if (char === '&') return 'write "and" to combine conditions (not &&)';
	if (char === '|') return 'write "or" for either condition (not ||)';
	if (char === '!') return 'write "not" to negate a condition ("!" only appears in "!=")';
	if (char === '-' && previous?.kind === 'name' && previous.offset + previous.text.length === offset) {
		const name = /^[\w-]+/.exec(path.slice(previous.offset))![0];
		return `a name with "-" in it goes in brackets and quotes: ["${name}"]`;
	}
	if (/\p{L}/u.test(char) && (previous?.kind === '.' || previous?.kind === 'name')) {
		const start = previous.kind === 'name' ? previous.offset : offset;
		const name = /^[\p{L}\p{N}_]+/u.exec(path.slice(start))![0];
		return `a name with letters beyond A-Z goes in brackets and quotes: ["${name}"]`;
	}
	return `unexpected character ${JSON.stringify(char)}`;
}

// ---------------------------------------------------------------------------------------------
// Parser: jsonpath2's grammar (jsonpath2/parser/JSONPath.g4), by recursive descent

const FUNCTIONS = ['charAt', 'entries', 'keys', 'length', 'substring', 'values'] as const;
type FunctionName = (typeof FUNCTIONS)[number];

const OPERAND_STARTS = new Set<TokenKind>(['$', '@', 'true', 'false', 'null', '{', '[', 'string', 'number']);

class Parser {
	private readonly tokens: Generator<Token, Token>;
	private current: Token;

	constructor(path: string) {
		this.tokens = tokens(path);
		this.current = this.tokens.next().value;
	}

	parseRoot(): ParsedPath {
		if (this.peek().kind !== '$') {
			this.fail(this.peek().kind === '@' ? 'a path starts with $ (the whole value); @ is only for the item a filter tests' : 'a path starts with $ (the whole value), e.g. $.status');
		}
		this.next();
		const segments = this.parseSegments();
		if (this.peek().kind !== 'end') this.fail(`unexpected ${describeToken(this.peek())} after the path`);
		return { origin: '$', segments };
	}

	private parseSegments(): Segment[] {
		const segments: Segment[] = [];
		for (;;) {
			const token = this.peek();
			if (token.kind === '..') {
				this.next();
				const after = this.peek();
				if (after.kind === '[') segments.push({ descendant: true, selectors: this.parseBracket(), offset: token.offset });
				else if (after.kind === 'name' || after.kind === '*') segments.push({ descendant: true, selectors: [this.parseBareword()], offset: token.offset });
				else this.fail('".." needs a name, * or [...] after it, e.g. $..id');
			} else if (token.kind === '.') {
				this.next();
				segments.push({ descendant: false, selectors: [this.parseBareword()], offset: token.offset });
			} else if (token.kind === '[') {
				segments.push({ descendant: false, selectors: this.parseBracket(), offset: token.offset });
			} else {
				return segments;
			}
		}
	}

	/** What follows a `.`: a name, `*`, or a function call. */
	private parseBareword(): Selector {
		const token = this.next();
		if (token.kind === '*') return { kind: 'wildcard' };
		if (token.kind === 'name') return this.peek().kind === '(' ? this.parseCall(token) : { kind: 'name', name: token.text };
		if (KEYWORDS.has(token.kind)) this.fail(`"${token.text}" is a keyword in this dialect: write ["${token.text}"] for a key with that name`, token);
		if (token.kind === 'number') this.fail(`write [${token.text}] for an item of a list`, token);
		return this.fail(`"." needs a name or * after it, found ${describeToken(token)}`, token);
	}

	private parseBracket(): Selector[] {
		this.expect('[');
		if (this.peek().kind === ']') this.fail('empty brackets: write a name ["id"], an index [0], * or a filter [?(...)]');
		const selectors = this.commaSeparated(() => this.parseSelector());
		this.expect(']');
		return selectors;
	}

	private parseSelector(): Selector {
		const token = this.peek();
		switch (token.kind) {
			case 'string':
				this.next();
				return { kind: 'name', name: token.text };
			case 'number': {
				const index = this.parseInteger();
				return this.peek().kind === ':' ? this.parseSlice(index) : { kind: 'index', index };
			}
			case ':':
				return this.parseSlice(undefined);
			case '*':
				this.next();
				return { kind: 'wildcard' };
			case '?':
				return this.parseFilter();
			case '$':
			case '@':
				this.next();
				return { kind: 'path', path: { origin: token.kind, segments: this.parseSegments() } };
			case 'name':
				this.next();
				if (this.peek().kind !== '(') this.fail(`a name in brackets is quoted: ["${token.text}"]`, token);
				return this.parseCall(token);
			default:
				if (KEYWORDS.has(token.kind)) this.fail(`a name in brackets is quoted: ["${token.text}"]`);
				return this.fail(`unexpected ${describeToken(token)} in brackets`);
		}
	}

	private parseFilter(): Selector {
		this.expect('?');
		if (this.peek().kind !== '(') this.fail('a filter is written in parentheses in this dialect: [?(@.up = true)]');
		this.next();
		const expression = this.parseExpression();
		this.expect(')');
		return { kind: 'filter', expression };
	}

	private parseSlice(start: number | undefined): Selector {
		this.expect(':');
		const end = this.peek().kind === 'number' ? this.parseInteger() : undefined;
		let step: number | undefined;
		if (this.peek().kind === ':') {
			this.next();
			if (this.peek().kind === 'number') {
				const stepToken = this.peek();
				step = this.parseInteger();
				// Python's range() refuses a zero step; jsonpath2 would crash on it while matching.
				if (step === 0) this.fail('a slice step cannot be 0', stepToken);
			}
		}
		return { kind: 'slice', start, end, step };
	}

	private parseInteger(): number {
		const token = this.expect('number');
		if (!/^-?[0-9]+$/.test(token.text)) this.fail(`an index must be a whole number, not ${token.text}`, token);
		return Number(token.text);
	}

	private parseCall(nameToken: Token): Selector {
		const name = FUNCTIONS.find((known) => known === nameToken.text);
		if (!name) this.fail(`there is no function "${nameToken.text}" in this dialect; there are ${FUNCTIONS.map((known) => `${known}()`).join(', ')}`, nameToken);
		this.expect('(');
		const args = this.peek().kind === ')' ? [] : this.commaSeparated(() => this.parseOperand());
		this.expect(')');
		return { kind: 'call', name: name!, args };
	}

	// In jsonpath2's grammar `and` is the outer level and `or` the inner one: `a or b and c` is `(a or b) and c`.
	private parseExpression(): Expression {
		const operands = [this.parseOr()];
		while (this.peek().kind === 'and') {
			this.next();
			operands.push(this.parseOr());
		}
		return operands.length === 1 ? operands[0]! : { kind: 'and', operands };
	}

	private parseOr(): Expression {
		const operands = [this.parseNot()];
		while (this.peek().kind === 'or') {
			this.next();
			operands.push(this.parseNot());
		}
		return operands.length === 1 ? operands[0]! : { kind: 'or', operands };
	}

	private parseNot(): Expression {
		const token = this.peek();
		if (token.kind === 'not') {
			this.next();
			return { kind: 'not', operand: this.parseNot() };
		}
		if (token.kind === '(') {
			this.next();
			const expression = this.parseExpression();
			this.expect(')');
			return expression;
		}
		if (token.kind === 'name') this.fail(`start a path in a filter with @ (the value tested) or $: @.${token.text}`);
		const left = this.parseOperand();
		const operator = this.peek();
		if (!COMPARISONS.has(operator.kind)) return { kind: 'exists', operand: left };
		this.next();
		if (operator.kind === '=' && this.peek().kind === '=') this.fail('this dialect compares with a single "=", not "=="', this.peek());
		if (operator.kind === '!=' && this.peek().kind === '=') this.fail('write "!=" for "not equal", not "!=="', this.peek());
		return { kind: 'compare', operator: operator.kind as ComparisonOperator, left, right: this.parseOperand() };
	}

	private parseOperand(): Operand {
		const token = this.peek();
		if (token.kind === '$' || token.kind === '@') {
			this.next();
			return { kind: 'path', path: { origin: token.kind, segments: this.parseSegments() } };
		}
		if (!OPERAND_STARTS.has(token.kind)) this.fail(`expected a path (@... or $...) or a value, found ${describeToken(token)}`);
		return { kind: 'literal', value: this.parseValue() };
	}

	/** A JSON value written in the path. Its numbers are Python's int or float; both are numbers here. */
	private parseValue(): unknown {
		const token = this.next();
		switch (token.kind) {
			case 'string':
				return token.text;
			case 'number':
				return Number(token.text);
			case 'true':
				return true;
			case 'false':
				return false;
			case 'null':
				return null;
			case '[': {
				const items = this.peek().kind === ']' ? [] : this.commaSeparated(() => this.parseValue());
				this.expect(']');
				return items;
			}
			case '{': {
				const pairs =
					this.peek().kind === '}'
						? []
						: this.commaSeparated(() => {
								const key = this.expect('string').text;
								this.expect(':');
								return [key, this.parseValue()] as const;
							});
				this.expect('}');
				return Object.fromEntries(pairs);
			}
			default:
				return this.fail(`expected a value, found ${describeToken(token)}`, token);
		}
	}

	private commaSeparated<T>(item: () => T): T[] {
		const items = [item()];
		while (this.peek().kind === ',') {
			this.next();
			items.push(item());
		}
		return items;
	}

	private peek(): Token {
		return this.current;
	}

	private next(): Token {
		const token = this.current;
		if (token.kind !== 'end') this.current = this.tokens.next().value;
		return token;
	}

	private expect(kind: TokenKind): Token {
		const token = this.peek();
		if (token.kind !== kind) this.fail(`expected "${kind === 'string' ? 'a quoted string' : kind}", found ${describeToken(token)}`);
		return this.next();
	}

	private fail(problem: string, token: Token = this.peek()): never {
		throw new SyntaxProblem(token.offset + 1, problem);
	}
}

function describeToken(token: Token): string {
	return token.kind === 'end' ? 'the end of the path' : JSON.stringify(token.text);
}

// ---------------------------------------------------------------------------------------------
// Advice: how the learner's path reads in this dialect

/**
 * The path with the habits of other JSONPath dialects rewritten (`==`, `&&`, `||`, single quotes,
 * filters without parentheses) and, when a filter follows something that may be a list, the same
 * with `[*]` before it. Only rewrites that parse are offered.
 */
function adviceFor(path: string): string {
	const rewritten = rewriteHabits(path);
	const parsed = tryParse(rewritten);
	if (!parsed) return '';
	const advice = rewritten === path ? '' : `. In this dialect, write ${rewritten}`;
	const offsets = filtersWithoutWildcard(parsed);
	if (offsets.length === 0) return advice;
	return `${advice}. A filter tests the value it follows, not its items: if that value is a list, write ${insertWildcards(rewritten, offsets)}`;
}

function rewriteHabits(path: string): string {
	let rewritten = path.replace(/"(?:[^"\\]|\\.)*"|'((?:[^'\\]|\\.)*)'|!==|===|==|&&|\|\|/g, (match, singleQuoted: string | undefined) => {
		if (singleQuoted !== undefined) return JSON.stringify(singleQuoted);
		if (match === '!==') return '!=';
		if (match === '===' || match === '==') return '=';
		if (match === '&&') return 'and';
		if (match === '||') return 'or';
		return match;
	});
	// RFC 9535 writes filters without parentheses: [?@.up == true]
	rewritten = rewritten.replace(/\[\?(?!\s*\()([^\]]*)\]/g, '[?($1)]');
	return rewritten;
}

function tryParse(path: string): ParsedPath | undefined {
	try {
		return new Parser(path).parseRoot();
	} catch (error) {
		if (error instanceof SyntaxProblem) return undefined;
		throw error;
	}
}

/** Offsets of segments that are a lone filter following something other than `[*]`, `.*` or a slice. */
function filtersWithoutWildcard(path: ParsedPath): number[] {
	const offsets: number[] = [];
	path.segments.forEach((segment, index) => {
		const filter = segment.selectors.length === 1 && segment.selectors[0]!.kind === 'filter';
		if (!filter || segment.descendant) return;
		const before = path.segments[index - 1];
		const afterWildcard = before?.selectors.every((selector) => selector.kind === 'wildcard' || selector.kind === 'slice');
		if (!afterWildcard) offsets.push(segment.offset);
	});
	return offsets;
}

function insertWildcards(path: string, offsets: number[]): string {
	return [...offsets].sort((a, b) => b - a).reduce((text, offset) => `${text.slice(0, offset)}[*]${text.slice(offset)}`, path);
}

// ---------------------------------------------------------------------------------------------
// Evaluation: jsonpath2's matching, node by node

interface Evaluation {
	root: unknown;
	values: unknown[];
	/** Segments whose lone filter was tested against a whole list and rejected it. */
	listFilterOffsets: Set<number>;
}

function evaluate(path: ParsedPath, document: unknown): Evaluation {
	const evaluation: Evaluation = { root: document, values: [], listFilterOffsets: new Set() };
	walk(evaluation, path.segments, 0, document, evaluation.values);
	return evaluation;
}

function matchPath(evaluation: Evaluation, path: ParsedPath, current: unknown): unknown[] {
	const values: unknown[] = [];
	walk(evaluation, path.segments, 0, path.origin === '$' ? evaluation.root : current, values);
	return values;
}

function walk(evaluation: Evaluation, segments: Segment[], index: number, current: unknown, out: unknown[]): void {
	const segment = segments[index];
	if (!segment) {
		out.push(current);
		return;
	}
	const applyAt = (value: unknown) => {
		for (const selector of segment.selectors) {
			for (const selected of select(evaluation, selector, value, segment)) walk(evaluation, segments, index + 1, selected, out);
		}
	};
	if (!segment.descendant) {
		applyAt(current);
		return;
	}
	// Depth first, a value before its children, as jsonpath2's recursive descent does.
	const visit = (value: unknown) => {
		applyAt(value);
		for (const child of children(value)) visit(child);
	};
	visit(current);
}

function children(value: unknown): unknown[] {
	if (Array.isArray(value)) return value;
	if (isRecord(value)) return Object.values(value);
	return [];
}

function select(evaluation: Evaluation, selector: Selector, current: unknown, segment: Segment): unknown[] {
	switch (selector.kind) {
		case 'name':
			return selectName(current, selector.name);
		case 'index':
			return selectIndex(current, selector.index);
		case 'wildcard':
			return children(current);
		case 'slice':
			return selectSlice(current, selector);
		case 'filter': {
			if (test(evaluation, selector.expression, current)) return [current];
			if (Array.isArray(current) && segment.selectors.length === 1 && !segment.descendant) evaluation.listFilterOffsets.add(segment.offset);
			return [];
		}
		case 'path':
			// The path's results pick from the current value: integers as indexes, strings as names.
			return matchPath(evaluation, selector.path, current).flatMap((key) => {
				const index = asPythonNumber(key);
				if (index !== undefined) return Number.isInteger(index) ? selectIndex(current, index) : [];
				return typeof key === 'string' ? selectName(current, key) : [];
			});
		case 'call':
			return callFunction(evaluation, selector, current);
	}
}

function selectName(current: unknown, name: string): unknown[] {
	return isRecord(current) && Object.hasOwn(current, name) ? [current[name]] : [];
}

function selectIndex(current: unknown, index: number): unknown[] {
	if (!Array.isArray(current)) return [];
	const position = index < 0 ? index + current.length : index;
	return position >= 0 && position < current.length ? [current[position]] : [];
}

function selectSlice(current: unknown, slice: { start?: number; end?: number; step?: number }): unknown[] {
	if (!Array.isArray(current)) return [];
	const length = current.length;
	const start = slice.start === undefined ? 0 : slice.start < 0 ? slice.start + length : slice.start;
	const end = slice.end === undefined ? length : slice.end < 0 ? slice.end + length : slice.end;
	const step = slice.step ?? 1;
	// Python's range(start, end, step), each index then read like [n] (negative ones wrap again).
	const values: unknown[] = [];
	for (let index = start; step > 0 ? index < end : index > end; index += step) values.push(...selectIndex(current, index));
	return values;
}

function test(evaluation: Evaluation, expression: Expression, current: unknown): boolean {
	switch (expression.kind) {
		case 'and':
			return expression.operands.every((operand) => test(evaluation, operand, current));
		case 'or':
			return expression.operands.some((operand) => test(evaluation, operand, current));
		case 'not':
			return !test(evaluation, expression.operand, current);
		case 'exists':
			return expression.operand.kind === 'path'
				? matchPath(evaluation, expression.operand.path, current).length > 0
				: isTruthy(expression.operand.value);
		case 'compare': {
			const lefts = operandValues(evaluation, expression.left, current);
			const rights = operandValues(evaluation, expression.right, current);
			return lefts.some((left) => rights.some((right) => compare(expression.operator, left, right)));
		}
	}
}

function operandValues(evaluation: Evaluation, operand: Operand, current: unknown): unknown[] {
	return operand.kind === 'path' ? matchPath(evaluation, operand.path, current) : [operand.value];
}

function compare(operator: ComparisonOperator, left: unknown, right: unknown): boolean {
	if (operator === '=') return pythonEquals(left, right);
	if (operator === '!=') return !pythonEquals(left, right);
	const a = asPythonNumber(left);
	const b = asPythonNumber(right);
	// jsonpath2 orders numbers only: "b" > "a" is false, not a string comparison.
	if (a === undefined || b === undefined) return false;
	if (operator === '<') return a < b;
	if (operator === '<=') return a <= b;
	if (operator === '>') return a > b;
	return a >= b;
}

/** Each combination of the arguments' values calls the function once, as jsonpath2 does. */
function callFunction(evaluation: Evaluation, call: { name: FunctionName; args: Operand[] }, current: unknown): unknown[] {
	const combinations = call.args.reduce<unknown[][]>(
		(partial, arg) => partial.flatMap((prefix) => operandValues(evaluation, arg, current).map((value) => [...prefix, value])),
		[[]],
	);
	return combinations.flatMap((args) => {
		const result = FUNCTION_IMPLEMENTATIONS[call.name](current, args);
		return result === NO_RESULT ? [] : [result];
	});
}

const NO_RESULT = Symbol('no result');

/** Python strings index by code point, so these work on code points too. */
const FUNCTION_IMPLEMENTATIONS: Record<FunctionName, (current: unknown, args: unknown[]) => unknown> = {
	length(current, args) {
		if (args.length > 0) return NO_RESULT;
		if (Array.isArray(current)) return current.length;
		return typeof current === 'string' ? [...current].length : NO_RESULT;
	},
	keys(current, args) {
		if (args.length > 0) return NO_RESULT;
		if (Array.isArray(current)) return current.map((_, index) => index);
		return isRecord(current) ? Object.keys(current) : NO_RESULT;
	},
	values(current, args) {
		if (args.length > 0) return NO_RESULT;
		if (Array.isArray(current)) return current;
		return isRecord(current) ? Object.values(current) : NO_RESULT;
	},
	entries(current, args) {
		if (args.length > 0) return NO_RESULT;
		if (Array.isArray(current)) return current.map((value, index) => [index, value]);
		return isRecord(current) ? Object.entries(current) : NO_RESULT;
	},
	charAt(current, args) {
		const index = integerArgument(args[0]);
		if (typeof current !== 'string' || args.length !== 1 || index === undefined) return NO_RESULT;
		const chars = [...current];
		const position = index < 0 ? index + chars.length : index;
		return position >= 0 && position < chars.length ? chars[position] : NO_RESULT;
	},
	substring(current, args) {
		if (typeof current !== 'string' || args.length < 1 || args.length > 2) return NO_RESULT;
		const chars = [...current];
		const start = integerArgument(args[0]);
		const end = args.length === 2 ? integerArgument(args[1]) : chars.length;
		if (start === undefined || end === undefined) return NO_RESULT;
		return pythonSlice(chars, start, end).join('');
	},
};

function integerArgument(value: unknown): number | undefined {
	const number = asPythonNumber(value);
	return number !== undefined && Number.isInteger(number) ? number : undefined;
}

/** Python's `items[start:end]`: negative bounds count from the end, out-of-range bounds are clamped. */
function pythonSlice<T>(items: T[], start: number, end: number): T[] {
	const clamp = (bound: number) => Math.min(Math.max(bound < 0 ? bound + items.length : bound, 0), items.length);
	return items.slice(clamp(start), clamp(end));
}
