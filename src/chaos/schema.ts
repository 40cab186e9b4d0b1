import { z } from 'zod';
import type { FieldMeta } from '../schemas/problems.ts';
import { pythonRegExp } from './tolerance.ts';

/**
 * A Chaos Toolkit experiment, as one zod schema. It serves twice: `validate.ts` checks experiments
 * with it, and `experimentJsonSchema()` turns it into the JSON Schema that editors use to complete
 * and explain fields. So every field carries a description (shown on hover) and, where a learner
 * can get it wrong, a `fix` (shown beside the problem). Messages keep the reference tool's wording
 * (chaoslib's `ensure_*_is_valid`), so a learner can search for them; rules that need more than
 * one field at a time (references, PATH, the environment) live in `validate.ts`.
 *
 * Objects keep keys they do not know, as the reference tool does: extensions and newer versions of
 * the format add their own.
 */

export const EXPERIMENT_SCHEMA_PATH = '/schemas/experiment.schema.json';

type Issue = z.core.$ZodRawIssue;

/** Python's truthiness: the reference tool treats a falsy field (None, "", 0, [], {}) as missing. */
export function isFalsy(value: unknown): boolean {
	if (value === undefined || value === null || value === false || value === 0 || value === '') return true;
	if (Array.isArray(value)) return value.length === 0;
	return isPlainObject(value) && Object.keys(value).length === 0;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as Python's str() writes it in the reference tool's messages ('None' for a missing type). */
function pythonText(value: unknown): string {
	if (value === undefined || value === null) return 'None';
	if (value === true) return 'True';
	if (value === false) return 'False';
	return typeof value === 'string' ? value : JSON.stringify(value);
}

/** An error message: the reference tool's wording for a missing value, and `present` for a value of the wrong kind. */
function messages(missing: string, present: string | ((input: unknown) => string) = missing) {
	return (issue: Issue) => {
		if (isFalsy(issue.input)) return missing;
		return typeof present === 'string' ? present : present(issue.input);
	};
}

function described<T extends z.ZodType>(schema: T, description: string, fix?: string, extra: Record<string, unknown> = {}): T {
	return schema.meta({ description, ...(fix ? ({ fix } satisfies FieldMeta) : {}), ...extra }) as T;
}

/**
 * The branch of a union a value means to take, so validation reports that branch's problems
 * rather than every branch's. `undefined` means none fits: the union's own message is reported.
 */
const branchPickers = new WeakMap<z.ZodType, (value: unknown) => number | undefined>();

function oneOf<const T extends readonly [z.ZodType, ...z.ZodType[]]>(
	options: T,
	pick: (value: unknown) => number | undefined,
	error: (issue: Issue) => string,
	meta: { description: string; fix?: string } & Record<string, unknown>,
) {
	const union = z.union(options, { error }).meta(meta);
	branchPickers.set(union, pick);
	return union;
}

/** The option of a union (plain or discriminated) that `value` takes, when one can be told. */
export function branchOf(union: z.ZodType, value: unknown): z.ZodType | undefined {
	const def = union._zod.def as unknown as { type: string; options?: z.ZodType[]; discriminator?: string };
	if (def.type !== 'union' || !def.options) return undefined;
	if (def.discriminator) {
		if (!isPlainObject(value)) return undefined;
		const tag = value[def.discriminator];
		return def.options.find((option) => {
			const shape = (option._zod.def as unknown as { shape?: Record<string, z.ZodType> }).shape;
			return shape?.[def.discriminator as string]?.safeParse(tag).success;
		});
	}
	const index = branchPickers.get(union)?.(value);
	return index === undefined ? undefined : def.options[index];
}

/** The index of the branch `value` takes, for a union built with `oneOf`. */
export function branchIndexOf(union: z.ZodType, value: unknown): number | undefined {
	return branchPickers.get(union)?.(value);
}

/** Exactly one `${name}` and nothing else: substituted with the value's own type (a number stays a number). */
const VARIABLE = /^\$\{[^${}]+\}$/;

function variable(message: string) {
	return z.string().regex(VARIABLE, message);
}

// ---------------------------------------------------------------------------------------------
// Providers

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
const HTTP_TIMEOUT = 'a HTTP activity timeout must be a number of seconds or a [connect, read] pair';

const httpProviderSchema = z
	.looseObject({
		type: z.literal('http').describe('Calls a URL over HTTP(S).'),
		url: described(
			z
				.string({ error: messages('a HTTP activity must have a URL', 'a HTTP activity URL must be a string') })
				.min(1)
				.refine((url) => url.includes('$') || /^https?:\/\//i.test(url), 'a HTTP activity URL must start with http:// or https://'),
			'The URL to call, e.g. `http://storefront:8080/health`. May use `${name}` from configuration or secrets.',
			'Give the full URL with its scheme, e.g. `url: http://storefront:8080/health`.',
			{ examples: ['http://localhost:8080/health'] },
		),
		method: described(
			z.union([z.enum(HTTP_METHODS), z.string()], { error: 'a HTTP activity method must be a string, e.g. GET or POST' }),
			'The HTTP method; GET when left out. Sent upper-cased.',
			'Use an HTTP method name such as `GET`, `POST` or `DELETE`.',
		).optional(),
		headers: described(
			z.record(z.string(), z.string({ error: 'a HTTP header value must be a string' }), {
				error: 'a HTTP activities expect headers as a mapping',
			}),
			'Request headers, as `Name: value` pairs.',
			'Write headers as a mapping of names to text values, e.g. `headers: {Content-Type: application/json}`; quote numbers.',
		).optional(),
		arguments: described(
			z.record(z.string(), z.unknown(), { error: 'a HTTP activity expects arguments as a mapping' }),
			'For GET, the query string. Otherwise the body: JSON when `headers` has `Content-Type: application/json`, else form-encoded.',
			'Write arguments as a mapping of names to values, e.g. `arguments: {count: 3}`.',
		).optional(),
		timeout: oneOf(
			[z.number().positive(HTTP_TIMEOUT), z.tuple([z.number().positive(HTTP_TIMEOUT), z.number().positive(HTTP_TIMEOUT)]), variable(HTTP_TIMEOUT)],
			(value) => (typeof value === 'number' ? 0 : Array.isArray(value) ? 1 : typeof value === 'string' ? 2 : undefined),
			() => HTTP_TIMEOUT,
			{
				description: 'Seconds to wait for the response, or `[connect, read]` seconds. "activity took too long to complete" when exceeded.',
				fix: 'Give seconds, e.g. `timeout: 3`, or a pair `timeout: [1, 5]`, or exactly `"${name}"`.',
			},
		).optional(),
		verify_tls: described(
			z.boolean({ error: 'a HTTP activity verify_tls must be a boolean' }),
			'Check the server certificate for https URLs; true when left out.',
			'Use `verify_tls: false` to accept self-signed certificates, or leave it out.',
		).optional(),
		max_retries: described(
			z.number({ error: 'a HTTP activity max_retries must be a whole number' }).int().min(0),
			'How many times to retry a request that could not connect; 0 when left out.',
			'Give a whole number of retries, e.g. `max_retries: 2`.',
		).optional(),
	})
	.meta({ id: 'httpProvider', title: 'HTTP provider', description: 'Calls a URL; the result is `{status, headers, body}`. A 4xx or 5xx status is a result, not a failure.' });

const processProviderSchema = z
	.looseObject({
		type: z.literal('process').describe('Runs a program.'),
		path: described(
			z.string({ error: messages('a process activity must have a path', 'a process activity path must be a string') }).min(1),
			'The program: a name looked up on PATH (e.g. `curl`), or a path with a slash (e.g. `./scripts/check.sh`).',
			'Name the program to run, e.g. `path: curl` or `path: ./scripts/check.sh`.',
			{ examples: ['curl', 'sh'] },
		),
		arguments: oneOf(
			[z.string(), z.array(z.unknown()), z.record(z.string(), z.unknown())],
			(value) => (typeof value === 'string' ? 0 : Array.isArray(value) ? 1 : isPlainObject(value) ? 2 : undefined),
			() => 'a process activity expects arguments as a string, a list or a mapping',
			{
				description:
					'A list of arguments (each passed as one argument; null and "" are dropped), or one string run through `sh -c "path arguments"`. A mapping is flattened to key, value pairs (deprecated).',
				fix: 'Write arguments as a list, e.g. `arguments: ["-s", "http://storefront:8080/health"]`, or as one string.',
			},
		).optional(),
		timeout: described(
			z.number({ error: 'a process activity timeout must be a number' }).positive(),
			'Seconds the program may run; "process activity took too long to complete" when exceeded.',
			'Give seconds as a number, e.g. `timeout: 10`.',
		).optional(),
	})
	.meta({ id: 'processProvider', title: 'Process provider', description: 'Runs a program; the result is `{status, stdout, stderr}`. A non-zero exit status is a result, not a failure.' });

const PYTHON_UNAVAILABLE = 'The python provider is not available in this runner: use process or http.';

/** Accepted by the schema so that validation can name the activity in its message (see validate.ts). */
const pythonProviderSchema = z
	.looseObject({
		type: z.literal('python'),
		module: z.string().optional(),
		func: z.string().optional(),
		arguments: z.record(z.string(), z.unknown()).optional(),
	})
	.meta({ title: 'Python provider (not available)', description: PYTHON_UNAVAILABLE, deprecated: true, deprecationMessage: PYTHON_UNAVAILABLE });

const providerSchema = z
	.discriminatedUnion('type', [httpProviderSchema, processProviderSchema, pythonProviderSchema], {
		error: (issue) => {
			const input = issue.input;
			if (isFalsy(input)) return 'an activity requires a provider';
			if (!isPlainObject(input)) return 'an activity provider must be a mapping with a type';
			if (isFalsy(input.type)) return 'a provider must have a type';
			return `unknown provider type '${pythonText(input.type)}'`;
		},
	})
	.meta({
		id: 'provider',
		description: 'What the activity does: `type: http` calls a URL, `type: process` runs a program.',
		fix: 'Give the provider a type and its fields, e.g. `provider: {type: http, url: http://storefront:8080/health}` or `provider: {type: process, path: curl, arguments: [...]}`.',
	});

// ---------------------------------------------------------------------------------------------
// Activities

function pauseSchema(when: 'before' | 'after') {
	const message = `activity ${when} pause must be a number or a pattern to a variable from the configuration or secrets`;
	return oneOf(
		[z.number().min(0, `activity ${when} pause cannot be negative`), variable(message)],
		(value) => (typeof value === 'number' ? 0 : undefined),
		() => message,
		{
			description: `Seconds to wait ${when} the activity runs, or exactly "\${name}" for a configuration value.`,
			fix: `Give seconds as a number, e.g. \`${when}: 5\`, or exactly \`"\${name}"\` naming a configuration value.`,
		},
	);
}

const pausesSchema = described(
	z.looseObject({ before: pauseSchema('before').optional(), after: pauseSchema('after').optional() }, { error: 'activity pauses must be a mapping with before and/or after' }),
	'Waits around the activity.',
	'Write pauses as a mapping, e.g. `pauses: {after: 5}`.',
);

const activityFields = {
	type: described(
		z.enum(['probe', 'action'], { error: messages('an activity must have a type', (type) => `'${pythonText(type)}' is not a supported activity type`) }),
		'`probe` observes the system; `action` changes it.',
		'Use `type: probe` to observe the system or `type: action` to change it.',
	),
	name: described(
		z.string({ error: messages('an activity must have a name', 'an activity name must be a string') }).min(1),
		'A name for the journal and for `ref`s to this activity.',
		'Give the activity a short unique name, e.g. `name: storefront-is-up`.',
	),
	provider: providerSchema,
	pauses: pausesSchema.optional(),
	background: described(
		z.boolean({ error: 'activity background must be a boolean' }),
		'Run while the next activities start; the method waits for it before the hypothesis is checked again.',
		'Use `background: true` or `background: false`.',
	).optional(),
	timeout: described(
		z.number({ error: 'activity timeout must be a number' }),
		'Checked to be a number but, as in the reference tool, not used: set `timeout` on the provider.',
		'Give seconds as a number, or set `timeout` on the provider, which is the one that applies.',
	).optional(),
	controls: z.array(z.unknown()).describe('Controls are accepted and not run by this runner.').optional(),
};

const refSchema = z.looseObject({
	ref: described(
		z.string({ error: 'reference to activity must be non-empty strings' }).min(1),
		'The name of an activity declared in the hypothesis, the method or the rollbacks, to run again here.',
		'Give the name of an activity declared elsewhere in the experiment, e.g. `ref: storefront-is-up`.',
	),
});

const activitySchema = z.looseObject(activityFields).meta({ id: 'activity', title: 'Activity', description: 'A probe or an action.' });

/** What the reference tool does first: a mapping with a `ref` key is a reference, whatever else it holds. */
function refOrActivity(value: unknown): number | undefined {
	if (!isPlainObject(value) || isFalsy(value)) return undefined;
	return value.ref !== undefined && value.ref !== null ? 0 : 1;
}

const activityMessages = messages('empty activity is no activity', 'an activity must be a mapping with type, name and provider, or a ref');

const ACTIVITY_SNIPPETS = [
	{ label: 'HTTP probe', body: { type: 'probe', name: '$1', provider: { type: 'http', url: '$2' } } },
	{ label: 'process action', body: { type: 'action', name: '$1', provider: { type: 'process', path: '$2', arguments: [] } } },
	{ label: 'reference', body: { ref: '$1' } },
];

const activityOrRefSchema = oneOf([refSchema, activitySchema], refOrActivity, activityMessages, {
	id: 'activityOrRef',
	description: 'An activity (`type`, `name`, `provider`), or `{ref: name}` to run an activity declared elsewhere.',
	fix: 'Write an activity with `type`, `name` and `provider`, or `ref: <name of another activity>`.',
	defaultSnippets: ACTIVITY_SNIPPETS,
});

// ---------------------------------------------------------------------------------------------
// Tolerances

const targetSchema = described(
	z.string({ error: 'a tolerance target must be a string' }),
	'The key of the result to check: `stdout` or `stderr` for a process, `body` for HTTP.',
	'Name a key of the result, e.g. `target: stdout` (process) or `target: body` (http).',
).optional();

const regexToleranceSchema = z
	.looseObject({
		type: z.literal('regex'),
		pattern: described(
			z
				.string({
					error: messages('hypothesis regex probe tolerance must have a `pattern` key', (pattern) => `hypothesis probe tolerance pattern ${pythonText(pattern)} has an invalid type`),
				})
				.superRefine((pattern, context) => {
					try {
						// The runner searches with Python's syntax translated; validation accepts what it accepts.
						pythonRegExp(pattern);
					} catch (error) {
						context.addIssue({ code: 'custom', message: `hypothesis probe tolerance pattern ${pattern} seems invalid: ${(error as Error).message}` });
					}
				}),
			'A regular expression searched for (not fully matched) in the target. May use `${name}`.',
			'Give a regular expression as a string, e.g. `pattern: "ok|healthy"`; escape backslashes in JSON.',
		),
		target: targetSchema,
	})
	.meta({ title: 'Regex tolerance', description: 'Met when the pattern is found in the result\'s `target`.' });

const jsonPathToleranceSchema = z
	.looseObject({
		type: z.literal('jsonpath'),
		path: described(
			z
				.string({ error: messages('hypothesis jsonpath probe tolerance must have a `path` key', 'hypothesis probe tolerance JSON path must be a string') })
				.refine((path) => path.trim() !== '', 'hypothesis probe tolerance JSON path cannot be empty'),
			'A JSONPath in the jsonpath2 dialect: filters use `=` and follow a wildcard, e.g. `$.items[*][?(@.up = true)]`.',
			'Give a JSONPath starting at `$`, e.g. `path: $.status`.',
			{ examples: ['$.status', '$.items[*][?(@.up = true)]'] },
		),
		count: described(
			z.number({ error: 'hypothesis jsonpath probe tolerance count must be a whole number' }).int().min(0),
			'Met when exactly this many values match.',
			'Give a whole number, e.g. `count: 1`.',
		).optional(),
		expect: z.unknown().describe('Met when the matches equal this value (a list: equal to the list of matches).').optional(),
		target: targetSchema,
	})
	.meta({ title: 'JSONPath tolerance', description: 'Met when the path matches (at least once, `count` times, or the `expect`ed values). String bodies are parsed as JSON.' });

const rangeToleranceSchema = z
	.looseObject({
		type: z.literal('range'),
		range: described(
			z.tuple([z.number({ error: 'hypothesis range lower boundary must be a number' }), z.number({ error: 'hypothesis range upper boundary must be a number' })], {
				error: (issue) => {
					if (issue.input === undefined) return 'hypothesis range probe tolerance must have a `range` key';
					return Array.isArray(issue.input) ? 'hypothesis range sequence must be made of two values' : 'hypothesis range must be a sequence';
				},
			}),
			'`[lowest, highest]`, both included.',
			'Give two numbers, lowest first, e.g. `range: [200, 299]`.',
		),
		target: targetSchema,
	})
	.meta({ title: 'Range tolerance', description: 'Met when the (numeric) value lies within `range`.' });

const probeToleranceSchema = z
	.looseObject({ ...activityFields, type: z.literal('probe') })
	.meta({ title: 'Probe tolerance', description: 'A probe called with `arguments.value` set to the output; met when its result is truthy.' });

const TOLERANCE_KINDS = 'regex, jsonpath, range or probe';

const toleranceObjectSchema = z.discriminatedUnion('type', [regexToleranceSchema, jsonPathToleranceSchema, rangeToleranceSchema, probeToleranceSchema], {
	error: (issue) => `hypothesis probe tolerance type '${pythonText(isPlainObject(issue.input) ? issue.input.type : undefined)}' is unsupported`,
});

function toleranceKind(value: unknown): number | undefined {
	if (typeof value === 'boolean') return 0;
	// The reference tool takes only whole numbers: a float tolerance is rejected.
	if (typeof value === 'number') return Number.isInteger(value) ? 1 : undefined;
	if (typeof value === 'string') return 2;
	if (Array.isArray(value)) return 3;
	return isPlainObject(value) ? 4 : undefined;
}

const toleranceSchema = oneOf(
	[z.boolean(), z.number().int(), z.string(), z.array(z.unknown()), toleranceObjectSchema],
	toleranceKind,
	messages(
		'hypothesis probe must have a tolerance entry',
		'hypothesis probe tolerance must either be an integer, a string, a boolean or a pair of values for boundaries. It can also be a dictionary which is a probe activity definition that takes an argument called `value` with the value of the probe itself to be validated',
	),
	{
		id: 'tolerance',
		description: `What the probe's output must be for the steady state to hold: a boolean, a whole number (an HTTP or exit status), a string, a list (accepted statuses, or [low, high]), or a mapping whose type is ${TOLERANCE_KINDS}.`,
		fix: `Give a status such as \`tolerance: 200\`, a list \`[200, 204]\`, or a mapping with \`type: ${TOLERANCE_KINDS}\`.`,
		defaultSnippets: [
			{ label: 'status', body: 200 },
			{ label: 'regex', body: { type: 'regex', pattern: '$1', target: 'stdout' } },
			{ label: 'jsonpath', body: { type: 'jsonpath', path: '$1', expect: '$2', target: 'body' } },
			{ label: 'range', body: { type: 'range', range: ['$1', '$2'], target: 'body' } },
		],
	},
);

const hypothesisProbeSchema = oneOf(
	[refSchema.extend({ tolerance: toleranceSchema }), activitySchema.extend({ tolerance: toleranceSchema })],
	refOrActivity,
	activityMessages,
	{
		description: 'A probe (or a `ref` to one) with the `tolerance` its output must meet.',
		fix: 'Write a probe with `type`, `name`, `provider` and `tolerance`, or `ref: <name>` with a `tolerance`.',
		defaultSnippets: [{ label: 'HTTP probe', body: { type: 'probe', name: '$1', tolerance: 200, provider: { type: 'http', url: '$2' } } }],
	},
);

// ---------------------------------------------------------------------------------------------
// Configuration and secrets

const ENV_VAR_TYPES = ['str', 'int', 'float', 'bytes', 'bool', 'json'] as const;

const isEnvReference = (value: unknown) => isPlainObject(value) && value.type === 'env';

const envKey = described(
	z.string({ error: 'an environment value must name its variable in `key`' }).min(1),
	'The environment variable to read.',
	'Name the environment variable, e.g. `key: API_TOKEN`.',
);

const envConfigurationSchema = z
	.looseObject({
		type: z.literal('env'),
		key: envKey,
		default: z.unknown().describe('Used when the variable is not set.').optional(),
		env_var_type: described(
			z.union([z.enum(ENV_VAR_TYPES), z.string()], { error: 'env_var_type must be a string' }),
			'How to convert the variable\'s text: str (the default), int, float, bytes, bool or json.',
			'Use one of str, int, float, bytes, bool or json.',
		).optional(),
	})
	.meta({ title: 'Environment value', description: 'Read from an environment variable when the experiment starts.' });

// Aborts, so that a broken env value is reported as one (a missing key), not as a literal that failed.
const literalValue = z.unknown().refine((value) => !isEnvReference(value), { abort: true });

const configurationValueSchema = oneOf([envConfigurationSchema, literalValue], (value) => (isEnvReference(value) ? 0 : undefined), () => 'an environment value must name its variable in `key`', {
	description: 'A value, or `{type: env, key: NAME}` to read it from the environment.',
});

export const configurationSchema = described(
	z.record(z.string(), configurationValueSchema, { error: 'experiment configuration must be a mapping of names to values' }),
	'Values activities use as `${name}`: literals, or read from the environment.',
	'Write configuration as a mapping, e.g. `configuration: {base_url: "http://storefront:8080"}`.',
);

const envSecretSchema = z
	.looseObject({ type: z.literal('env'), key: envKey })
	.meta({ title: 'Environment secret', description: 'Read from an environment variable (secrets have no default).' });

const secretValueSchema = oneOf([envSecretSchema, literalValue], (value) => (isEnvReference(value) ? 0 : undefined), () => 'an environment value must name its variable in `key`', {
	description: 'A secret value, or `{type: env, key: NAME}` to read it from the environment.',
});

export const secretsSchema = described(
	z.record(z.string(), z.record(z.string(), secretValueSchema, { error: 'a secrets scope must be a mapping of names to values' }), {
		error: 'experiment secrets must be a mapping of scopes',
	}),
	'Secrets grouped in scopes (`{scope: {name: value}}`), used as `${name}` like configuration.',
	'Write secrets in a scope, e.g. `secrets: {storefront: {token: {type: env, key: STOREFRONT_TOKEN}}}`.',
);

// ---------------------------------------------------------------------------------------------
// The experiment

const ROLLBACK_STRATEGIES = ['default', 'always', 'never', 'deviated'] as const;
const HYPOTHESIS_STRATEGIES = ['default', 'before-method-only', 'after-method-only', 'during-method-only', 'continuously'] as const;

const runtimeSchema = z.looseObject(
	{
		rollbacks: z
			.looseObject({
				strategy: described(
					z.enum(ROLLBACK_STRATEGIES, { error: `rollback strategy must be one of ${ROLLBACK_STRATEGIES.join(', ')}` }),
					'When rollbacks run: `default` (unless the run failed or was interrupted), `always`, `never`, or only when `deviated`. `--rollback-strategy` wins.',
					`Use one of ${ROLLBACK_STRATEGIES.join(', ')}.`,
				).optional(),
			})
			.optional(),
		hypothesis: z
			.looseObject({
				strategy: described(
					z.enum(HYPOTHESIS_STRATEGIES, { error: `hypothesis strategy must be one of ${HYPOTHESIS_STRATEGIES.join(', ')}` }),
					'When the hypothesis is checked: `default` (before and after the method), `before-method-only`, `after-method-only`, `during-method-only` or `continuously`. `--hypothesis-strategy` wins.',
					`Use one of ${HYPOTHESIS_STRATEGIES.join(', ')}.`,
				).optional(),
				frequency: described(
					z.number({ error: 'hypothesis frequency must be a number of seconds' }).positive(),
					'Seconds between checks during the method; 1 when left out.',
					'Give seconds as a number, e.g. `frequency: 2`.',
				).optional(),
				fail_fast: described(
					z.boolean({ error: 'hypothesis fail_fast must be a boolean' }),
					'End the run as failed at the first failed check during the method.',
					'Use `fail_fast: true` or leave it out.',
				).optional(),
			})
			.optional(),
	},
	{ error: 'experiment runtime must be a mapping' },
).describe('How this experiment runs by default; command-line options win.');

const hypothesisSchema = z
	.looseObject(
		{
			title: described(
				z.string({ error: messages('hypothesis requires a title', 'hypothesis title must be a string') }).min(1),
				'What "normal" means for the system, in a sentence.',
				'Give the hypothesis a title, e.g. `title: The storefront answers`.',
			),
			probes: described(
				z.array(hypothesisProbeSchema, { error: 'hypothesis probes must be a list' }),
				'Probes run in order before and after the method; the first one outside its tolerance ends the check. None: the hypothesis is skipped.',
				'Write probes as a list of activities, each with a `tolerance`.',
			)
				.nullable()
				.optional(),
			controls: z.array(z.unknown()).describe('Controls are accepted and not run by this runner.').optional(),
		},
		{ error: 'the steady-state hypothesis must be a mapping with a title and probes' },
	)
	.describe('The steady state: probes and the tolerances their output must meet, checked before and after the method.');

export const experimentSchema = z
	.looseObject(
		{
			$schema: z.string().describe('The JSON Schema editors check this file against.').optional(),
			version: described(z.union([z.string(), z.number()]), 'The version of this experiment, e.g. `1.0.0`.').optional(),
			title: described(
				z.string({ error: messages('experiment requires a title', 'experiment title must be a string') }).min(1),
				'What the experiment shows, in a sentence. May use `${name}`.',
				'Give the experiment a title, e.g. `title: The storefront survives a Redis restart`.',
			),
			description: described(
				z.string({ error: messages('experiment requires a description', 'experiment description must be a string') }).min(1),
				'Why this experiment exists and what it does.',
				'Describe the experiment in a sentence or two, e.g. `description: Restart Redis and check that orders still go through.`',
			),
			tags: described(
				z.array(z.string({ error: 'experiment tags must be a non-empty string' }).min(1), { error: 'experiment tags must be a list of non-empty strings' }),
				'Labels for finding experiments.',
				'Write tags as a list of words, e.g. `tags: [redis, storefront]`.',
			)
				.nullable()
				.optional(),
			contributions: described(
				z.record(z.string(), z.union([z.enum(['high', 'medium', 'low', 'none']), z.string()]), {
					error: 'experiment contributions must be a mapping of names to high, medium, low or none',
				}),
				'How much this experiment contributes to each quality, e.g. `{reliability: high}`.',
				'Write contributions as a mapping, e.g. `contributions: {availability: high}`.',
			).optional(),
			configuration: configurationSchema.optional(),
			secrets: secretsSchema.optional(),
			extensions: described(
				z.array(
					z.looseObject({
						name: described(
							z.string({ error: 'All extensions require a non-empty name' }).refine((name) => name.trim() !== '', 'All extensions require a non-empty name'),
							'The extension\'s name.',
						),
					}),
					{ error: 'experiment extensions must be a list' },
				),
				'Extra data for tools, each entry with a `name`.',
				'Give each extension a `name`, e.g. `extensions: [{name: course, lesson: 3}]`.',
			).optional(),
			controls: z.array(z.unknown()).describe('Controls are accepted and not run by this runner.').optional(),
			'steady-state-hypothesis': hypothesisSchema.nullable().optional(),
			method: described(
				z.array(activityOrRefSchema, {
					error: messages(
						'an experiment requires a method, which can be empty for only checking steady state hypothesis',
						'an experiment method must be a list of activities',
					),
				}),
				'The activities that disturb and observe the system, run in order. May be empty to only check the hypothesis.',
				'Add `method:` with a list of activities (`method: []` to only check the steady state).',
			),
			rollbacks: described(
				z.array(activityOrRefSchema, { error: 'experiment rollbacks must be a list of activities' }),
				'Actions that undo the method, run after the hypothesis is checked again.',
				'Write rollbacks as a list of activities.',
			).optional(),
			runtime: runtimeSchema.optional(),
		},
		{ error: messages('an empty experiment is not an experiment', 'an experiment must be a mapping with a title, a description and a method') },
	)
	.meta({
		title: 'Chaos Toolkit experiment',
		description: 'A chaos experiment: a steady-state hypothesis, a method that disturbs the system, and rollbacks. Runs with `chaos run`.',
	});

/** The JSON Schema editors use, generated from `experimentSchema` so that the two never disagree. */
export function experimentJsonSchema(): Record<string, unknown> {
	const generated = z.toJSONSchema(experimentSchema, {
		target: 'draft-07',
		io: 'input',
		// Fix hints are for our problem reports, not a JSON Schema keyword.
		override: (context) => {
			delete (context.jsonSchema as Record<string, unknown>).fix;
		},
	}) as Record<string, unknown>;
	const { $schema, ...rest } = generated;
	return { $schema, $id: EXPERIMENT_SCHEMA_PATH, ...rest };
}
