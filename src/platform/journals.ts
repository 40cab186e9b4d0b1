import type { ExecOptions, ExecResult } from '../../sandbox/exec.ts';
import type { Sandbox } from '../../sandbox/sandbox.ts';
import { journalSchema, looksLikeJournal, type ReadJournal } from '../chaos/journal.ts';
import { journalTimeline, type Timeline } from '../chaos/timeline.ts';
import { memberSpecs, type Lab } from '../labs/catalog.ts';
import { problemsFromZod } from '../schemas/problems.ts';
import { LabError } from './errors.ts';

/**
 * Reads the Chaos Toolkit journals a learner's runs leave in their workstation. Everything here is
 * learner-controlled (file names, sizes, contents), so the reader runs as the learner, bounds what
 * it reads, and validates each journal with the shared schema before anyone draws it.
 */

/** A journal found in the learner's home, summed up for a picker. */
export interface JournalListing {
	/** Relative to the learner's home, e.g. `journal.json` or `runs/pause-redis.json`. */
	path: string;
	/** When the file last changed, ISO 8601 UTC. */
	modified: string;
	size: number;
	title: string;
	status: ReadJournal['status'];
	deviated: boolean;
	/** The run's own start time, as the journal gives it. */
	start: string;
	/** Seconds. */
	duration: number;
	/** Whether the steady state was met before and after the method; null when not checked. */
	steadyStateBefore: boolean | null;
	steadyStateAfter: boolean | null;
}

/** A file that looks like a journal but cannot be shown, and why. */
export interface UnreadableJournal {
	path: string;
	modified: string;
	size: number;
	error: string;
}

export type JournalEntry = JournalListing | UnreadableJournal;

/** One journal, whole, with the timeline the page draws. */
export interface JournalDocument {
	path: string;
	modified: string;
	size: number;
	journal: ReadJournal;
	timeline: Timeline;
}

/** Where the reader looks and how it runs commands there: the sandbox's workstation, as its non-root user. */
export interface Workstation {
	/** Identifies the sandbox, so remembered summaries never mix two sandboxes. */
	key: string;
	/** The learner's home: file names are relative to it. */
	home: string;
	exec(argv: string[], options: Pick<ExecOptions, 'timeoutMs'>): Promise<ExecResult>;
}

/** Larger files are not journals a learner's run wrote, and would be slow to move and draw. */
export const JOURNAL_MAX_BYTES = 2 * 1024 * 1024;
/** The newest files the list shows. */
export const JOURNAL_LIST_LIMIT = 20;
/** How deep under the home the list looks; `chaos run --journal-path runs/x.json` stays within it. */
const SEARCH_DEPTH = 3;
/**
 * Bytes read per exec. The engine client keeps at most 64 KiB of a command's output, and the bytes
 * travel as base64 (4 characters per 3 bytes) so that a chunk boundary never splits a character:
 * 48 000 bytes are 64 000 characters, with room left for the file's status line.
 */
const CHUNK_BYTES = 48_000;
/** Journals nest a few levels deep; a file nested far deeper is built to break whatever walks it. */
const MAX_NESTING = 64;
/** Reads of changed files at once: enough to be quick, few enough not to crowd a small container. */
const READ_CONCURRENCY = 4;
/** Sandboxes whose journal summaries are remembered; the least recently listed is forgotten first. */
const REMEMBERED_SANDBOXES = 64;
const LIST_TIMEOUT_SECONDS = 10;
const READ_TIMEOUT_MS = 15_000;

const NAME_FIX = 'Give the journal\'s path relative to your home folder, ending in .json, e.g. `journal.json` or `runs/journal.json`.';

/**
 * Why a journal name from a request cannot be read, or undefined when it can. Names are relative to
 * the learner's home and may not leave it.
 */
