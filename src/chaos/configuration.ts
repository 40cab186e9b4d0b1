import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Problem } from '../schemas/problems.ts';
import { InvalidExperiment, UserError } from './errors.ts';
import { parseSource } from './source.ts';
import type { Experiment, Scope } from './types.ts';

/**
 * Configuration and secrets as the reference tool loads them (chaoslib `configuration.py`,
 * `secret.py`, `merge_vars` and `convert_vars`), with its quirks kept so that an experiment behaves
 * the same here and in `chaos` itself. Where we differ, it is to report every problem at once
 * instead of the first, or to say what is wrong where the reference would crash.
 */

export interface ScopeOptions {
	/** Usually process.env. `.env` var files are written into it, so processes started later see them too. */
	env: Record<string, string | undefined>;
	/** Raw --var values, "key[:type]=value". */
	vars?: string[];
	/** Raw --var-file paths. */
	varFiles?: string[];
}

type ScopeSource = Pick<Experiment, 'configuration' | 'secrets'>;
type Env = Record<string, string | undefined>;

/** Values that replace what the experiment declares: configuration keys one by one, secrets whole scopes. */
interface Overrides {
	configuration: Record<string, unknown>;
	secrets: Record<string, unknown>;
}

const TYPE_NAMES = 'str, int, float, bytes, bool or json';

export async function loadScope(experiment: ScopeSource, options: ScopeOptions): Promise<Scope> {
	const overrides: Overrides = { configuration: {}, secrets: {} };
	for (const file of options.varFiles ?? []) await applyVarFile(file, overrides, options.env);
	// --var comes last: it beats any var file.
	for (const spec of options.vars ?? []) {
		const { key, value } = parseVar(spec);
		overrides.configuration[key] = value;
	}
	return buildScope(experiment, options.env, overrides);
}

export function resolveScope(experiment: ScopeSource, env: Env): Scope {
	return buildScope(experiment, env, { configuration: {}, secrets: {} });
}

export function parseVar(spec: string): { key: string; value: unknown } {
	const equals = spec.indexOf('=');
	if (equals === -1) {
		throw new UserError(`--var "${spec}" must look like name=value or name:type=value (type: ${TYPE_NAMES}).`);
	}
	const declared = spec.slice(0, equals);
	const text = spec.slice(equals + 1);
	// The type follows the last colon of the name, so the value may hold colons (a URL) freely.
	const colon = declared.lastIndexOf(':');
	const key = colon === -1 ? declared : declared.slice(0, colon);
	if (!key) throw new UserError(`--var "${spec}" has no name before "=": write name=value.`);
	if (colon === -1) return { key, value: text };
	try {
		return { key, value: convertToType(declared.slice(colon + 1), text) };
	} catch (error) {
		if (error instanceof ConversionError) throw new UserError(`--var "${spec}": ${error.message}.`);
		throw error;
	}
}

/** Problems name no file: the caller knows the experiment's path and where each field sits in it. */
function buildScope(experiment: ScopeSource, env: Env, overrides: Overrides): Scope {
	const problems: Problem[] = [];
	const configuration: Record<string, unknown> = {};
	// Only declared keys are read: the reference ignores a --var or var-file key the experiment does
	// not declare (chaostoolkit-lib issue #257), so `${undeclared}` stays as written.
	for (const [name, declared] of Object.entries(experiment.configuration ?? {})) {
		if (Object.hasOwn(overrides.configuration, name)) {
			// An override wins even over an env value that is missing or malformed, and is used as given:
			// a var file's {"type": "env"} entry is not read from the environment.
			configuration[name] = overrides.configuration[name];
		} else if (isEnvReference(declared)) {
			const loaded = loadEnvConfiguration(name, declared, env);
			if ('problem' in loaded) problems.push(loaded.problem);
			else configuration[name] = loaded.value;
		} else {
			configuration[name] = declared;
		}
	}

	const secrets: Record<string, Record<string, unknown>> = {};
	for (const [scope, declared] of Object.entries(experiment.secrets ?? {})) {
		const override = overrides.secrets[scope];
		// A var file's scope replaces the experiment's scope whole, keys it leaves out included.
		const value = override !== undefined && override !== null ? override : loadSecret(declared, `secrets.${scope}`, env, problems);
		secrets[scope] = value as Record<string, unknown>;
	}

	if (problems.length > 0) throw new InvalidExperiment(problems);
	return { configuration, secrets };
}

