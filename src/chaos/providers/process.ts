import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { constants as osConstants, homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { ActivityFailed } from '../errors.ts';
import type { ProcessProvider, ProcessResult } from '../types.ts';
import { interruption, onAbort } from './abort.ts';
import type { ProviderOptions } from './index.ts';
import { pythonStr } from './python-text.ts';

/** Python's os.defpath: where shutil.which looks when PATH is not set at all. */
const DEFAULT_PATH = '/bin:/usr/bin';

type Environment = Record<string, string | undefined>;

function isRunnableFile(candidate: string, cwd: string | undefined): boolean {
	const absolute = resolve(cwd ?? process.cwd(), candidate);
	try {
		if (statSync(absolute).isDirectory()) return false;
		accessSync(absolute, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}

/** `~/bin/tool` as the reference tool runs it (it expands the home directory before its look-up). */
function expandHome(path: string, env: Environment): string {
	if (path !== '~' && !path.startsWith('~/')) return path;
	return (env.HOME ?? homedir()) + path.slice(1);
}

/**
 * The program to run, or undefined. Relative results stay relative: they are read from `cwd`, the
 * directory the program will also run in, so the look-up and the run agree.
 */
function locateExecutable(path: string, env: Environment, cwd: string | undefined): string | undefined {
	const expanded = expandHome(path, env);
	if (expanded === '') return undefined;
	if (expanded.includes('/')) return isRunnableFile(expanded, cwd) ? expanded : undefined;
	for (const directory of (env.PATH ?? DEFAULT_PATH).split(delimiter)) {
		// An empty PATH entry means the current directory, as in POSIX shells and shutil.which. The
		// result keeps a slash so that running it never goes back to a PATH search.
		const candidate = directory === '' ? `./${expanded}` : join(directory, expanded);
		if (isRunnableFile(candidate, cwd)) return candidate;
	}
	return undefined;
}

/**
 * Finds a program the way the reference tool's `shutil.which` does: a path with a slash is taken as
 * written (relative to the working directory), anything else is looked up in each PATH entry in turn.
 * Only an executable file counts, so a directory or a script without its x bit is "cannot be found".
 */
export function findExecutable(path: string, env: Environment = process.env): string | undefined {
	return locateExecutable(path, env, undefined);
}

function missingProgram(path: string, env: Environment, cwd: string | undefined): ActivityFailed {
	const expanded = expandHome(path, env);
	if (expanded.includes('/')) {
		let isFile = false;
		try {
			isFile = statSync(resolve(cwd ?? process.cwd(), expanded)).isFile();
		} catch {
			isFile = false;
		}
		if (isFile) return new ActivityFailed(`no access permission to '${path}': make it executable (chmod +x ${expanded})`);
	}
	return new ActivityFailed(`path '${path}' cannot be found: give the path of an executable file, or the name of a program on PATH`);
}

/** shlex.quote: the resolved path goes into a shell command line, where a space would split it. */
function shellQuote(text: string): string {
	return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'"'"'`)}'`;
}

/**
 * The reference tool's command line: a string of arguments is handed to `sh -c` after the program,
 * a list is passed as it is (null and "" left out), and a mapping is flattened to key, value, key...
 * before the same filtering, so a key whose value is null stays and its value goes.
 */
function commandLine(executable: string, args: unknown): { file: string; argv: string[] } {
	if (typeof args === 'string') return { file: '/bin/sh', argv: ['-c', `${shellQuote(executable)} ${args}`] };
	let items: unknown[];
	if (args === undefined || args === null) items = [];
	else if (Array.isArray(args)) items = args;
	else if (typeof args === 'object') items = Object.entries(args).flat();
	else {
		throw new ActivityFailed(
			`process arguments must be a string, a list or a mapping, not ${JSON.stringify(args)}: write them as a list, e.g. ["-c", "1"]`,
		);
	}
	return { file: executable, argv: items.filter((item) => item !== null && item !== undefined && item !== '').map(pythonStr) };
}

function readTimeout(timeout: unknown): number | undefined {
	if (timeout === undefined || timeout === null) return undefined;
	if (typeof timeout === 'number' && Number.isFinite(timeout)) return Math.max(0, timeout);
	throw new ActivityFailed(`process timeout must be a number of seconds, not ${JSON.stringify(timeout)}`);
}

function childEnvironment(env: Environment): Record<string, string> {
	const defined: Record<string, string> = {};
	for (const [name, value] of Object.entries(env)) if (value !== undefined) defined[name] = value;
	return defined;
}

/**
 * Runs the provider's program and waits for it and its output streams to finish. A non-zero exit is
 * a result; a timeout or an interruption kills the program's whole process group and rejects.
 */
export function runProcess(provider: ProcessProvider, options: ProviderOptions): Promise<ProcessResult> {
	return new Promise((resolvePromise, reject) => {
		const { signal, cwd } = options;
		const env = options.env ?? process.env;
		if (signal?.aborted) return reject(interruption(signal));
		let command: { file: string; argv: string[] };
		let timeout: number | undefined;
		try {
			timeout = readTimeout(provider.timeout);
			const executable = locateExecutable(provider.path, env, cwd);
			if (executable === undefined) throw missingProgram(provider.path, env, cwd);
			command = commandLine(executable, provider.arguments);
		} catch (error) {
			return reject(error);
		}

		const child = spawn(command.file, command.argv, {
			cwd,
			env: childEnvironment(env),
			// The runner may be at an interactive terminal: a program reading stdin must see its end,
			// not steal the learner's keystrokes.
			stdio: ['ignore', 'pipe', 'pipe'],
			// Its own process group, so a timeout or Ctrl-C also stops what it started (sh -c "a | b").
			detached: true,
		});
		const stdout: Buffer[] = [];
		const stderr: Buffer[] = [];
		child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
		child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));

		let settled = false;
		let timer: NodeJS.Timeout | undefined;
		let stopListening = (): void => {};
		const settle = (): boolean => {
			if (settled) return false;
			settled = true;
			clearTimeout(timer);
			stopListening();
			return true;
		};
		const stop = (failure: ActivityFailed): void => {
			if (!settle()) return;
			if (child.pid !== undefined) {
				try {
					process.kill(-child.pid, 'SIGKILL');
				} catch {
					// The group is already gone.
				}
			}
			child.stdout.destroy();
			child.stderr.destroy();
			reject(failure);
		};

		stopListening = onAbort(signal, () => stop(interruption(signal as AbortSignal)));
		if (timeout !== undefined) {
			timer = setTimeout(() => stop(new ActivityFailed('process activity took too long to complete')), timeout * 1000);
		}
		child.on('error', (error: NodeJS.ErrnoException) => {
			if (!settle()) return;
			reject(new ActivityFailed(`cannot run '${command.file}': ${error.message}; check that it is a program this machine can run`));
		});
		child.on('close', (code: number | null, signalName: NodeJS.Signals | null) => {
			if (!settle()) return;
			// Python reports a program killed by a signal as the negative signal number.
			const status = code ?? -(signalName === null ? 0 : osConstants.signals[signalName]);
			resolvePromise({
				status,
				stdout: Buffer.concat(stdout).toString('utf8'),
				stderr: Buffer.concat(stderr).toString('utf8'),
			});
		});
	});
}
