import { extname } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { parse as parseYamlText, stringify as stringifyYaml } from 'yaml';
import { UserError } from './errors.ts';
import { findExecutable } from './providers/process.ts';
import type { Activity, Experiment, Hypothesis, ProcessProvider } from './types.ts';

/**
 * What a learner tells `chaos init`, by flags or by answering questions. Exactly one of `url` and
 * `command` makes the steady-state probe; with neither, the experiment has no hypothesis (valid,
 * but it can only explore).
 */
export interface InitAnswers {
	title: string;
	/** What the learner expects to happen and why: the reference tool requires one. */
	description: string;
	tags?: string[];
	/** Steady state: this URL answers with `expectStatus`. */
	url?: string;
	/** The status `url` must answer with; 200 when not given. */
	expectStatus?: number;
	/** Steady state: this command line exits with status 0. */
	command?: string;
	/** The method: one command line run as an action. Without it the method is empty. */
	action?: string;
	/** A command line that undoes the action, run as a rollback. */
	rollback?: string;
}

export type ExperimentFormat = 'json' | 'yaml';

const DEFAULT_EXPECT_STATUS = 200;
/** Seconds. A starter HTTP probe must not hang forever on an address that drops packets. */
const HTTP_PROBE_TIMEOUT = 5;

/** The file format `chaos init` writes, chosen by the file name the learner gave. */
export function experimentFormatFor(path: string): ExperimentFormat {
	const extension = extname(path).toLowerCase();
	if (extension === '.json') return 'json';
	if (extension === '.yaml' || extension === '.yml') return 'yaml';
	throw new UserError(`cannot tell the format of '${path}': name the experiment file with .json, .yaml or .yml`);
}

/**
 * A starter experiment from the answers, valid for our runner and for the reference Chaos Toolkit.
 * Throws UserError listing every answer that cannot make a valid experiment.
 */
export function starterExperiment(answers: InitAnswers): Experiment {
	const problems = answerProblems(answers);
	if (problems.length > 0) throw new UserError(`cannot create the experiment:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);

	const tags = cleanTags(answers.tags);
	const probe = steadyStateProbe(answers);
	// Keys in the order the Chaos Toolkit documentation writes them, so the file reads top to bottom.
	return {
		title: answers.title.trim(),
		description: answers.description.trim(),
		...(tags.length > 0 ? { tags } : {}),
		...(probe ? { 'steady-state-hypothesis': probe } : {}),
		method: isGiven(answers.action) ? [commandAction('inject-fault', answers.action)] : [],
		...(isGiven(answers.rollback) ? { rollbacks: [commandAction('undo-fault', answers.rollback)] } : {}),
	};
}

function steadyStateProbe(answers: InitAnswers): Hypothesis | undefined {
	if (isGiven(answers.url)) {
		const status = answers.expectStatus ?? DEFAULT_EXPECT_STATUS;
		return {
			title: `The service answers HTTP ${status}`,
			probes: [
				{
					type: 'probe',
					name: `service-answers-${status}`,
					tolerance: status,
					provider: { type: 'http', url: answers.url.trim(), timeout: HTTP_PROBE_TIMEOUT },
				},
			],
		};
	}
	if (isGiven(answers.command)) {
		return {
			title: 'The check command succeeds',
			probes: [{ type: 'probe', name: 'check-command-succeeds', tolerance: 0, provider: processProvider(answers.command) }],
		};
	}
	return undefined;
}

function commandAction(name: string, command: string): Activity {
	return { type: 'action', name, provider: processProvider(command) };
}

function isGiven(value: string | undefined): value is string {
	return value !== undefined && value.trim() !== '';
}

function cleanTags(tags: string[] | undefined): string[] {
	return (tags ?? []).map((tag) => tag.trim()).filter((tag) => tag !== '');
}

/** Every answer that cannot make a valid experiment, each said so the learner knows what to change. */
export function answerProblems(answers: InitAnswers): string[] {
	const problems: string[] = [];
	if (answers.title.trim() === '') problems.push('the title is empty: say in a few words what the experiment tests');
	if (answers.description.trim() === '') problems.push('the description is empty: say what you expect to happen and why');
	if (isGiven(answers.url) && isGiven(answers.command)) {
		problems.push('both a URL and a command were given for the steady state: choose one');
	}
	if (isGiven(answers.url)) problems.push(...optional(urlProblem(answers.url)));
	if (answers.expectStatus !== undefined) {
		if (!isGiven(answers.url)) problems.push('an expected HTTP status was given without a URL to check');
		problems.push(...optional(statusProblem(answers.expectStatus)));
	}
	for (const [role, command] of [
		['steady-state', answers.command],
		['action', answers.action],
		['rollback', answers.rollback],
	] as const) {
		if (isGiven(command)) problems.push(...optional(commandProblem(command, role)));
	}
	return problems;
}

function optional(problem: string | undefined): string[] {
	return problem === undefined ? [] : [problem];
}

function urlProblem(url: string): string | undefined {
	let parsed: URL;
	try {
		parsed = new URL(url.trim());
	} catch {
		return `'${url}' is not a URL: write it in full, e.g. http://localhost:8080/health`;
	}
	if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
		return `'${url}' is not an http:// or https:// URL: the http provider only speaks HTTP`;
	}
	return undefined;
}