interface EnvReference {
	type: 'env';
	key: string;
	default?: unknown;
	env_var_type?: string;
}

function isEnvReference(value: unknown): value is EnvReference {
	return isPlainObject(value) && value.type === 'env';
}

function loadEnvConfiguration(name: string, reference: EnvReference, env: Env): { value: unknown } | { problem: Problem } {
	const fromEnv = env[reference.key];
	// A null default is no default; an empty string is one. A set but empty variable beats the default.
	const hasDefault = reference.default !== undefined && reference.default !== null;
	if (fromEnv === undefined && !hasDefault) {
		return {
			problem: {
				file: '',
				field: `configuration.${name}`,
				message: `Configuration makes reference to an environment key that does not exist: ${reference.key}`,
				fix: `Export ${reference.key} before running, set it in a .env file passed with --var-file, or give "configuration.${name}" a "default".`,
			},
		};
	}
	const raw = fromEnv ?? reference.default;
	// The reference also passes a non-string default through the conversion (int(5.9) is 5); a
	// default written with its type already is taken as meant.
	if (typeof raw !== 'string') return { value: raw };
	try {
		return { value: convertToType(reference.env_var_type, raw) };
	} catch (error) {
		if (!(error instanceof ConversionError)) throw error;
		const fromDefault = fromEnv === undefined;
		const source = fromDefault ? `the default of "configuration.${name}"` : `environment key ${reference.key}`;
		const holder = fromDefault ? `the "default" of "configuration.${name}"` : reference.key;
		return {
			problem: {
				file: '',
				field: `configuration.${name}`,
				message: `Configuration reads ${source}, but ${error.message}`,
				fix: error.unknownType
					? `Set "env_var_type" to one of ${TYPE_NAMES}.`
					: `Give ${holder} a value of type ${String(reference.env_var_type)}, or change "env_var_type".`,
			},
		};
	}
}

/** A secret value: an env reference is read, a mapping is loaded key by key (scopes nest), anything else is literal. */
function loadSecret(value: unknown, field: string, env: Env, problems: Problem[]): unknown {
	if (isEnvReference(value)) {
		const fromEnv = env[value.key];
		if (fromEnv !== undefined) return fromEnv;
		problems.push({
			file: '',
			field,
			message: `Secrets make reference to an environment key that does not exist: ${value.key}`,
			fix: `Export ${value.key} before running, or set it in a .env file passed with --var-file (secrets have no default).`,
		});
		return undefined;
	}
	if (isPlainObject(value)) {
		return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, loadSecret(item, `${field}.${key}`, env, problems)]));
	}
	return value;
}

class ConversionError extends Error {
	readonly unknownType: boolean;
	constructor(message: string, unknownType = false) {
		super(message);
		this.name = 'ConversionError';
		this.unknownType = unknownType;
	}
}

// Python's int() and float() accept surrounding spaces, a sign and underscores between digits.
const PYTHON_INT = /^\s*[+-]?\d(?:_?\d)*\s*$/;
const PYTHON_FLOAT = /^\s*[+-]?(?:(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:e[+-]?\d(?:_?\d)*)?|inf|infinity|nan)\s*$/i;

/** The reference's `convert_to_type`, names and aliases included. */
function convertToType(type: unknown, text: string): unknown {
	switch (type) {
		case undefined:
		case null:
		case 'str':
		case 'string':
		// Bytes stay text: a JSON journal and our providers have no separate bytes type. (The reference
		// would render b'...' when a bytes value sits inside a longer string.)
		case 'bytes':
			return text;
		case 'int':
		case 'integer':
			if (!PYTHON_INT.test(text)) throw new ConversionError(`"${text}" is not a whole number (int)`);
			return Number(text.replace(/[\s_]/g, ''));
		case 'float':
		case 'number':
			if (!PYTHON_FLOAT.test(text)) throw new ConversionError(`"${text}" is not a number (float)`);
			return pythonFloat(text.replace(/[\s_]/g, ''));
		case 'bool':
			// Only these three words are false, compared case-insensitively and without trimming: "off",
			// "" and " false" are all true, as in the reference.
			return !['false', '0', 'no'].includes(text.toLowerCase());
		case 'json':
			if (text === '') return text;
			try {
				return JSON.parse(text);
			} catch (error) {
				throw new ConversionError(`"${text}" is not valid JSON (${(error as Error).message})`);
			}
		default:
			throw new ConversionError(`"${type}" is not a known type; use one of ${TYPE_NAMES}`, true);
	}
}

