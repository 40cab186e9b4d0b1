import { ActivityFailed } from './errors.ts';
import { compileJsonPath, isRecord, isTruthy, JsonPathSyntaxError, pythonEquals, suggestWildcardBeforeFilters } from './jsonpath.ts';
import { substitute } from './substitute.ts';
import type { Activity, Scope, Tolerance } from './types.ts';

export { isTruthy };

export interface ToleranceContext {
	scope: Scope;
	/** Runs a probe-tolerance as an activity; returns its output or throws ActivityFailed. */
	runProbe: (probe: Activity) => Promise<unknown>;
}

export interface ToleranceOutcome {
	met: boolean;
	/**
	 * Set when the tolerance is not met: what was found against what was expected and, when the
	 * tolerance cannot work as written (a missing `target`, a bad pattern or path), how to fix it.
	 */
	message?: string;
}

const MET: ToleranceOutcome = { met: true };

function missed(message: string): ToleranceOutcome {
	return { met: false, message };
}

/**
 * Decides whether a hypothesis probe's output is within its tolerance, as the reference tool's
 * `within_tolerance` does, with Python's equality throughout: a `true` tolerance is met by an output
 * of 1 (and a tolerance of 1 by `true`), because `True == 1` in Python; `1` and `1.0` are equal.
 *
 * Where the reference tool crashes on a learner's mistake (a regex or range with no `target` on an
 * http or process result, an invalid pattern or path, a `target` the result does not have), the
 * tolerance is not met and the message says what to change. Only errors that are not the
 * learner's (anything but ActivityFailed from `runProbe`) are thrown.
 */
export async function checkTolerance(tolerance: Tolerance, value: unknown, context: ToleranceContext): Promise<ToleranceOutcome> {
	// The experiment may not have been validated (--no-validation), so every shape is possible here.
	const given: unknown = tolerance;
	if (typeof given === 'boolean') return checkEqual(given, value);
	if (typeof given === 'number') return checkNumber(given, value);
	if (typeof given === 'string') return checkEqual(substitute(given, context.scope), value);
	if (Array.isArray(given)) return checkList(given, value);
	if (isRecord(given)) {
		switch (given.type) {
			case 'regex':
				return checkRegex(given, value, context.scope);
			case 'jsonpath':
				return checkJsonPath(given, value, context.scope);
			case 'range':
				return checkRange(given, value);
			case 'probe':
				return checkProbe(given, value, context);
		}
		return missed(`tolerance type ${describe(given.type)} is not supported: use "regex", "jsonpath", "range" or "probe"`);
	}
	return missed(`a tolerance is a boolean, a number, a string, a list or an object with a "type", not ${describe(given)}`);
}

// ---------------------------------------------------------------------------------------------
// Plain values: compared with the raw output, or with its status

function checkEqual(expected: unknown, value: unknown): ToleranceOutcome {
	if (pythonEquals(value, expected)) return MET;
	if (isRecord(value)) {
		return missed(`${describe(expected)} is compared with the whole result ${describe(value)}, so it can never match: ${howToCheckPart(expected, value)}`);
	}
	return missed(`expected ${describe(expected)}, got ${describe(value)}`);
}

function howToCheckPart(expected: unknown, result: Record<string, unknown>): string {
	const pattern = JSON.stringify(typeof expected === 'string' ? escapeRegExp(expected) : '...');
	if (Object.hasOwn(result, 'stdout')) {
		return `to check the exit status, write a number ("tolerance": 0); to look for text in the output, write {"type": "regex", "pattern": ${pattern}, "target": "stdout"}`;
	}
	if (Object.hasOwn(result, 'body')) {
		return `to check the HTTP status, write a number ("tolerance": 200); to look for text in the body, write {"type": "regex", "pattern": ${pattern}, "target": "body"}`;
	}
	return 'check one of its fields with a regex, jsonpath or range tolerance and a "target"';
}

function checkNumber(expected: number, value: unknown): ToleranceOutcome {
	if (!hasStatus(value)) return checkEqual(expected, value);
	if (pythonEquals(value.status, expected)) return MET;
	return missed(`${statusName(value)} is ${describe(value.status)}, expected ${expected}`);
}

/**
 * Against a result with a status, a list is the set of accepted statuses; otherwise a two-item
 * list is an inclusive range and any other list a set of accepted values.
 */
