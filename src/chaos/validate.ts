import { distance } from 'fastest-levenshtein';
import type { z } from 'zod';
import type { FieldMeta, Locator, Problem } from '../schemas/problems.ts';
import { resolveScope } from './configuration.ts';
import { InvalidExperiment } from './errors.ts';
import { findExecutable } from './providers/process.ts';
import { branchIndexOf, branchOf, configurationSchema, experimentSchema, isFalsy, isPlainObject, secretsSchema } from './schema.ts';
import type { Experiment } from './types.ts';

/**
 * Checks an experiment the way the reference tool's `ensure_experiment_is_valid` does, in two
 * passes: the zod schema (shapes and types, in the reference tool's words), then the rules that
 * need the whole experiment or the machine (references between activities, programs on PATH,
 * environment variables, the python provider). Unlike the reference tool, which stops at the first
 * problem, every problem is reported, each with its place in the file and how to fix it.
 */

type Path = ReadonlyArray<PropertyKey>;
type Env = Record<string, string | undefined>;

export interface ValidateOptions {
	/** Names the file in problems, as the person typed it. */
	file: string;
	locate?: Locator;
	/** For environment-backed configuration and secrets, and the PATH that finds process programs. Defaults to process.env. */
	env?: Env;
}

export function validateExperiment(data: unknown, options: ValidateOptions): Experiment {
	const env = options.env ?? process.env;
	const report = (path: Path, message: string, fix?: string): Problem => {
		const position = options.locate?.(path);
		return { file: options.file, field: fieldName(path), line: position?.line, column: position?.column, message, fix };
	};

	// As in the reference tool, nothing else is worth saying about an empty file.
	if (isFalsy(data)) {
		throw new InvalidExperiment([report([], 'an empty experiment is not an experiment', 'Write an experiment with at least `title`, `description` and `method`; `chaos init` writes one to start from.')]);
	}
	const parsed = experimentSchema.safeParse(data);
	const problems = parsed.success ? [] : parsed.error.issues.flatMap((issue) => problemsFrom(issue, [], data, report));
	// An experiment that is not a mapping at all has nothing more to check.
	if (isPlainObject(data)) problems.push(...crossCheck(data, env, report));
	if (problems.length > 0) throw new InvalidExperiment(inFileOrder(problems));
	return parsed.data as Experiment;
}

type Report = (path: Path, message: string, fix?: string) => Problem;

/**
 * A zod issue as problems. A union that failed reports the problems of the branch the value meant
 * to take (an activity's, not a ref's), so the person sees "a HTTP activity must have a URL" rather
 * than every way the value failed to be each thing it could have been.
 */
function problemsFrom(issue: z.core.$ZodIssue, prefix: Path, data: unknown, report: Report): Problem[] {
	const path = [...prefix, ...issue.path];
	if (issue.code === 'invalid_union' && issue.errors.length > 0) {
		const union = schemasAlong(path, data).at(-1);
		const branch = union ? branchIndexOf(union, valueAt(data, path)) : undefined;
		const chosen = branch === undefined ? undefined : issue.errors[branch];
		if (chosen && chosen.length > 0) return chosen.flatMap((inner) => problemsFrom(inner, path, data, report));
	}
	return [report(path, issue.message, fixAt(path, data))];
}

/**
 * The schemas a path passes through in `experimentSchema`, outermost first, following the union
 * branch the data takes on the way. At the end of the path a union stays a union: the issue is
 * about the union itself. Stops early where the schema knows no more (an unknown key).
 */
function schemasAlong(path: Path, data: unknown): z.ZodType[] {
	const along: z.ZodType[] = [];
	let schema: z.ZodType | undefined = experimentSchema;
	let value = data;
	for (let depth = 0; schema; depth += 1) {
		const last = depth === path.length;
		schema = unwrapInto(schema, last ? undefined : value, along);
		if (last) break;
		const key = path[depth] as PropertyKey;
		schema = childOf(schema, key);
		value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
	}
	return along;
}

/** Records each wrapper (optional, nullable, union) on the way to the schema that holds fields; `value` picks union branches. */
function unwrapInto(schema: z.ZodType, value: unknown, along: z.ZodType[]): z.ZodType {
	let current = schema;
	for (;;) {
		along.push(current);
		const def = current._zod.def as unknown as Record<string, unknown> & { type: string };
		let inner: z.ZodType | undefined;
		if (['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch'].includes(def.type)) inner = def.innerType as z.ZodType;
		else if (def.type === 'pipe') inner = def.in as z.ZodType;
		else if (def.type === 'union' && value !== undefined) inner = branchOf(current, value);
		if (!inner) return current;
		current = inner;
	}
}

function childOf(schema: z.ZodType, key: PropertyKey): z.ZodType | undefined {
	const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
	if (def.type === 'object') return (def.shape as Record<string, z.ZodType>)[String(key)];
	if (def.type === 'array') return def.element as z.ZodType;
	if (def.type === 'record') return def.valueType as z.ZodType;
	if (def.type === 'tuple') return (def.items as z.ZodType[])[Number(key)];
	return undefined;
}

/** The most specific fix along the path: a field's own, else the nearest enclosing one. */
function fixAt(path: Path, data: unknown): string | undefined {
	for (const schema of schemasAlong(path, data).reverse()) {
		const fix = (schema.meta() as FieldMeta | undefined)?.fix;
		if (fix) return fix;
	}
	return undefined;
}

function valueAt(data: unknown, path: Path): unknown {
	let value = data;
	for (const key of path) {
		if (value === null || typeof value !== 'object') return undefined;
		value = (value as Record<PropertyKey, unknown>)[key];
	}
	return value;
}