export function journalNameProblem(name: string): string | undefined {
	if (name === '') return 'is empty';
	if (name.length > 1024) return 'is longer than 1024 characters';
	if (name.startsWith('/')) return 'is an absolute path';
	if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains control characters';
	const segments = name.split('/');
	if (segments.includes('..')) return 'contains ".."';
	if (segments.some((segment) => segment === '' || segment === '.')) return 'has an empty or "." folder';
	if (!name.endsWith('.json')) return 'does not end in .json';
	return undefined;
}

/** Throws a 400 LabError naming the problem with a journal name from a request. */
export function requireJournalName(name: string): void {
	const problem = journalNameProblem(name);
	if (problem) throw new LabError(400, `The journal name "${name}" ${problem}.`, NAME_FIX);
}

/** The learner's side of a running sandbox: its workstation container, as its own (never root) user. */
export function learnerWorkstation(sandbox: Sandbox, lab: Lab): Workstation {
	const member = memberSpecs(lab).find((candidate) => candidate.name === lab.workstation);
	if (!member) throw new Error(`Lab ${lab.id} has no workstation container`);
	const user = member.user;
	if (!user || /^(0|root)(:|$)/.test(user)) {
		throw new LabError(409, 'This lab\'s workstation runs as root, so the platform does not read files from it.', 'Lab authors: give the workstation container a non-root `user` in lab.yaml.');
	}
	return {
		key: sandbox.id,
		home: member.workdir ?? '/home/learner',
		exec: (argv, options) => sandbox.exec(lab.workstation, argv, { ...options, user }),
	};
}

interface FileStamp {
	/** Seconds since the epoch with a fraction, as `find -printf %T@` prints it. */
	mtime: string;
	size: number;
}

type Loaded =
	| { kind: 'journal'; stamp: FileStamp; journal: ReadJournal }
	| { kind: 'not-a-journal'; stamp: FileStamp }
	| { kind: 'unreadable'; stamp: FileStamp; reason: string }
	| { kind: 'missing' };

/** What the reader remembers of one sandbox: each listed file's stamp and what it was found to be. */
type Remembered = Map<string, { stamp: string; entry: JournalEntry | undefined }>;

/** The listing script: journal-like JSON files, newest first, at most N. Arguments: home, limit. */
const LIST_SCRIPT = [
	'cd -- "$1" || exit 3',
	// Hidden folders hold tools' caches and settings, never a learner's journals.
	`timeout ${LIST_TIMEOUT_SECONDS} find . -mindepth 1 -maxdepth ${SEARCH_DEPTH} -name '.*' -prune -o -type f -name '*.json' -size -${JOURNAL_MAX_BYTES + 1}c` +
		` -exec grep -qF '"steady_states"' {} ';' -printf '%T@ %s %P\\0' 2>/dev/null` +
		' | LC_ALL=C sort -z -k1,1 -r -n | head -z -n "$2"',
].join('\n');

/** Prints the file's status line, then up to N bytes from an offset as base64. Arguments: file, 1-based offset, N. */
const READ_SCRIPT = [
	'find "$1" -maxdepth 0 -printf \'%T@ %s %y\\n\' 2>/dev/null || exit 3',
	'tail -c "+$2" -- "$1" | head -c "$3" | base64 -w 0',
].join('\n');

/**
 * Lists and reads journals. Summaries are remembered by file name, change time and size, so the
 * page's polling reads only files that changed since the last look.
 */
export class JournalReader {
	private readonly remembered = new Map<string, Remembered>();

