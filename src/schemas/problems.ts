import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { distance } from 'fastest-levenshtein';
import { z } from 'zod';

/** One thing wrong with a file a person wrote, said so that they can fix it without reading our code. */
export interface Problem {
	/** Path of the file, relative to the project root. */
	file: string;
	/** Dotted path of the field, e.g. `containers.redis.ready.exec`; empty for the whole file. */
	field: string;
	line?: number;
	column?: number;
	message: string;
	fix?: string;
}

/** Thrown for bad input files; its message lists every problem, not just the first. */
export class ValidationError extends Error {
	readonly problems: Problem[];
	constructor(title: string, problems: Problem[]) {
		super(`${title}\n${formatProblems(problems)}`);
		this.name = 'ValidationError';
		this.problems = problems;
	}
}

export function formatProblems(problems: Problem[]): string {
	return problems
		.map((problem) => {
			const where = problem.line ? `${problem.file}:${problem.line}:${problem.column ?? 1}` : problem.file;
			const field = problem.field ? ` ${problem.field}:` : '';
			const fix = problem.fix ? `\n    Fix: ${problem.fix}` : '';
			return `  ${where}${field} ${problem.message}${fix}`;
		})
		.join('\n');
}

/** Metadata our schemas attach to fields: how to fix a wrong value, said to the person editing the file. */
export interface FieldMeta {
	fix?: string;
}

/** Attaches a fix hint to a schema, shown beside any error for that field. */
export function withFix<T extends z.ZodType>(schema: T, fix: string): T {
	return schema.meta({ fix } satisfies FieldMeta) as T;
}

/** Finds where a field sits in a YAML text, so a problem can point at its line and column. */
export type Locator = (path: ReadonlyArray<PropertyKey>) => { line: number; column: number } | undefined;

export interface ParsedYaml {
	value: unknown;
	locate: Locator;
}

/**
 * Parses YAML, keeping positions. A syntax error becomes a ValidationError that points at the line
 * and column. `lineOffset` shifts positions for YAML embedded in another file (frontmatter).
 * `version: '1.1'` reads files written for tools that use YAML 1.1 (`yes`/`no` are booleans).
 */
export function parseYaml(text: string, file: string, title: string, lineOffset = 0, options: { version?: '1.1' | '1.2' } = {}): ParsedYaml {
	const lineCounter = new LineCounter();
	const document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: options.version ?? '1.2' });
	if (document.errors.length > 0) {
		throw new ValidationError(
			title,
			document.errors.map((error) => {
				const position = lineCounter.linePos(error.pos[0]);
				return {
					file,
					field: '',
					line: position.line + lineOffset,
					column: position.col,
					message: `not valid YAML: ${firstLine(error.message)}`,
					fix: 'Check indentation, colons and quoting on that line (values that contain ": " or start with a special character need quotes).',
				};
			}),
		);
	}
	return { value: document.toJS(), locate: locatorFor(document, lineCounter, lineOffset) };
}

function locatorFor(document: Document, lineCounter: LineCounter, lineOffset: number): Locator {
	const at = (offset: number) => {
		const position = lineCounter.linePos(offset);
		return { line: position.line + lineOffset, column: position.col };
	};
	return (fieldPath) => {
		// Point at the deepest part of the path that exists: a missing field is reported at its parent.
		for (let length = fieldPath.length; length >= 0; length -= 1) {
			const parentPath = fieldPath.slice(0, length - 1) as unknown[];
			const last = fieldPath[length - 1];
			// A field in a mapping is pointed at by its name, where the person will look for it.
			const parent = length > 0 ? document.getIn(parentPath, true) : undefined;
			if (isMap(parent)) {
				const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === String(last));
				if (pair && isNode(pair.key) && pair.key.range) return at(pair.key.range[0]);
			}
			const node = document.getIn(fieldPath.slice(0, length) as unknown[], true);
			if (isNode(node) && node.range) return at(node.range[0]);
		}
		return undefined;
	};
}