function checkList(list: unknown[], value: unknown): ToleranceOutcome {
	if (hasStatus(value)) {
		if (list.some((item) => pythonEquals(item, value.status))) return MET;
		return missed(`${statusName(value)} is ${describe(value.status)}, which is not one of ${describe(list)}${rangeAdvice(list, value.status)}`);
	}
	if (list.length === 2) {
		const [low, high] = list;
		// Python's chained `low <= value <= high` stops at the first false comparison.
		const aboveLow = lessOrEqual(low, value);
		const belowHigh = aboveLow === true ? lessOrEqual(value, high) : aboveLow;
		if (aboveLow === undefined || belowHigh === undefined) {
			return missed(`${describe(value)} cannot be compared with ${describe(list)}: a two-item list is a range of numbers or of strings`);
		}
		return belowHigh ? MET : missed(`${describe(value)} is not between ${describe(low)} and ${describe(high)}`);
	}
	if (list.some((item) => pythonEquals(item, value))) return MET;
	return missed(`${describe(value)} is not one of ${describe(list)}`);
}

/** A learner who wrote [200, 299] against an http result most likely meant a range. */
function rangeAdvice(list: unknown[], status: unknown): string {
	const [low, high] = list;
	if (list.length !== 2 || typeof low !== 'number' || typeof high !== 'number' || typeof status !== 'number') return '';
	if (!(low < status && status < high)) return '';
	return `. Against a result with a status, a list is the set of accepted statuses, not a range: for a range, write {"type": "range", "range": [${low}, ${high}], "target": "status"}`;
}

/** Python's `<=` between numbers (booleans count as 0 and 1) or between strings; undefined where Python raises TypeError. */
function lessOrEqual(left: unknown, right: unknown): boolean | undefined {
	const numbers = [left, right].map((side) => (typeof side === 'boolean' ? Number(side) : side));
	if (typeof numbers[0] === 'number' && typeof numbers[1] === 'number') return numbers[0] <= numbers[1];
	if (typeof left === 'string' && typeof right === 'string') return left <= right;
	return undefined;
}

function hasStatus(value: unknown): value is Record<string, unknown> & { status: unknown } {
	return isRecord(value) && Object.hasOwn(value, 'status');
}

function statusName(result: Record<string, unknown>): string {
	if (Object.hasOwn(result, 'stdout')) return 'the exit status';
	if (Object.hasOwn(result, 'body')) return 'the HTTP status';
	return 'the status';
}

// ---------------------------------------------------------------------------------------------
// Targets: which part of an http or process result a regex, jsonpath or range tolerance reads

type Picked = { value: unknown; where: string } | { problem: string };

function pickTarget(tolerance: Record<string, unknown>, value: unknown, kind: 'regex' | 'jsonpath' | 'range'): Picked {
	const target = tolerance.target;
	if (!isTruthy(target)) {
		// A JSONPath can reach into the whole result ($.body.status); a regex or a range cannot.
		if (kind !== 'jsonpath' && isRecord(value)) return { problem: missingTarget(kind, value) };
		return { value, where: 'the result' };
	}
	const name = String(target);
	if (!isRecord(value)) {
		return { problem: `"target": ${JSON.stringify(name)} picks a field of the result, but the probe returned ${describe(value)}: remove "target"` };
	}
	if (!Object.hasOwn(value, name)) {
		const fields = Object.keys(value).map((key) => JSON.stringify(key));
		return { problem: `the result has no ${JSON.stringify(name)}: "target" is one of ${fields.join(', ')}` };
	}
	return { value: value[name], where: name };
}

function missingTarget(kind: 'regex' | 'range', result: Record<string, unknown>): string {
	const preferred = kind === 'regex' ? ['stdout', 'stderr', 'body'] : ['status', 'body', 'stdout'];
	const [first, ...others] = preferred.filter((field) => Object.hasOwn(result, field));
	const action = kind === 'regex' ? 'search' : 'check';
	if (!first) return `a ${kind} tolerance needs "target" to say which field of the result to ${action}: one of ${Object.keys(result).join(', ')}`;
	const alternatives = others.length > 0 ? ` (or ${others.map((field) => `"${field}"`).join(', ')})` : '';
	return `a ${kind} tolerance needs "target" to say which part of the result to ${action}: add "target": "${first}"${alternatives}`;
}

// ---------------------------------------------------------------------------------------------
// regex

function checkRegex(tolerance: Record<string, unknown>, value: unknown, scope: Scope): ToleranceOutcome {
	const pattern = substitute(tolerance.pattern, scope);
	if (typeof pattern !== 'string') return missed(`a regex tolerance needs a "pattern" that is text, not ${describe(pattern)}`);
	let regex: RegExp;
	try {
		regex = pythonRegExp(pattern);
	} catch (error) {
		return missed(`the pattern ${JSON.stringify(pattern)} is not a valid regular expression: ${(error as Error).message}`);
	}
	const picked = pickTarget(tolerance, value, 'regex');
	if ('problem' in picked) return missed(picked.problem);
	if (typeof picked.value !== 'string') return missed(notText(picked.value, picked.where));
	if (regex.test(picked.value)) return MET;
	return missed(`the pattern ${JSON.stringify(pattern)} was not found in ${picked.where}: ${describe(picked.value)}`);
}

