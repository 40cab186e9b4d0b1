import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parse as parseYamlText } from 'yaml';
import { formatProblems } from '../schemas/problems.ts';
import { loadScope, parseVar, type ScopeOptions } from './configuration.ts';
import { InvalidExperiment, UserError } from './errors.ts';
import { askInitAnswers, experimentFormatFor, serializeExperiment, starterExperiment, type ExperimentFormat, type InitAnswers } from './init.ts';
import { journalSchema, looksLikeJournal, type ReadJournal } from './journal.ts';
import { createLogger, type Logger } from './log.ts';
import { renderReport, type ReportFormat } from './report.ts';
import { CHAOSLIB_VERSION, runExperiment } from './run.ts';
import { loadSource, type LoadedSource } from './source.ts';
import type { DryRun, Experiment, HypothesisStrategy, RollbackStrategy } from './types.ts';
import { validateExperiment } from './validate.ts';

/** Our own version; `chaos --version` also names the reference versions we behave like. */
export const VERSION = '0.1.0';

export interface CliIo {
	stdout: (text: string) => void;
	stderr: (text: string) => void;
	stdin: NodeJS.ReadableStream & { isTTY?: boolean };
	/** The real standard output, when there is one: prompts get line editing and Ctrl-C on a terminal. */
	stdoutStream?: NodeJS.WritableStream;
	env: Record<string, string | undefined>;
	cwd: () => string;
	chdir: (directory: string) => void;
	/** Aborted on Ctrl-C. */
	signal?: AbortSignal;
}

/** Raised for a command line we cannot make sense of: usage and exit 2, like the reference (click). */
class UsageError extends Error {
	readonly command: string | undefined;
	constructor(message: string, command?: string) {
		super(message);
		this.command = command;
	}
}

const GLOBAL_OPTIONS = {
	verbose: { type: 'boolean' },
	'no-version-check': { type: 'boolean' },
	'change-dir': { type: 'string' },
	'no-log-file': { type: 'boolean' },
	'log-file': { type: 'string' },
	'log-format': { type: 'string' },
	settings: { type: 'string' },
	help: { type: 'boolean', short: 'h' },
	version: { type: 'boolean' },
} satisfies ParseArgsConfig['options'];

const RUN_OPTIONS = {
	'journal-path': { type: 'string' },
	dry: { type: 'string' },
	'no-validation': { type: 'boolean' },
	'no-verify-tls': { type: 'boolean' },
	'rollback-strategy': { type: 'string' },
	var: { type: 'string', multiple: true },
	'var-file': { type: 'string', multiple: true },
	'hypothesis-strategy': { type: 'string' },
	'hypothesis-frequency': { type: 'string' },
	'fail-fast': { type: 'boolean' },
} satisfies ParseArgsConfig['options'];

const VALIDATE_OPTIONS = {
	'no-verify-tls': { type: 'boolean' },
	var: { type: 'string', multiple: true },
	'var-file': { type: 'string', multiple: true },
} satisfies ParseArgsConfig['options'];

const INIT_OPTIONS = {
	'experiment-path': { type: 'string' },
	title: { type: 'string' },
	description: { type: 'string' },
	url: { type: 'string' },
	'expect-status': { type: 'string' },
	probe: { type: 'string' },
	action: { type: 'string' },
	rollback: { type: 'string' },
	'non-interactive': { type: 'boolean' },
	force: { type: 'boolean' },
} satisfies ParseArgsConfig['options'];

const REPORT_OPTIONS = {
	'export-format': { type: 'string' },
} satisfies ParseArgsConfig['options'];

const ROLLBACK_STRATEGIES: RollbackStrategy[] = ['default', 'always', 'never', 'deviated'];
const HYPOTHESIS_STRATEGIES: HypothesisStrategy[] = ['default', 'before-method-only', 'after-method-only', 'during-method-only', 'continuously'];
const DRY_RUNS: DryRun[] = ['probes', 'actions', 'activities', 'pause'];