/** Turns a zod error into problems, each with the field's location and its fix hint when the schema has one. */
export function problemsFromZod(error: z.ZodError, schema: z.ZodType, file: string, locate?: Locator): Problem[] {
	return error.issues.map((issue) => {
		// An unknown key is reported on the object that holds it; point at the key itself.
		const at = issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...issue.path, issue.keys[0]] : issue.path;
		const position = locate?.(at);
		const fix = fixFor(schema, issue);
		return {
			file,
			field: issue.path.map(String).join('.'),
			line: position?.line,
			column: position?.column,
			message: describeIssue(issue),
			fix,
		};
	});
}

/** Validates `value` against `schema`, throwing one ValidationError that lists every problem. */
export function validate<T extends z.ZodType>(schema: T, value: unknown, file: string, title: string, locate?: Locator): z.output<T> {
	const result = schema.safeParse(value);
	if (result.success) return result.data;
	throw new ValidationError(title, problemsFromZod(result.error, schema, file, locate));
}

function describeIssue(issue: z.core.$ZodIssue): string {
	if (issue.code === 'unrecognized_keys') {
		return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
	}
	// Zod leaves the input out of issues; its message says "received undefined" for a missing field.
	if (issue.code === 'invalid_type' && /received undefined$/.test(issue.message)) return `is required (expected ${issue.expected})`;
	return lowerFirst(issue.message.replace(/^Invalid input: /, ''));
}

function fixFor(schema: z.ZodType, issue: z.core.$ZodIssue): string | undefined {
	// Cross-field rules (superRefine) know their own fix better than the field's generic one.
	if (issue.code === 'custom' && typeof issue.params?.fix === 'string') return issue.params.fix;
	const field = schemaAt(schema, issue.path);
	const fix = field ? (field.meta() as FieldMeta | undefined)?.fix : undefined;
	if (issue.code === 'unrecognized_keys' && field) {
		const known = Object.keys(objectShape(field) ?? {});
		const suggestions = issue.keys.map((key) => closest(key, known)).filter((key): key is string => Boolean(key));
		const hint = suggestions.length ? `Did you mean ${suggestions.map((key) => `"${key}"`).join(', ')}? ` : '';
		return `${hint}Known fields here: ${known.join(', ')}.`;
	}
	return fix;
}

/** Follows a path of object keys and array indexes down a schema, seeing through optional, default and pipes. */
function schemaAt(schema: z.ZodType, fieldPath: ReadonlyArray<PropertyKey>): z.ZodType | undefined {
	let current: z.ZodType | undefined = schema;
	for (const key of fieldPath) {
		if (!current) return undefined;
		const unwrapped = unwrap(current);
		const def = unwrapped._zod.def as unknown as Record<string, unknown> & { type: string };
		if (def.type === 'object') current = (def.shape as Record<string, z.ZodType>)[String(key)];
		else if (def.type === 'array') current = def.element as z.ZodType;
		else if (def.type === 'record') current = def.valueType as z.ZodType;
		else return unwrapped;
	}
	// Prefer the outermost schema carrying a fix, then the inner one.
	if (current && (current.meta() as FieldMeta | undefined)?.fix) return current;
	return current ? unwrap(current) : undefined;
}

function unwrap(schema: z.ZodType): z.ZodType {
	let current = schema;
	for (;;) {
		if ((current.meta() as FieldMeta | undefined)?.fix) return current;
		const def = current._zod.def as unknown as Record<string, unknown> & { type: string };
		if (['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch'].includes(def.type)) current = def.innerType as z.ZodType;
		else if (def.type === 'pipe') current = def.in as z.ZodType;
		else return current;
	}
}

function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
	const def = unwrap(schema)._zod.def as unknown as Record<string, unknown> & { type: string };
	return def.type === 'object' ? (def.shape as Record<string, z.ZodType>) : undefined;
}

/** The known key nearest to a typo, when it is near enough to be a likely intent. */
function closest(typo: string, known: string[]): string | undefined {
	let best: { key: string; distance: number } | undefined;
	for (const key of known) {
		const gap = distance(typo.toLowerCase(), key.toLowerCase());
		if (!best || gap < best.distance) best = { key, distance: gap };
	}
	return best && best.distance <= Math.max(2, Math.floor(typo.length / 3)) ? best.key : undefined;
}

function firstLine(text: string): string {
	return text.split('\n')[0] ?? text;
}

function lowerFirst(text: string): string {
	return text.charAt(0).toLowerCase() + text.slice(1);
}
