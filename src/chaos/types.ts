/**
 * The shapes of a Chaos Toolkit experiment and journal, as our runner reads and writes them.
 * Field names are the Chaos Toolkit's own (snake_case, `steady-state-hypothesis`), so files move
 * between our runner and the reference tool unchanged. Validation lives in `schema.ts`; these are
 * the types the rest of the runner is written against once an experiment has passed it.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface HttpProvider {
	type: 'http';
	url: string;
	/** Defaults to GET; sent upper-cased. */
	method?: string;
	headers?: Record<string, string>;
	/** GET: query string. Otherwise a JSON body when Content-Type is exactly application/json, else form-encoded. */
	arguments?: Record<string, unknown>;
	/** Seconds for the whole request, or [connect, read]. */
	timeout?: number | [number, number];
	verify_tls?: boolean;
	max_retries?: number;
}

export interface ProcessProvider {
	type: 'process';
	/** Looked up on PATH unless it contains a slash. */
	path: string;
	/** A string (run through `sh -c`), a list (null and "" dropped) or a mapping (deprecated). */
	arguments?: string | unknown[] | Record<string, unknown>;
	/** Seconds. */
	timeout?: number;
}

/** Not run by our runner; kept in the type so validation can name it in its message. */
export interface PythonProvider {
	type: 'python';
	module?: string;
	func?: string;
	arguments?: Record<string, unknown>;
}

export type Provider = HttpProvider | ProcessProvider;

export interface RegexTolerance {
	type: 'regex';
	pattern: string;
	target?: string;
}

export interface JsonPathTolerance {
	type: 'jsonpath';
	path: string;
	count?: number;
	expect?: unknown;
	target?: string;
}

export interface RangeTolerance {
	type: 'range';
	range: [number, number];
	target?: string;
}

/** A probe whose result decides the tolerance: it is called with `arguments.value` set to the output. */
export interface ProbeTolerance {
	type: 'probe';
	name?: string;
	provider: Provider;
	[key: string]: unknown;
}

export type Tolerance = boolean | number | string | unknown[] | RegexTolerance | JsonPathTolerance | RangeTolerance | ProbeTolerance;

export interface Pauses {
	/** Seconds, or exactly "${name}" for a configuration value. */
	before?: number | string;
	after?: number | string;
}

export interface Activity {
	type: 'probe' | 'action';
	name: string;
	provider: Provider;
	pauses?: Pauses;
	background?: boolean;
	controls?: unknown[];
	/** Validated as a number; like the reference tool, not used to bound the activity. */
	timeout?: number;
	/** Only meaningful on steady-state hypothesis probes. */
	tolerance?: Tolerance;
	[key: string]: unknown;
}

/** `{"ref": "name"}`: reuse an activity declared elsewhere in the experiment. */
export interface ActivityRef {
	ref: string;
}

export type ActivityOrRef = Activity | ActivityRef;

export interface Hypothesis {
	title: string;
	probes?: ActivityOrRef[];
	controls?: unknown[];
	[key: string]: unknown;
}

export interface EnvValue {
	type: 'env';
	key: string;
	default?: unknown;
	env_var_type?: 'str' | 'int' | 'float' | 'bytes' | 'bool' | 'json';
}

export type ConfigurationValue = JsonValue | EnvValue;
export type Configuration = Record<string, ConfigurationValue>;

export interface SecretEnvValue {
	type: 'env';
	key: string;
}

/** Secrets are grouped in scopes: `{scope: {key: value}}`. */
export type Secrets = Record<string, Record<string, JsonValue | SecretEnvValue>>;

export type RollbackStrategy = 'default' | 'always' | 'never' | 'deviated';
export type HypothesisStrategy = 'default' | 'before-method-only' | 'after-method-only' | 'during-method-only' | 'continuously';
export type DryRun = 'probes' | 'actions' | 'activities' | 'pause';

export interface Runtime {
	rollbacks?: { strategy?: RollbackStrategy };
	hypothesis?: { strategy?: HypothesisStrategy; frequency?: number; fail_fast?: boolean };
}

export interface Experiment {
	version?: string;
	title: string;
	description: string;
	tags?: string[];
	contributions?: Record<string, string>;
	configuration?: Configuration;
	secrets?: Secrets;
	extensions?: Array<{ name: string; [key: string]: unknown }>;
	controls?: unknown[];
	'steady-state-hypothesis'?: Hypothesis;
	method: ActivityOrRef[];
	rollbacks?: ActivityOrRef[];
	runtime?: Runtime;
	[key: string]: unknown;
}

/** Configuration and secrets once loaded: env values read, --var and --var-file applied. */
export interface Scope {
	configuration: Record<string, unknown>;
	secrets: Record<string, Record<string, unknown>>;
}

export interface HttpResult {
	status: number;
	headers: Record<string, string>;
	body: unknown;
}

export interface ProcessResult {
	status: number;
	stdout: string;
	stderr: string;
}

export type RunStatus = 'succeeded' | 'failed';
export type JournalStatus = 'completed' | 'failed' | 'aborted' | 'interrupted';

/** One activity as it ran. Keys are written in this order. */
export interface RunEntry {
	activity: Activity;
	output: unknown;
	start: string;
	status: RunStatus;
	end: string;
	/** Seconds. */
	duration: number;
	/** Python traceback-style lines, e.g. "chaoslib.exceptions.ActivityFailed: failed to connect to URL: ...\n". */
	exception?: string[];
	/** Hypothesis probes only. */
	tolerance_met?: boolean;
}

export interface SteadyState {
	steady_state_met: boolean;
	probes: RunEntry[];
}

export interface Journal {
	'chaoslib-version': string;
	platform: string;
	node: string;
	experiment: Experiment & { dry?: DryRun | null };
	start: string;
	status: JournalStatus;
	deviated: boolean;
	steady_states: { before: SteadyState | null; after: SteadyState | null; during: SteadyState[] };
	run: RunEntry[];
	rollbacks: RunEntry[];
	end: string;
	/** Seconds. */
	duration: number;
}

export function isRef(activity: ActivityOrRef): activity is ActivityRef {
	return typeof (activity as ActivityRef).ref === 'string' && !('type' in activity);
}