function notText(value: unknown, where: string): string {
	if (typeof value === 'number') {
		return `${where} is the number ${value} and a regex searches text: to check a number, use {"type": "range", "range": [low, high], "target": "${where}"}`;
	}
	if (typeof value === 'object' && value !== null) {
		return `${where} is JSON (${describe(value)}) and a regex searches text: use {"type": "jsonpath", "path": "$.<field>", "target": "${where}"}`;
	}
	return `${where} is ${describe(value)}, so there is no text to search`;
}

/**
 * The reference tool searches with Python's `re`. Most patterns mean the same in JavaScript; these
 * do not, and are rewritten: `$` also matches before a final newline (so "^ok$" matches the
 * output "ok\n"), `\A` and `\Z`, named groups `(?P<name>...)` and `(?P=name)`, `(?#comments)`, and
 * global flags at the start, `(?i)`, `(?m)`, `(?s)`, `(?x)`. A pattern neither language accepts
 * throws SyntaxError.
 */
export function pythonRegExp(pattern: string): RegExp {
	let flags = '';
	let verbose = false;
	let rest = pattern;
	for (let leading = /^\(\?([aiLmsux]+)\)/.exec(rest); leading; leading = /^\(\?([aiLmsux]+)\)/.exec(rest)) {
		for (const flag of leading[1]!) {
			if ('ims'.includes(flag) && !flags.includes(flag)) flags += flag;
			if (flag === 'x') verbose = true;
		}
		rest = rest.slice(leading[0].length);
	}
	let source = '';
	for (let index = 0; index < rest.length; index += 1) {
		const char = rest[index]!;
		if (char === '\\') {
			const escaped = rest[index + 1] ?? '';
			source += escaped === 'A' ? '(?<![\\s\\S])' : escaped === 'Z' ? '(?![\\s\\S])' : `\\${escaped}`;
			index += 1;
		} else if (char === '[') {
			const end = classEnd(rest, index);
			// Python reads a "]" first in a class as a literal; JavaScript would close the class there.
			source += rest.slice(index, end + 1).replace(/^\[(\^?)\]/, '[$1\\]');
			index = end;
		} else if (char === '$') {
			source += flags.includes('m') ? '$' : '(?=\\n?$)';
		} else if (rest.startsWith('(?P<', index)) {
			source += '(?<';
			index += 3;
		} else if (rest.startsWith('(?P=', index) && rest.indexOf(')', index) > 0) {
			const close = rest.indexOf(')', index);
			source += `\\k<${rest.slice(index + 4, close)}>`;
			index = close;
		} else if (rest.startsWith('(?#', index) && rest.indexOf(')', index) > 0) {
			index = rest.indexOf(')', index);
		} else if (verbose && /\s/.test(char)) {
			continue;
		} else if (verbose && char === '#') {
			const newline = rest.indexOf('\n', index);
			index = newline < 0 ? rest.length : newline;
		} else {
			source += char;
		}
	}
	return new RegExp(source, flags);
}

/** Index of the "]" closing the class that opens at `start`, or the last index when it is never closed. */
function classEnd(pattern: string, start: number): number {
	let index = start + 1;
	if (pattern[index] === '^') index += 1;
	if (pattern[index] === ']') index += 1;
	while (index < pattern.length && pattern[index] !== ']') index += pattern[index] === '\\' ? 2 : 1;
	return Math.min(index, pattern.length - 1);
}