const USAGE: Record<string, string> = {
	'': `Usage: chaos [OPTIONS] COMMAND [ARGS]...

  Run Chaos Toolkit experiments: a steady-state hypothesis, a method that
  disturbs the system, and rollbacks.

Options:
  --version                 Show the version and exit.
  --verbose                 Display debug level traces.
  --no-version-check        Do not search for an updated version (we never do).
  --change-dir TEXT         Change directory before running experiment.
  --no-log-file             Disable logging to file entirely.
  --log-file TEXT           File path where to write the command's log.
                            [default: chaostoolkit.log]
  --log-format [string|json]
                            Console logging format: string, json.
  --settings TEXT           Path to the settings file.
                            [default: ~/.chaostoolkit/settings.yaml]
  -h, --help                Show this message and exit.

Commands:
  init      Write a starter experiment, asking a few questions.
  report    Turn journals into a Markdown or HTML report.
  run       Run the experiment loaded from SOURCE, a path or an http(s) URL.
  validate  Validate the experiment at SOURCE.
`,
	run: `Usage: chaos run [OPTIONS] SOURCE

  Run the experiment loaded from SOURCE, either a local file or a HTTP
  resource. SOURCE can be formatted as JSON or YAML.

Options:
  --journal-path TEXT             Path where to save the journal from the
                                  execution.  [default: journal.json]
  --dry [probes|actions|activities|pause]
                                  Run the experiment without executing the
                                  chosen strategy.
  --no-validation                 Do not validate the experiment before
                                  running.
  --no-verify-tls                 Do not verify TLS certificate.
  --rollback-strategy [default|always|never|deviated]
                                  Rollback runtime strategy. Default is to
                                  never play them on interruption or failure.
  --var TEXT                      Specify substitution values for
                                  configuration only. Can be provided
                                  multiple times. The pattern must be
                                  key=value or key:type=value. In that
                                  latter case, the value will be casted as
                                  the specified type. Supported types are:
                                  int, float, bytes, str, bool, json.
  --var-file PATH                 Specify files that contain configuration
                                  and secret substitution values. Either as
                                  a json/yaml payload where each key has a
                                  value mapping to a configuration entry, or
                                  a .env file defining environment
                                  variables. Can be provided multiple times.
  --hypothesis-strategy [default|before-method-only|after-method-only|during-method-only|continuously]
                                  Strategy to execute the hypothesis during
                                  the run.
  --hypothesis-frequency FLOAT    Pace at which running the hypothesis.
                                  Only applies when strategy is either:
                                  during-method-only or continuously
                                  [default: 1.0]
  --fail-fast                     When running in the during-method-only or
                                  continuous strategies, indicate the
                                  execution should fail as soon as the
                                  steady-state hypothesis deviates once.
  -h, --help                      Show this message and exit.

Exit status: 0 when the run completed and the steady state did not deviate;
1 otherwise, or when SOURCE is missing or invalid; 2 on bad options.
`,
	validate: `Usage: chaos validate [OPTIONS] SOURCE

  Validate the experiment at SOURCE (a path or an http(s) URL), reporting
  every problem at once with its place in the file.

Options:
  --no-verify-tls  Do not verify TLS certificate.
  --var TEXT       Configuration substitution value, key[:type]=value.
  --var-file PATH  Configuration and secrets file, or a .env file.
  -h, --help       Show this message and exit.
`,
	init: `Usage: chaos init [OPTIONS]

  Write a starter experiment. On a terminal it asks a few questions (the
  options below become the suggested answers); with --non-interactive, or
  without a terminal, it uses the options as they are.

Options:
  --experiment-path TEXT   Where to write it; .json, .yaml or .yml.
                           [default: experiment.json]
  --title TEXT             What the experiment sets out to learn.
  --description TEXT       Why it matters.
  --url TEXT               Steady-state probe: an HTTP URL to call...
  --expect-status INTEGER  ...and the status it should answer with.
                           [default: 200]
  --probe TEXT             Or a command whose exit status should be 0.
  --action TEXT            The method: a command that disturbs the system.
  --rollback TEXT          A command that undoes the action.
  --non-interactive        Never ask; use the options as given.
  --force                  Overwrite an existing file.
  -h, --help               Show this message and exit.
`,
	report: `Usage: chaos report [OPTIONS] JOURNAL... [REPORT]

  Turn one or more journals into a report. REPORT ends in .md or .html;
  without it the report goes to standard output.

Options:
  --export-format [markdown|html]
                   Report format. [default: from REPORT's extension, else
                   markdown]
  -h, --help       Show this message and exit.
`,
};