function pythonFloat(text: string): number {
	const lower = text.toLowerCase().replace(/^\+/, '');
	if (lower === 'inf' || lower === 'infinity') return Infinity;
	if (lower === '-inf' || lower === '-infinity') return -Infinity;
	if (lower.endsWith('nan')) return NaN;
	return Number(text);
}

/**
 * One --var-file. .yaml/.yml and .json hold `configuration` and `secrets` blocks; any other file
 * (.env, no extension) is read as NAME=value lines written into the environment, as the reference
 * does, before configuration reads it. Later files override earlier ones.
 */
async function applyVarFile(file: string, overrides: Overrides, env: Env): Promise<void> {
	let content: string;
	try {
		content = await readFile(file, 'utf8');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		if (code === 'ENOENT') throw new UserError(`--var-file ${file} does not exist.`);
		if (code === 'EISDIR') throw new UserError(`--var-file ${file} is a directory; give a .json, .yaml or .env file.`);
		throw new UserError(`--var-file ${file} cannot be read (${code ?? (error as Error).message}).`);
	}
	if (!content.trim()) return;

	const extension = extname(file).toLowerCase();
	if (extension !== '.json' && extension !== '.yaml' && extension !== '.yml') {
		applyDotenv(file, content, env);
		return;
	}
	const data = parseValuesFile(file, content);
	// The reference reads a file whose data is empty ({} or null) as a .env file and then crashes on
	// its first line; an empty file of values is simply nothing to apply.
	if (data === null || data === undefined) return;
	if (!isPlainObject(data)) {
		throw new UserError(`--var-file ${file} must hold a mapping with "configuration" and/or "secrets" blocks.`);
	}
	Object.assign(overrides.configuration, blockOf(file, data, 'configuration'));
	const secrets = blockOf(file, data, 'secrets');
	for (const [scope, value] of Object.entries(secrets)) {
		if (value !== null && !isPlainObject(value)) {
			throw new UserError(`--var-file ${file}: "secrets.${scope}" must be a mapping of secret names to values.`);
		}
	}
	Object.assign(overrides.secrets, secrets);
}

function blockOf(file: string, data: Record<string, unknown>, name: 'configuration' | 'secrets'): Record<string, unknown> {
	const block = data[name];
	if (block === undefined || block === null) return {};
	if (!isPlainObject(block)) {
		const shape = name === 'configuration' ? 'names to values' : 'scope names to mappings of secrets';
		throw new UserError(`--var-file ${file}: "${name}" must be a mapping of ${shape}.`);
	}
	return block;
}

/**
 * The reference's .env reading, kept as plain as it is: each non-blank line not starting with `#`
 * is split at its first `=`. Quotes are part of the value and `export ` is part of the name, so
 * TOKEN="abc" sets TOKEN to "abc" with its quotes.
 */
function applyDotenv(file: string, content: string, env: Env): void {
	const assignments: Array<[string, string]> = [];
	content.split('\n').forEach((rawLine, index) => {
		const line = rawLine.trim();
		if (!line || line.startsWith('#')) return;
		const equals = line.indexOf('=');
		if (equals === -1) {
			throw new UserError(`${file}:${index + 1}: expected NAME=value, found "${line}".`);
		}
		assignments.push([line.slice(0, equals), line.slice(equals + 1)]);
	});
	for (const [name, value] of assignments) env[name] = value;
}

/**
 * A var file is read like an experiment (JSON, or YAML 1.1 as the reference's PyYAML reads it), so
 * the same parser points at the first mistake; here it is one line, as for any bad option.
 */
function parseValuesFile(file: string, content: string): unknown {
	try {
		return parseSource(content, file).data;
	} catch (error) {
		if (!(error instanceof InvalidExperiment)) throw error;
		const [first] = error.problems;
		throw new UserError(first ? `${file}:${first.line ?? 1}:${first.column ?? 1}: ${first.message}.` : `${file}: cannot be parsed.`);
	}
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