function escapeRegExp(text: string): string {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// jsonpath

function checkJsonPath(tolerance: Record<string, unknown>, value: unknown, scope: Scope): ToleranceOutcome {
	const path = substitute(tolerance.path, scope);
	if (typeof path !== 'string' || path.trim() === '') return missed(`a jsonpath tolerance needs a "path", e.g. "$.status", not ${describe(path)}`);
	let query: (document: unknown) => unknown[];
	try {
		query = compileJsonPath(path);
	} catch (error) {
		if (error instanceof JsonPathSyntaxError) return missed(error.message);
		throw error;
	}
	const picked = pickTarget(tolerance, value, 'jsonpath');
	if ('problem' in picked) return missed(picked.problem);
	let document = picked.value;
	if (typeof document === 'string') {
		try {
			document = JSON.parse(document);
		} catch {
			const content = document === '' ? 'is empty' : `is not JSON: ${describe(document)}`;
			return missed(`${picked.where} ${content}, so the path ${path} has nothing to look into`);
		}
	}
	const found = query(document);
	const count = tolerance.count;
	let met = found.length > 0;
	let expected = 'at least one match';
	if (count !== undefined && count !== null) {
		met = pythonEquals(found.length, count);
		expected = `${describe(count)} matches`;
	}
	if (Object.hasOwn(tolerance, 'expect')) {
		const expect = substitute(tolerance.expect, scope);
		const expectedValues = Array.isArray(expect) ? expect : [expect];
		met = pythonEquals(found, expectedValues);
		expected = describe(expectedValues);
	}
	if (met) return MET;
	const where = found.length === 0 ? ` in ${describe(document)}` : '';
	return missed(`${path} found ${describe(found)}${where}, expected ${expected}${jsonPathAdvice(path, document, found, tolerance, value)}`);
}

function jsonPathAdvice(path: string, document: unknown, found: unknown[], tolerance: Record<string, unknown>, value: unknown): string {
	const suggestion = suggestWildcardBeforeFilters(path, document);
	if (suggestion) return `. A filter tests the value it follows, not its items: to test each item of a list, write ${suggestion}`;
	if (found.length > 0 || isTruthy(tolerance.target) || !isRecord(value)) return '';
	const part = ['body', 'stdout'].find((field) => Object.hasOwn(value, field));
	return part ? `. The path starts at the whole result (${Object.keys(value).join(', ')}): add "target": "${part}" to query the ${part}` : '';
}

// ---------------------------------------------------------------------------------------------
// range

function checkRange(tolerance: Record<string, unknown>, value: unknown): ToleranceOutcome {
	const bounds = tolerance.range;
	const [low, high] = Array.isArray(bounds) && bounds.length === 2 ? bounds.map(asDecimal) : [];
	if (low === undefined || high === undefined) return missed(`a range tolerance needs "range": [low, high] with two numbers, not ${describe(bounds)}`);
	const picked = pickTarget(tolerance, value, 'range');
	if ('problem' in picked) return missed(picked.problem);
	const number = asDecimal(picked.value);
	if (number === undefined) return missed(`a range tolerance needs a number, but ${picked.where} is ${describe(picked.value)}`);
	if (low <= number && number <= high) return MET;
	return missed(`${picked.where} is ${number}, which is not between ${low} and ${high}`);
}

// Python's Decimal(): surrounding whitespace (the newline ending a command's output) and "_" between digits are fine.
const DECIMAL = /^[+-]?(?:\d+(?:_\d+)*(?:\.(?:\d+(?:_\d+)*)?)?|\.\d+(?:_\d+)*)(?:e[+-]?\d+(?:_\d+)*)?$/i;
const INFINITY = /^[+-]?inf(?:inity)?$/i;

/** The number Python's Decimal() reads from a value, or undefined where it fails. Booleans are 0 and 1. */
function asDecimal(value: unknown): number | undefined {
	if (typeof value === 'number') return value;
	if (typeof value === 'boolean') return Number(value);
	if (typeof value !== 'string') return undefined;
	const text = value.trim();
	if (DECIMAL.test(text)) return Number(text.replaceAll('_', ''));
	if (INFINITY.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
	return undefined;
}

// ---------------------------------------------------------------------------------------------
// probe

/** The probe gets the output as `arguments.value`, on a copy: the experiment's tolerance is left as written. */
async function checkProbe(tolerance: Record<string, unknown>, value: unknown, context: ToleranceContext): Promise<ToleranceOutcome> {
	const provider = tolerance.provider;
	if (!isRecord(provider)) return missed('a probe tolerance needs a "provider", like any probe');
	const args = provider.arguments ?? {};
	if (!isRecord(args)) {
		return missed(`a probe tolerance passes the output to its probe as "arguments": {"value": ...}, so its "arguments" must be a mapping, not ${describe(args)}`);
	}
	const probe = { ...tolerance, provider: { ...provider, arguments: { ...args, value } } } as unknown as Activity;
	let result: unknown;
	try {
		result = await context.runProbe(probe);
	} catch (error) {
		if (error instanceof ActivityFailed) return missed(`the tolerance probe failed: ${error.message}`);
		throw error;
	}
	return isTruthy(result) ? MET : missed(`the tolerance probe returned ${describe(result)}, which counts as false`);
}

// ---------------------------------------------------------------------------------------------

function describe(value: unknown): string {
	const text = value === undefined ? 'nothing' : (JSON.stringify(value) ?? String(value));
	return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