	/** The journals in the learner's home, newest first; files that look like journals but are not valid say why. */
	async list(workstation: Workstation): Promise<JournalEntry[]> {
		const result = await workstation.exec(['sh', '-c', LIST_SCRIPT, 'list-journals', workstation.home, String(JOURNAL_LIST_LIMIT)], {
			timeoutMs: (LIST_TIMEOUT_SECONDS + 5) * 1000,
		});
		if (result.timedOut) throw notAnswering();
		if (result.exitCode === 3) {
			throw new LabError(409, `The folder ${workstation.home} does not exist in your workstation.`, 'Stop the lab and start it again to get a fresh home folder.');
		}
		const candidates = parseListing(result.stdout);
		const before: Remembered = this.remembered.get(workstation.key) ?? new Map();
		const now: Remembered = new Map();
		await eachLimited(candidates, READ_CONCURRENCY, async ({ path, stamp }) => {
			const stampKey = `${stamp.mtime} ${stamp.size}`;
			const known = before.get(path);
			if (known?.stamp === stampKey) {
				now.set(path, known);
				return;
			}
			const problem = journalNameProblem(path);
			const entry = problem
				? { path, ...describeStamp(stamp), error: `cannot be opened: its name ${problem}. Rename the file.` }
				: toEntry(path, await load(workstation, path));
			// Kept under the listed stamp: a file that changed meanwhile has a new one at the next look, and is read again.
			now.set(path, { stamp: stampKey, entry });
		});
		this.remember(workstation.key, now);
		return candidates.flatMap(({ path }) => {
			const entry = now.get(path)?.entry;
			return entry ? [entry] : [];
		});
	}

	/** One journal by its name relative to the learner's home, with its timeline. */
	async read(workstation: Workstation, name: string): Promise<JournalDocument> {
		requireJournalName(name);
		const loaded = await load(workstation, name);
		if (loaded.kind === 'missing') throw new LabError(404, `There is no file ~/${name} in your workstation.`, 'Pick a run from the list; if it was just deleted, refresh the list.');
		if (loaded.kind === 'not-a-journal') throw new LabError(422, `~/${name} is not a Chaos Toolkit journal.`, 'Journals are what `chaos run` writes: journal.json, or the file given to --journal-path.');
		if (loaded.kind === 'unreadable') throw new LabError(422, `~/${name} ${loaded.reason}`, 'Run the experiment again to write a fresh journal.');
		return { path: name, ...describeStamp(loaded.stamp), journal: loaded.journal, timeline: journalTimeline(loaded.journal) };
	}

	private remember(key: string, entries: Remembered): void {
		this.remembered.delete(key);
		this.remembered.set(key, entries);
		while (this.remembered.size > REMEMBERED_SANDBOXES) {
			const oldest = this.remembered.keys().next().value;
			if (oldest === undefined) break;
			this.remembered.delete(oldest);
		}
	}
}

function toEntry(path: string, loaded: Loaded): JournalEntry | undefined {
	if (loaded.kind === 'missing' || loaded.kind === 'not-a-journal') return undefined;
	if (loaded.kind === 'unreadable') return { path, ...describeStamp(loaded.stamp), error: loaded.reason };
	const { journal } = loaded;
	return {
		path,
		...describeStamp(loaded.stamp),
		title: journal.experiment.title,
		status: journal.status,
		deviated: journal.deviated,
		start: journal.start,
		duration: journal.duration,
		steadyStateBefore: journal.steady_states.before?.steady_state_met ?? null,
		steadyStateAfter: journal.steady_states.after?.steady_state_met ?? null,
	};
}

function parseListing(stdout: string): { path: string; stamp: FileStamp }[] {
	return stdout.split('\0').flatMap((record) => {
		const match = /^(\d+(?:\.\d+)?) (\d+) (.+)$/s.exec(record);
		if (!match?.[1] || !match[2] || !match[3]) return [];
		return [{ path: match[3], stamp: { mtime: match[1], size: Number(match[2]) } }];
	});
}

function describeStamp(stamp: FileStamp): { modified: string; size: number } {
	return { modified: new Date(Number(stamp.mtime) * 1000).toISOString(), size: stamp.size };
}