/** `method[1].provider.url`, `steady-state-hypothesis.probes[0].tolerance`, `configuration["a key"]`. */
function fieldName(path: Path): string {
	return path
		.map((key, index) => {
			if (typeof key === 'number') return `[${key}]`;
			const name = String(key);
			const plain = /^[A-Za-z_$][\w$-]*$/.test(name) ? name : JSON.stringify(name);
			return plain === name ? (index === 0 ? name : `.${name}`) : `[${plain}]`;
		})
		.join('');
}

// ---------------------------------------------------------------------------------------------
// Rules across the experiment. These read the raw data, not zod's output, so that they report
// even when other parts of the experiment are broken.

interface Located {
	path: Path;
	activity: Record<string, unknown>;
}

/** Where activities are declared. Refs resolve against these (the reference tool also caches by name). */
const ACTIVITY_LISTS: Path[] = [['steady-state-hypothesis', 'probes'], ['method'], ['rollbacks']];

function crossCheck(experiment: Record<string, unknown>, env: Env, report: Report): Problem[] {
	const problems: Problem[] = [];
	const declared: Located[] = ACTIVITY_LISTS.flatMap((listPath) => {
		const list = valueAt(experiment, listPath);
		if (!Array.isArray(list)) return [];
		return list.flatMap((activity, index) => (isPlainObject(activity) ? [{ path: [...listPath, index], activity }] : []));
	});
	const names = new Set(declared.map(({ activity }) => activity.name).filter((name): name is string => typeof name === 'string' && name !== ''));

	for (const { path, activity } of declared) {
		if (activity.ref !== undefined && activity.ref !== null) {
			if (typeof activity.ref === 'string' && activity.ref !== '' && !names.has(activity.ref)) {
				problems.push(
					report(
						[...path, 'ref'],
						`referenced activity '${activity.ref}' could not be found in the experiment`,
						refFix(activity.ref, names),
					),
				);
			}
			continue;
		}
		problems.push(...providerProblems(path, activity, env, report));
		// A hypothesis probe's probe tolerance is an activity of its own, with a provider to check the
		// same way. (Tolerances elsewhere are never used, and the reference tool ignores them.)
		const tolerance = activity.tolerance;
		if (path[0] === 'steady-state-hypothesis' && isPlainObject(tolerance) && tolerance.type === 'probe') {
			problems.push(...providerProblems([...path, 'tolerance'], tolerance, env, report));
		}
	}

	problems.push(...environmentProblems(experiment, env, report));
	return problems;
}

function providerProblems(path: Path, activity: Record<string, unknown>, env: Env, report: Report): Problem[] {
	const provider = activity.provider;
	if (!isPlainObject(provider)) return [];
	const name = typeof activity.name === 'string' && activity.name !== '' ? activity.name : fieldName(path);
	if (provider.type === 'python') {
		const call = typeof provider.module === 'string' && typeof provider.func === 'string' ? `from ${provider.module} import ${provider.func}; ${provider.func}()` : 'import mymodule; mymodule.check()';
		return [
			report(
				[...path, 'provider', 'type'],
				`activity '${name}' uses the python provider, which is not available in this runner: use process or http`,
				`Run the code as a program, e.g. \`provider: {type: process, path: python3, arguments: ["-c", "${call}"]}\`, or call the service with \`provider: {type: http, url: ...}\`.`,
			),
		];
	}
	if (provider.type === 'process' && typeof provider.path === 'string' && provider.path !== '' && !findExecutable(provider.path, env)) {
		const fix = provider.path.includes('/')
			? 'Check the path (relative paths start from the directory `chaos` runs in) and that the file is executable (`chmod +x`).'
			: 'Install the program, or give its full path; `which <name>` in the same shell shows whether PATH finds it.';
		return [report([...path, 'provider', 'path'], `path '${provider.path}' cannot be found, in activity '${name}'`, fix)];
	}
	return [];
}

/** Only once configuration and secrets have the right shape: reading them needs that. */
function environmentProblems(experiment: Record<string, unknown>, env: Env, report: Report): Problem[] {
	const { configuration, secrets } = experiment;
	if (!configurationSchema.optional().safeParse(configuration).success || !secretsSchema.optional().safeParse(secrets).success) return [];
	try {
		resolveScope({ configuration, secrets } as Pick<Experiment, 'configuration' | 'secrets'>, env);
		return [];
	} catch (error) {
		if (!(error instanceof InvalidExperiment)) throw error;
		// Their fields are dotted paths of plain keys (`configuration.api_token`).
		return error.problems.map((problem) => ({ ...report(problem.field.split('.'), problem.message, problem.fix), field: problem.field }));
	}
}

function refFix(reference: string, names: Set<string>): string {
	if (names.size === 0) return 'No activity in this experiment has a name: declare the activity (with a `name`) in the hypothesis, method or rollbacks, then refer to it.';
	const nearest = [...names].sort((a, b) => distance(reference, a) - distance(reference, b))[0] as string;
	const gap = distance(reference.toLowerCase(), nearest.toLowerCase());
	const likely = gap < reference.length && gap <= Math.max(1, Math.floor(reference.length / 3));
	const known = [...names].map((name) => `'${name}'`).join(', ');
	return `${likely ? `Did you mean '${nearest}'? ` : ''}Refer to an activity declared in the hypothesis, method or rollbacks by its exact name: ${known}.`;
}

/** Problems as they appear down the file; ones without a position keep their order, at the end. */
function inFileOrder(problems: Problem[]): Problem[] {
	return problems
		.map((problem, index) => ({ problem, index }))
		.sort((a, b) => (a.problem.line ?? Infinity) - (b.problem.line ?? Infinity) || (a.problem.column ?? 0) - (b.problem.column ?? 0) || a.index - b.index)
		.map(({ problem }) => problem);
}
