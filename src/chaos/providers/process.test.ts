import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActivityFailed } from '../errors.ts';
import type { ProcessProvider } from '../types.ts';
import { findExecutable, runProcess } from './process.ts';

let directory: string;
beforeAll(() => {
	directory = realpathSync(mkdtempSync(join(tmpdir(), 'chaos-process-')));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function script(name: string, body: string, executable = true): string {
	const path = join(directory, name);
	writeFileSync(path, `#!/bin/sh\n${body}\n`);
	chmodSync(path, executable ? 0o755 : 0o644);
	return path;
}

const options = { verifyTls: true };

function run(provider: Omit<ProcessProvider, 'type'>, extra: Partial<Parameters<typeof runProcess>[1]> = {}) {
	return runProcess({ type: 'process', ...provider }, { ...options, ...extra });
}

async function failure(promise: Promise<unknown>): Promise<ActivityFailed> {
	const error = await promise.then(
		() => undefined,
		(rejection: unknown) => rejection,
	);
	expect(error).toBeInstanceOf(ActivityFailed);
	return error as ActivityFailed;
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

async function waitUntil(condition: () => boolean, milliseconds = 2000): Promise<boolean> {
	const deadline = Date.now() + milliseconds;
	while (Date.now() < deadline) {
		if (condition()) return true;
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
	return condition();
}

describe('arguments', () => {
	it('passes a list as separate arguments, spelled as Python would, leaving out null and ""', async () => {
		const result = await run({ path: 'sh', arguments: ['-c', 'printf "[%s]" "$@"', 'zero', true, null, '', 3, 0.5, 'two words'] });
		expect(result).toEqual({ status: 0, stdout: '[True][3][0.5][two words]', stderr: '' });
	});

	it('runs a string through the shell after the program', async () => {
		const result = await run({ path: 'echo', arguments: 'hello world | tr a-z A-Z' });
		expect(result).toEqual({ status: 0, stdout: 'HELLO WORLD\n', stderr: '' });
	});

	it('quotes a program path with a space for the shell', async () => {
		mkdirSync(join(directory, 'with space'), { recursive: true });
		const path = join(directory, 'with space', 'greet');
		writeFileSync(path, '#!/bin/sh\necho "hi $1"\n');
		chmodSync(path, 0o755);
		expect((await run({ path, arguments: 'there' })).stdout).toBe('hi there\n');
	});

	it('flattens a mapping into key, value pairs, dropping a null value but not its key', async () => {
		const result = await run({ path: 'sh', arguments: { '-c': 'printf "%s|%s" "$0" "$1"', lonely: null, last: 'x' } });
		expect(result.stdout).toBe('lonely|last');
	});

	it('refuses arguments that are neither a string, a list nor a mapping', async () => {
		const error = await failure(run({ path: 'echo', arguments: 5 as unknown as string }));
		expect(error.message).toBe('process arguments must be a string, a list or a mapping, not 5: write them as a list, e.g. ["-c", "1"]');
	});
});

describe('results', () => {
	it('returns stdout, stderr and a non-zero exit status as a result, not a failure', async () => {
		const result = await run({ path: 'sh', arguments: ['-c', 'echo out; echo oops >&2; exit 4'] });
		expect(result).toEqual({ status: 4, stdout: 'out\n', stderr: 'oops\n' });
		expect(await run({ path: 'false' })).toEqual({ status: 1, stdout: '', stderr: '' });
	});

	it('reports a program killed by a signal with the negative signal number, as Python does', async () => {
		const result = await run({ path: 'sh', arguments: ['-c', 'kill -TERM $$'] });
		expect(result.status).toBe(-15);
	});

	it('decodes output as UTF-8', async () => {
		const result = await run({ path: 'printf', arguments: ['caf\\303\\251'] });
		expect(result.stdout).toBe('café');
	});

	it('gives the program an empty stdin rather than the terminal', async () => {
		const result = await run({ path: 'cat', timeout: 5 });
		expect(result).toEqual({ status: 0, stdout: '', stderr: '' });
	});

	it('runs in cwd with the environment given, and finds a relative path there', async () => {
		const nested = join(directory, 'workdir');
		mkdirSync(nested, { recursive: true });
		script('workdir/where.sh', 'pwd; echo "$GREETING"');
		const result = await run({ path: './where.sh' }, { cwd: nested, env: { PATH: process.env.PATH, GREETING: 'bonjour' } });
		expect(result.stdout).toBe(`${nested}\nbonjour\n`);
	});
});

describe('failures', () => {
	it('names a program that cannot be found and says what to give instead', async () => {
		const error = await failure(run({ path: 'no-such-program-here' }));
		expect(error.message).toBe(
			"path 'no-such-program-here' cannot be found: give the path of an executable file, or the name of a program on PATH",
		);
	});

	it('says how to fix a script that is not executable', async () => {
		const path = script('plain.sh', 'echo never', false);
		const error = await failure(run({ path }));
		expect(error.message).toBe(`no access permission to '${path}': make it executable (chmod +x ${path})`);
	});

	it('kills a program that outlives its timeout, with everything it started', async () => {
		const pidFile = join(directory, 'timeout.pid');
		const started = Date.now();
		const error = await failure(run({ path: 'sh', arguments: ['-c', `sleep 30 & echo $! > ${pidFile}; wait`], timeout: 0.3 }));
		expect(error.message).toBe('process activity took too long to complete');
		expect(Date.now() - started).toBeLessThan(3000);
		const grandchild = Number(readFileSync(pidFile, 'utf8'));
		expect(await waitUntil(() => !isAlive(grandchild))).toBe(true);
	});

	it('kills the process group and rejects when aborted', async () => {
		const pidFile = join(directory, 'abort.pid');
		const controller = new AbortController();
		setTimeout(() => controller.abort(), 200);
		const error = await failure(run({ path: 'sh', arguments: ['-c', `sleep 30 & echo $! > ${pidFile}; wait`] }, { signal: controller.signal }));
		expect(error.message).toBe('activity was interrupted before it completed');
		const grandchild = Number(readFileSync(pidFile, 'utf8'));
		expect(await waitUntil(() => !isAlive(grandchild))).toBe(true);
	});

	it('uses the abort reason when it is an ActivityFailed, and starts nothing once aborted', async () => {
		const marker = join(directory, 'should-not-exist');
		const controller = new AbortController();
		controller.abort(new ActivityFailed('stopped by --fail-fast'));
		const error = await failure(run({ path: 'touch', arguments: [marker] }, { signal: controller.signal }));
		expect(error.message).toBe('stopped by --fail-fast');
		expect(existsSync(marker)).toBe(false);
	});

	it('leaves nothing holding the event loop once it has a result', async () => {
		const probe = join(directory, 'probe.ts');
		writeFileSync(
			probe,
			`import { runProcess } from ${JSON.stringify(join(import.meta.dirname, 'process.ts'))};\n` +
				"const result = await runProcess({ type: 'process', path: 'echo', arguments: ['done'], timeout: 60 }, { verifyTls: true });\n" +
				'process.stdout.write(result.stdout);\n',
		);
		const started = Date.now();
		const output = await new Promise<string>((resolve, reject) =>
			execFile(process.execPath, [probe], { timeout: 20_000 }, (error, stdout) => (error ? reject(error) : resolve(stdout))),
		);
		expect(output).toBe('done\n');
		expect(Date.now() - started).toBeLessThan(10_000);
	});
});

describe('findExecutable', () => {
	it('looks a bare name up on PATH, in order', () => {
		const first = join(directory, 'path-first');
		const second = join(directory, 'path-second');
		for (const folder of [first, second]) {
			mkdirSync(folder, { recursive: true });
			writeFileSync(join(folder, 'tool'), '#!/bin/sh\n');
			chmodSync(join(folder, 'tool'), 0o755);
		}
		expect(findExecutable('tool', { PATH: `${first}:${second}` })).toBe(join(first, 'tool'));
		expect(findExecutable('tool', { PATH: `${join(directory, 'nowhere')}:${second}` })).toBe(join(second, 'tool'));
		expect(findExecutable('tool', { PATH: join(directory, 'nowhere') })).toBeUndefined();
		expect(findExecutable('sh')).toMatch(/\/sh$/);
	});

	it('takes a path with a slash as written, absolute or relative to the working directory', () => {
		const path = script('direct.sh', 'true');
		expect(findExecutable(path)).toBe(path);
		const fromHere = relative(process.cwd(), path);
		expect(findExecutable(fromHere.includes('/') ? fromHere : `./${fromHere}`)).toBeDefined();
		expect(findExecutable(join(directory, 'absent.sh'))).toBeUndefined();
	});

	it('expands ~ from HOME', () => {
		script('home-tool', 'true');
		expect(findExecutable('~/home-tool', { HOME: directory })).toBe(join(directory, 'home-tool'));
	});

	it('counts only executable files: not a directory, not a file without its x bit', () => {
		mkdirSync(join(directory, 'folder'), { recursive: true });
		expect(findExecutable(join(directory, 'folder'))).toBeUndefined();
		expect(findExecutable(script('no-x.sh', 'true', false))).toBeUndefined();
		expect(findExecutable('folder', { PATH: directory })).toBeUndefined();
	});

	it('reads an empty PATH entry as the current directory, and runs what it finds there', async () => {
		const nested = join(directory, 'cwd-path');
		mkdirSync(nested, { recursive: true });
		script('cwd-path/local-tool', 'echo local');
		const result = await run({ path: 'local-tool' }, { cwd: nested, env: { PATH: '' } });
		expect(result.stdout).toBe('local\n');
	});
});