/** Reads one file from the learner's home in bounded chunks, then decides whether it is a journal. */
async function load(workstation: Workstation, name: string): Promise<Loaded> {
	const file = `${workstation.home}/${name}`;
	const chunks: Buffer[] = [];
	let stamp: FileStamp | undefined;
	let read = 0;
	do {
		const result = await workstation.exec(['sh', '-c', READ_SCRIPT, 'read-journal', file, String(read + 1), String(CHUNK_BYTES)], { timeoutMs: READ_TIMEOUT_MS });
		if (result.timedOut) throw notAnswering();
		if (result.exitCode === 3) return { kind: 'missing' };
		const newline = result.stdout.indexOf('\n');
		const status = /^(\d+(?:\.\d+)?) (\d+) (\w)$/.exec(result.stdout.slice(0, newline));
		if (newline === -1 || !status?.[1] || !status[2]) throw new Error(`Reading ${file} gave an unexpected answer: ${result.stdout.slice(0, 200)} ${result.stderr.slice(0, 200)}`);
		const current: FileStamp = { mtime: status[1], size: Number(status[2]) };
		if (!stamp) {
			stamp = current;
			if (status[3] !== 'f') return { kind: 'unreadable', stamp, reason: 'is not a regular file.' };
			if (stamp.size > JOURNAL_MAX_BYTES) return { kind: 'unreadable', stamp, reason: `is larger than ${JOURNAL_MAX_BYTES / 1024 / 1024} MB, too large for a journal to show.` };
		} else if (current.mtime !== stamp.mtime || current.size !== stamp.size) {
			return { kind: 'unreadable', stamp: current, reason: 'changed while it was being read (is an experiment still running?). Refresh in a moment.' };
		}
		const chunk = Buffer.from(result.stdout.slice(newline + 1).trim(), 'base64');
		if (chunk.length === 0) {
			const why = result.stderr.trim().split('\n').at(-1);
			if (read < stamp.size) return { kind: 'unreadable', stamp, reason: `could not be read${why ? `: ${why}` : ''}.` };
			break;
		}
		chunks.push(chunk);
		read += chunk.length;
	} while (read < stamp.size);
	return interpret(Buffer.concat(chunks), stamp);
}

function interpret(bytes: Buffer, stamp: FileStamp): Loaded {
	let text: string;
	try {
		text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
	} catch {
		return { kind: 'unreadable', stamp, reason: 'is not UTF-8 text, so it cannot be a journal.' };
	}
	if (nestingDepth(text) > MAX_NESTING) return { kind: 'unreadable', stamp, reason: `is nested more than ${MAX_NESTING} levels deep, which no journal is.` };
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch (error) {
		const detail = error instanceof Error ? error.message : String(error);
		return { kind: 'unreadable', stamp, reason: `is not valid JSON (${detail}). A run that was stopped while writing it leaves a file like this.` };
	}
	if (!looksLikeJournal(value)) return { kind: 'not-a-journal', stamp };
	const parsed = journalSchema.safeParse(value);
	if (!parsed.success) {
		const problems = problemsFromZod(parsed.error, journalSchema, '');
		const listed = problems.slice(0, 3).map((problem) => `${problem.field || '(the file)'}: ${problem.message}`);
		const more = problems.length > 3 ? `, and ${problems.length - 3} more` : '';
		return { kind: 'unreadable', stamp, reason: `looks like a journal but is not a valid one: ${listed.join('; ')}${more}.` };
	}
	return { kind: 'journal', stamp, journal: parsed.data };
}

/** The deepest bracket nesting of a JSON text, counted without parsing (strings are skipped). */
function nestingDepth(text: string): number {
	let depth = 0;
	let deepest = 0;
	let inString = false;
	for (let index = 0; index < text.length; index += 1) {
		const char = text.charCodeAt(index);
		if (inString) {
			if (char === 0x5c) index += 1;
			else if (char === 0x22) inString = false;
		} else if (char === 0x22) inString = true;
		else if (char === 0x7b || char === 0x5b) deepest = Math.max(deepest, ++depth);
		else if (char === 0x7d || char === 0x5d) depth -= 1;
	}
	return deepest;
}

function notAnswering(): LabError {
	return new LabError(503, 'Your workstation did not answer in time while the platform looked for journals.', 'Try again in a moment; if the lab seems stuck, stop it and start it again.');
}

async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
	let next = 0;
	const worker = async () => {
		while (next < items.length) {
			const item = items[next] as T;
			next += 1;
			await work(item);
		}
	};
	await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