function statusProblem(status: number): string | undefined {
	if (Number.isInteger(status) && status >= 100 && status <= 599) return undefined;
	return `${status} is not an HTTP status: use a whole number from 100 to 599, e.g. 200`;
}

function commandProblem(command: string, role: string): string | undefined {
	const parsed = parseCommandLine(command);
	return 'problem' in parsed ? `the ${role} command ${parsed.problem}` : undefined;
}

/**
 * Words that only mean something inside a shell: there is no program of that name to run, so a
 * command starting with one has to go through `sh -c`.
 */
const SHELL_ONLY_WORDS = new Set([
	'.',
	':',
	'!',
	'{',
	'alias',
	'break',
	'case',
	'cd',
	'continue',
	'eval',
	'exec',
	'exit',
	'export',
	'for',
	'if',
	'readonly',
	'return',
	'set',
	'shift',
	'source',
	'trap',
	'ulimit',
	'umask',
	'unalias',
	'unset',
	'until',
	'wait',
	'while',
]);
/** Outside quotes, each of these makes the shell do more than split words (pipes, redirects, globs, expansions). */
const SHELL_OPERATORS = new Set(['|', '&', ';', '<', '>', '(', ')', '$', '`', '*', '?', '[', '{', '}', '\n']);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

export interface SplitCommand {
	words: string[];
	/** True when running the words as one program would not do what a shell does with the line. */
	needsShell: boolean;
}

/**
 * Splits a command line into words the way a POSIX shell does for a simple command (quotes and
 * backslashes), and says whether the line relies on anything more. Throws UserError on an
 * unclosed quote or an empty line, since no experiment can be made from those.
 */
export function splitCommandLine(commandLine: string): SplitCommand {
	const parsed = parseCommandLine(commandLine);
	if ('problem' in parsed) throw new UserError(`the command ${parsed.problem}`);
	return parsed;
}