/** Runs the `chaos` command line; resolves to the process exit status. */
export async function main(argv: string[], io: CliIo): Promise<number> {
	let verbose = argv.includes('--verbose');
	try {
		const commandIndex = argv.findIndex((arg, index) => !arg.startsWith('-') && !isOptionValue(argv, index));
		const command = commandIndex === -1 ? undefined : argv[commandIndex];
		const globalArgs = commandIndex === -1 ? argv : argv.slice(0, commandIndex);
		const commandArgs = commandIndex === -1 ? [] : argv.slice(commandIndex + 1);
		const globals = parse(globalArgs, GLOBAL_OPTIONS, undefined, false).values;
		verbose = Boolean(globals.verbose);
		if (globals.version) {
			io.stdout(`chaos, version ${VERSION} (Steady State; behaves like chaostoolkit 1.19 with chaoslib ${CHAOSLIB_VERSION})\n`);
			return 0;
		}
		if (!command || globals.help) {
			io.stdout(USAGE[''] ?? '');
			return command || globals.help ? 0 : 2;
		}
		if (globals['change-dir']) {
			try {
				io.chdir(globals['change-dir']);
			} catch {
				throw new UserError(`cannot change directory to ${globals['change-dir']}: no such directory`);
			}
		}
		if (globals['log-format'] && !['string', 'json'].includes(globals['log-format'])) {
			throw new UsageError(`Invalid value for '--log-format': '${globals['log-format']}' is not one of 'string', 'json'.`);
		}
		const log = createLogger({
			console: (line) => io.stderr(`${line}\n`),
			consoleLevel: verbose ? 'debug' : 'info',
			file: command === 'run' && !globals['no-log-file'] ? path.resolve(io.cwd(), globals['log-file'] ?? 'chaostoolkit.log') : undefined,
			fileFormat: globals['log-format'] === 'json' ? 'json' : 'string',
		});
		switch (command) {
			case 'run':
				return await runCommand(commandArgs, io, log, globals.settings);
			case 'validate':
				return await validateCommand(commandArgs, io, log);
			case 'init':
				return await initCommand(commandArgs, io);
			case 'report':
				return await reportCommand(commandArgs, io);
			default:
				throw new UsageError(`No such command '${command}'.`);
		}
	} catch (error) {
		return reportError(error, io, verbose);
	}
}