function parseCommandLine(commandLine: string): SplitCommand | { problem: string } {
	const words: string[] = [];
	let needsShell = false;
	let word: string | undefined;
	const append = (text: string) => {
		word = (word ?? '') + text;
	};
	const line = commandLine.trim();
	for (let index = 0; index < line.length; index++) {
		const char = line[index] as string;
		const atWordStart = word === undefined;
		if (char === ' ' || char === '\t') {
			if (word !== undefined) words.push(word);
			word = undefined;
		} else if (char === "'") {
			const close = line.indexOf("'", index + 1);
			if (close === -1) return { problem: "has an unclosed ' quote: close it, or quote the command differently" };
			append(line.slice(index + 1, close));
			index = close;
		} else if (char === '"') {
			let text = '';
			let closed = false;
			for (index++; index < line.length; index++) {
				const inner = line[index] as string;
				if (inner === '"') {
					closed = true;
					break;
				}
				if (inner === '$' || inner === '`') needsShell = true;
				const next = line[index + 1];
				// Inside double quotes a backslash only escapes these; before anything else it stays as written.
				if (inner === '\\' && next !== undefined && '$`"\\\n'.includes(next)) {
					text += next;
					index++;
				} else {
					text += inner;
				}
			}
			if (!closed) return { problem: 'has an unclosed " quote: close it, or quote the command differently' };
			append(text);
		} else if (char === '\\') {
			const next = line[index + 1];
			if (next === undefined) return { problem: 'ends with a lone backslash: remove it, or escape what follows' };
			if (next !== '\n') append(next);
			index++;
		} else {
			if (SHELL_OPERATORS.has(char) || (atWordStart && (char === '#' || char === '~'))) needsShell = true;
			append(char);
		}
	}
	if (word !== undefined) words.push(word);
	const [program] = words;
	if (program === undefined) return { problem: 'is empty: type the command line to run' };
	// The reference tool drops "" from a list of arguments, so an empty word only survives through a shell.
	if (SHELL_ONLY_WORDS.has(program) || ASSIGNMENT.test(program) || words.includes('')) needsShell = true;
	return { words, needsShell };
}

/**
 * A process provider for a command line. The reference tool runs `path` with a list of arguments
 * directly, so a simple command becomes program + words; a line that needs the shell (pipes,
 * redirects, variables, `&&`) runs as `sh -c "<line>"` so it behaves as it did when typed.
 */
export function processProvider(commandLine: string): ProcessProvider {
	const { words, needsShell } = splitCommandLine(commandLine);
	if (needsShell) return { type: 'process', path: 'sh', arguments: ['-c', commandLine.trim()] };
	const [program, ...args] = words as [string, ...string[]];
	return { type: 'process', path: program, arguments: args };
}

/**
 * The experiment as file text. YAML is written so that PyYAML (YAML 1.1, what the reference tool
 * reads with) and our runner (YAML 1.2) read the same values: `no` or `on` as a title would
 * otherwise turn into a boolean in one of them.
 */
export function serializeExperiment(experiment: Experiment, format: ExperimentFormat): string {
	if (format === 'json') return `${JSON.stringify(experiment, null, 2)}\n`;
	const plain = stringifyYaml(experiment, { version: '1.1', lineWidth: 0 });
	if (readsTheSameInBothVersions(plain, experiment)) return plain;
	return stringifyYaml(experiment, { version: '1.1', lineWidth: 0, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' });
}

function readsTheSameInBothVersions(text: string, experiment: Experiment): boolean {
	const expected = JSON.stringify(experiment);
	return JSON.stringify(parseYamlText(text, { version: '1.1' })) === expected && JSON.stringify(parseYamlText(text, { version: '1.2' })) === expected;
}

interface InitIo {
	input: NodeJS.ReadableStream;
	output: NodeJS.WritableStream;
}

type ProbeKind = 'http' | 'command' | 'none';

/** Typed by a learner for an optional answer that has a default, to mean "none" rather than "keep it". */
const NONE = '-';

/**
 * Asks the questions on a terminal (or any pair of streams), with defaults in [brackets], re-asking
 * until each answer can make a valid experiment. Throws UserError when the input ends first
 * (Ctrl-D, Ctrl-C, a closed pipe), so the caller writes no file.
 */
export async function askInitAnswers(io: InitIo, defaults: Partial<InitAnswers> = {}): Promise<InitAnswers> {
	const terminal = createInterface({ input: io.input, output: io.output });
	// Lines are read through the iterator because it buffers: piped input can arrive all at once,
	// before the next question is asked, and question() would lose those lines.
	const lines = terminal[Symbol.asyncIterator]();
	terminal.on('SIGINT', () => terminal.close());
	const say = (text: string) => io.output.write(`${text}\n`);

	async function ask(question: string, fallback: string | undefined, check: (answer: string) => string | undefined): Promise<string> {
		for (;;) {
			// A question that ends in "?" needs no colon after it.
			const separator = question.endsWith('?') && !isGiven(fallback) ? ' ' : ': ';
			terminal.setPrompt(`${question}${isGiven(fallback) ? ` [${fallback}]` : ''}${separator}`);
			terminal.prompt();
			const next = await lines.next();
			if (next.done) throw new UserError('chaos init stopped before every question was answered, so no experiment was written');
			const answer = next.value.trim() === '' ? (fallback ?? '') : next.value.trim();
			const problem = check(answer);
			if (problem === undefined) return answer;
			say(`  ${problem}`);
		}
	}
	/** Enter skips an optional question, or keeps its default, which "-" clears. Returns undefined for none. */
	async function askOptional(question: string, fallback: string | undefined, check: (answer: string) => string | undefined) {
		const hint = isGiven(fallback) ? `(${NONE} for none)` : '(Enter for none)';
		const answer = await ask(`${question} ${hint}`, fallback, (text) => (text === '' || text === NONE ? undefined : check(text)));
		return answer === '' || answer === NONE ? undefined : answer;
	}
	async function askCommand(question: string, role: string, fallback: string | undefined, optionalAnswer: boolean) {
		const check = (text: string) => commandProblem(text, role);
		const answer = optionalAnswer
			? await askOptional(question, fallback, check)
			: await ask(question, fallback, (text) => (text === '' ? 'Please type the command line to run.' : check(text)));
		if (answer !== undefined) warnIfProgramMissing(answer);
		return answer;
	}
	function warnIfProgramMissing(commandLine: string) {
		const { words, needsShell } = splitCommandLine(commandLine);
		const program = words[0] as string;
		if (!needsShell && findExecutable(program) === undefined) {
			say(`  Note: '${program}' is not on this machine's PATH; chaos validate will refuse the experiment until it is.`);
		}
	}

	try {
		say('Answer a few questions to create a starter experiment. Press Enter to keep the [default].');
		const answers: InitAnswers = {
			title: await ask('Experiment title', defaults.title, required('a title, e.g. "The shop survives losing its cache"')),
			description: await ask('What do you expect to happen, and why?', defaults.description, required('a description of what you expect')),
		};
		const tags = await askOptional('Tags, separated by commas', defaults.tags?.join(', '), () => undefined);
		if (tags !== undefined) answers.tags = cleanTags(tags.split(','));

		const defaultKind: ProbeKind = isGiven(defaults.command) && !isGiven(defaults.url) ? 'command' : 'http';
		const kindAnswer = await ask('Steady-state probe: an HTTP check, a command, or none? (http/command/none)', defaultKind, (answer) =>
			probeKindFrom(answer) === undefined ? 'Please answer http, command or none.' : undefined,
		);
		const kind = probeKindFrom(kindAnswer);
		if (kind === 'http') {
			answers.url = await ask('URL to check', defaults.url, (answer) => (answer === '' ? 'Please type the URL to check.' : urlProblem(answer)));
			const status = await ask('Expected HTTP status', String(defaults.expectStatus ?? DEFAULT_EXPECT_STATUS), statusTextProblem);
			answers.expectStatus = Number(status);
		} else if (kind === 'command') {
			answers.command = await askCommand('Command that exits with status 0 when all is well', 'steady-state', defaults.command, false);
		}

		const action = await askCommand('Action to run as the method, a command line', 'action', defaults.action, true);
		if (action !== undefined) {
			answers.action = action;
			const rollback = await askCommand('Rollback command that undoes the action', 'rollback', defaults.rollback, true);
			if (rollback !== undefined) answers.rollback = rollback;
		}
		return answers;
	} finally {
		terminal.close();
	}
}

function required(what: string) {
	return (answer: string) => (answer === '' ? `Please type ${what}.` : undefined);
}

function statusTextProblem(answer: string): string | undefined {
	return /^\d+$/.test(answer) ? statusProblem(Number(answer)) : `'${answer}' is not an HTTP status: use a whole number from 100 to 599, e.g. 200`;
}

function probeKindFrom(answer: string): ProbeKind | undefined {
	const normalized = answer.trim().toLowerCase();
	for (const kind of ['http', 'command', 'none'] as const) {
		if (normalized === kind || normalized === kind[0]) return kind;
	}
	return undefined;
}