async function runCommand(args: string[], io: CliIo, log: Logger, settingsPath: string | undefined): Promise<number> {
	const { values, positionals } = parse(args, RUN_OPTIONS, 'run');
	const source = single(positionals, 'SOURCE', 'run');
	const rollbackStrategy = choice(values['rollback-strategy'], ROLLBACK_STRATEGIES, '--rollback-strategy', 'run');
	const hypothesisStrategy = choice(values['hypothesis-strategy'], HYPOTHESIS_STRATEGIES, '--hypothesis-strategy', 'run');
	const dry = choice(values.dry, DRY_RUNS, '--dry', 'run');
	const frequencyText = values['hypothesis-frequency'];
	const frequency = frequencyText === undefined ? undefined : Number(frequencyText);
	if (frequency !== undefined && !(Number.isFinite(frequency) && frequency >= 0)) {
		throw new UsageError(`Invalid value for '--hypothesis-frequency': '${frequencyText}' is not a valid float.`, 'run');
	}
	const verifyTls = !values['no-verify-tls'];
	const varOptions = checkVarOptions(values.var, values['var-file'], io, 'run');

	const loaded = await loadSource(source, { verifyTls, cwd: io.cwd() });
	if (typeof loaded.data !== 'object' || loaded.data === null || Array.isArray(loaded.data)) {
		throw new InvalidExperiment([{ file: loaded.file, field: '', message: 'an empty experiment is not an experiment' }]);
	}
	// The journal keeps the experiment as the learner wrote it.
	const written = loaded.data as Experiment;
	await applyEnvFiles(written, varOptions);
	if (!values['no-validation']) {
		log.info("Validating the experiment's syntax");
		validateExperiment(loaded.data, { file: loaded.file, locate: loaded.locate, env: io.env });
		log.info('Experiment looks valid');
	}

	const settings = readSettings(settingsPath, io);
	const runtime = written.runtime ?? {};
	const scope = await loadScope(written, varOptions).catch(locatedIn(loaded));
	const journal = await runExperiment(written, {
		scope,
		rollbackStrategy: rollbackStrategy ?? runtime.rollbacks?.strategy ?? settings.rollbackStrategy ?? 'default',
		hypothesisStrategy: hypothesisStrategy ?? runtime.hypothesis?.strategy ?? 'default',
		hypothesisFrequency: frequency ?? runtime.hypothesis?.frequency ?? 1,
		failFast: Boolean(values['fail-fast'] ?? runtime.hypothesis?.fail_fast),
		dry,
		verifyTls,
		log,
		signal: io.signal,
		env: io.env,
		cwd: io.cwd(),
	});
	const journalPath = path.resolve(io.cwd(), values['journal-path'] ?? 'journal.json');
	try {
		writeFileSync(journalPath, `${JSON.stringify(journal, null, 2)}\n`);
	} catch (error) {
		throw new UserError(`cannot write the journal to ${journalPath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
	}
	log.debug(`Journal written to ${journalPath}`);
	return journal.status === 'completed' && !journal.deviated ? 0 : 1;
}

async function validateCommand(args: string[], io: CliIo, log: Logger): Promise<number> {
	const { values, positionals } = parse(args, VALIDATE_OPTIONS, 'validate');
	const source = single(positionals, 'SOURCE', 'validate');
	const varOptions = checkVarOptions(values.var, values['var-file'], io, 'validate');
	const loaded = await loadSource(source, { verifyTls: !values['no-verify-tls'], cwd: io.cwd() });
	if (typeof loaded.data === 'object' && loaded.data !== null) await applyEnvFiles(loaded.data as Experiment, varOptions);
	log.info("Validating the experiment's syntax");
	const experiment = validateExperiment(loaded.data, { file: loaded.file, locate: loaded.locate, env: io.env });
	// Var files and --var can be wrong too; the run would stop on them, so validation says so now.
	await loadScope(experiment, varOptions).catch(locatedIn(loaded));
	log.info('Experiment looks valid');
	return 0;
}

async function initCommand(args: string[], io: CliIo): Promise<number> {
	const { values, positionals } = parse(args, INIT_OPTIONS, 'init');
	if (positionals.length > 0) throw new UsageError(`Got unexpected extra argument (${positionals[0]})`, 'init');
	const target = path.resolve(io.cwd(), values['experiment-path'] ?? 'experiment.json');
	let format: ExperimentFormat;
	try {
		format = experimentFormatFor(target);
	} catch (error) {
		throw new UsageError(`Invalid value for '--experiment-path': ${(error as Error).message}`, 'init');
	}
	let expectStatus: number | undefined;
	if (values['expect-status'] !== undefined) {
		expectStatus = Number(values['expect-status']);
		if (!Number.isInteger(expectStatus) || expectStatus < 100 || expectStatus > 599) {
			throw new UsageError(`Invalid value for '--expect-status': '${values['expect-status']}' is not an HTTP status (100-599).`, 'init');
		}
	}
	const given: Partial<InitAnswers> = dropUndefined({
		title: values.title,
		description: values.description,
		url: values.url,
		expectStatus,
		command: values.probe,
		action: values.action,
		rollback: values.rollback,
	});
	const interactive = !values['non-interactive'] && io.stdin.isTTY === true;
	let answers: InitAnswers;
	if (interactive) {
		answers = await askInitAnswers({ input: io.stdin, output: io.stdoutStream ?? ({ write: (chunk: string) => (io.stdout(chunk), true) } as NodeJS.WritableStream) }, given);
	} else {
		if (!given.title) throw new UsageError('--title is required without a terminal (or drop --non-interactive to be asked).', 'init');
		answers = { description: given.title, ...given } as InitAnswers;
	}
	if (existsSync(target) && !values.force) {
		throw new UserError(`${path.relative(io.cwd(), target) || target} already exists; choose another --experiment-path, or pass --force to overwrite it`);
	}
	const experiment = starterExperiment(answers);
	writeFileSync(target, serializeExperiment(experiment, format));
	io.stdout(`Experiment created and saved in '${path.relative(io.cwd(), target) || target}'. Check it with: chaos validate ${path.relative(io.cwd(), target)}\n`);
	return 0;
}

async function reportCommand(args: string[], io: CliIo): Promise<number> {
	const { values, positionals } = parse(args, REPORT_OPTIONS, 'report');
	if (positionals.length === 0) throw new UsageError("Missing argument 'JOURNAL...'.", 'report');
	const formatOption = values['export-format'];
	const formats: Record<string, ReportFormat> = { markdown: 'markdown', md: 'markdown', html: 'html', html5: 'html' };
	if (formatOption !== undefined && !formats[formatOption]) {
		throw new UsageError(`Invalid value for '--export-format': '${formatOption}' is not one of 'markdown', 'html'.`, 'report');
	}
	const last = positionals[positionals.length - 1] ?? '';
	const lastIsReport = positionals.length > 1 && /\.(md|markdown|html?)$/i.test(last);
	const output = lastIsReport ? last : undefined;
	const journalPaths = lastIsReport ? positionals.slice(0, -1) : positionals;
	const format = formatOption ? (formats[formatOption] as ReportFormat) : output && /\.html?$/i.test(output) ? 'html' : 'markdown';

	const journals: ReadJournal[] = journalPaths.map((journalPath) => readJournal(path.resolve(io.cwd(), journalPath), journalPath));
	const report = renderReport(journals, format);
	if (!output) {
		io.stdout(report);
		return 0;
	}
	try {
		writeFileSync(path.resolve(io.cwd(), output), report);
	} catch (error) {
		throw new UserError(`cannot write the report to ${output}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
	}
	io.stdout(`Report written to ${output}\n`);
	return 0;
}

/**
 * --var values that do not parse and --var-file paths that do not exist are usage errors (exit 2),
 * as in the reference, where the option parser rejects them before anything runs.
 */
function checkVarOptions(vars: string[] | undefined, varFiles: string[] | undefined, io: CliIo, command: string): ScopeOptions {
	for (const spec of vars ?? []) {
		try {
			parseVar(spec);
		} catch (error) {
			throw new UsageError(`Invalid value for '--var': ${(error as Error).message}`, command);
		}
	}
	const files = (varFiles ?? []).map((file) => path.resolve(io.cwd(), file));
	for (const [index, file] of files.entries()) {
		if (!existsSync(file)) throw new UsageError(`Invalid value for '--var-file': Path '${varFiles?.[index]}' does not exist.`, command);
	}
	return { env: io.env, vars, varFiles: files };
}

/**
 * A .env var file sets environment variables that configuration may read, so it must be applied
 * before validation checks those variables. Missing keys are left for validation to report, all
 * at once; anything else wrong with the var files stops here.
 */
async function applyEnvFiles(experiment: Experiment, options: ScopeOptions): Promise<void> {
	if (!options.varFiles?.length) return;
	try {
		await loadScope(experiment, options);
	} catch (error) {
		if (!(error instanceof InvalidExperiment)) throw error;
	}
}

/** Configuration problems come without a file; say which file, and where in it. */
function locatedIn(loaded: LoadedSource): (error: unknown) => never {
	return (error) => {
		if (!(error instanceof InvalidExperiment)) throw error;
		throw new InvalidExperiment(
			error.problems.map((problem) => {
				const position = problem.line ? undefined : loaded.locate?.(problem.field.split('.'));
				return { ...problem, file: problem.file || loaded.file, line: problem.line ?? position?.line, column: problem.column ?? position?.column };
			}),
		);
	};
}

function readJournal(absolute: string, shown: string): ReadJournal {
	let text: string;
	try {
		text = readFileSync(absolute, 'utf8');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		throw new UserError(code === 'ENOENT' ? `journal ${shown} does not exist` : `cannot read journal ${shown}: ${code ?? (error as Error).message}`);
	}
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch (error) {
		throw new UserError(`journal ${shown} is not valid JSON: ${(error as Error).message}`);
	}
	if (!looksLikeJournal(data)) throw new UserError(`${shown} is not a journal (no "experiment", "steady_states" and "run"); pass the file \`chaos run\` wrote, e.g. journal.json`);
	const parsed = journalSchema.safeParse(data);
	if (!parsed.success) {
		const issue = parsed.error.issues[0];
		throw new UserError(`journal ${shown} is damaged at ${issue?.path.join('.') || 'the top'}: ${issue?.message ?? 'unknown problem'}`);
	}
	return parsed.data;
}

/** The rollback strategy from the reference tool's settings file, when there is one. */
function readSettings(settingsPath: string | undefined, io: CliIo): { rollbackStrategy?: RollbackStrategy } {
	const file = settingsPath ? path.resolve(io.cwd(), settingsPath) : path.join(io.env.HOME ?? homedir(), '.chaostoolkit', 'settings.yaml');
	if (!existsSync(file)) {
		if (settingsPath) throw new UserError(`settings file ${settingsPath} does not exist`);
		return {};
	}
	let settings: unknown;
	try {
		settings = parseYamlText(readFileSync(file, 'utf8'));
	} catch (error) {
		throw new UserError(`settings file ${file} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
	}
	const strategy = (settings as { runtime?: { rollbacks?: { strategy?: unknown } } } | null)?.runtime?.rollbacks?.strategy;
	return ROLLBACK_STRATEGIES.includes(strategy as RollbackStrategy) ? { rollbackStrategy: strategy as RollbackStrategy } : {};
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T, command: string | undefined, allowPositionals = true) {
	try {
		const parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
		if ((parsed.values as { help?: boolean }).help && command) throw new HelpRequested(command);
		return parsed;
	} catch (error) {
		if (error instanceof HelpRequested) throw error;
		throw new UsageError(clickStyle((error as Error).message), command);
	}
}

class HelpRequested extends Error {
	readonly command: string;
	constructor(command: string) {
		super(command);
		this.command = command;
	}
}

/** Node's parseArgs messages, said the way click (the reference's CLI library) says them. */
function clickStyle(message: string): string {
	const unknown = /Unknown option '([^']+)'/.exec(message);
	if (unknown) return `No such option: ${unknown[1]}`;
	const missing = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(message);
	if (missing) return `Option '${missing[1]}' requires an argument.`;
	const extra = /Unexpected argument '([^']+)'/.exec(message);
	if (extra) return `Got unexpected extra argument (${extra[1]})`;
	return message;
}

function single(positionals: string[], name: string, command: string): string {
	if (positionals.length === 0) throw new UsageError(`Missing argument '${name}'.`, command);
	if (positionals.length > 1) throw new UsageError(`Got unexpected extra argument (${positionals[1]})`, command);
	return positionals[0] as string;
}

function choice<T extends string>(value: string | undefined, choices: readonly T[], option: string, command: string): T | undefined {
	if (value === undefined) return undefined;
	if (!choices.includes(value as T)) {
		throw new UsageError(`Invalid value for '${option}': '${value}' is not one of ${choices.map((item) => `'${item}'`).join(', ')}.`, command);
	}
	return value as T;
}

/** Whether argv[index] is the value of the global option before it (`--change-dir lab run ...`). */
function isOptionValue(argv: string[], index: number): boolean {
	const previous = argv[index - 1];
	if (!previous?.startsWith('--') || previous.includes('=')) return false;
	const name = previous.slice(2) as keyof typeof GLOBAL_OPTIONS;
	return GLOBAL_OPTIONS[name]?.type === 'string';
}

function reportError(error: unknown, io: CliIo, verbose: boolean): number {
	if (error instanceof HelpRequested) {
		io.stdout(USAGE[error.command] ?? USAGE[''] ?? '');
		return 0;
	}
	if (error instanceof UsageError) {
		const command = error.command ? ` ${error.command}` : '';
		const usage = (USAGE[error.command ?? ''] ?? '').split('\n')[0] ?? '';
		io.stderr(`${usage}\nTry 'chaos${command} --help' for help.\n\nError: ${error.message}\n`);
		return 2;
	}
	if (error instanceof InvalidExperiment) {
		io.stderr(`Experiment is not valid, please fix the following ${error.problems.length === 1 ? 'error' : `${error.problems.length} errors`}:\n${formatProblems(error.problems)}\n`);
		return 1;
	}
	if (error instanceof UserError) {
		io.stderr(`Error: ${error.message}\n`);
		return 1;
	}
	const message = error instanceof Error ? error.message : String(error);
	io.stderr(`chaos hit an internal error: ${message}\n`);
	io.stderr(verbose && error instanceof Error && error.stack ? `${error.stack}\n` : 'Run again with --verbose for the stack trace, and report it to the course team.\n');
	return 1;
}

function dropUndefined<T extends Record<string, unknown>>(value: T): Partial<T> {
	return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as Partial<T>;
}
