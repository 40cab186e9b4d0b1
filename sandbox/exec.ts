import { PassThrough, type Duplex } from 'node:stream';
import type Docker from 'dockerode';

export interface ExecOptions {
	user?: string;
	workdir?: string;
	env?: Record<string, string>;
	/** The platform stops waiting after this long and reports `timedOut`; see `runCommand`. */
	timeoutMs?: number;
	signal?: AbortSignal;
}

export interface ExecResult {
	/** null when the command did not finish (timed out or aborted). */
	exitCode: number | null;
	stdout: string;
	stderr: string;
	timedOut: boolean;
}

/** Output past this is dropped, so a noisy command cannot fill the platform's memory. */
const OUTPUT_LIMIT_BYTES = 64 * 1024;

/**
 * Runs a command to completion inside a container and captures its output. The platform's waiting
 * is bounded by `timeoutMs`; callers that must also stop the process wrap argv in `timeout`, because
 * the engine has no API to kill an exec'd process.
 */
export async function runCommand(container: Docker.Container, argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
	const exec = await container.exec({
		Cmd: argv,
		AttachStdin: false,
		AttachStdout: true,
		AttachStderr: true,
		Tty: false,
		User: options.user,
		WorkingDir: options.workdir,
		Env: toEnvList(options.env),
	});
	const stream = (await exec.start({ hijack: true, stdin: false })) as Duplex;
	const output = captureOutput(container, stream);

	const finished = await waitForEnd(stream, options.timeoutMs, options.signal);
	if (!finished) {
		stream.destroy();
		return { exitCode: null, ...output(), timedOut: true };
	}
	const { ExitCode } = await exec.inspect();
	return { exitCode: ExitCode ?? null, ...output(), timedOut: false };
}

/**
 * Splits the engine's multiplexed output stream (of an exec, or of an attach to a container without
 * a TTY) into stdout and stderr, each bounded; the result reads what has arrived so far.
 */
export function captureOutput(container: Docker.Container, stream: NodeJS.ReadableStream): () => { stdout: string; stderr: string } {
	const stdout = new BoundedBuffer();
	const stderr = new BoundedBuffer();
	const outSink = new PassThrough().on('data', (chunk: Buffer) => stdout.push(chunk));
	const errSink = new PassThrough().on('data', (chunk: Buffer) => stderr.push(chunk));
	container.modem.demuxStream(stream, outSink, errSink);
	return () => ({ stdout: stdout.text(), stderr: stderr.text() });
}

function waitForEnd(stream: Duplex, timeoutMs: number | undefined, signal: AbortSignal | undefined): Promise<boolean> {
	return new Promise((resolve) => {
		let timer: NodeJS.Timeout | undefined;
		const settle = (finished: boolean) => {
			if (timer) clearTimeout(timer);
			signal?.removeEventListener('abort', onAbort);
			stream.off('end', onEnd).off('close', onEnd).off('error', onEnd);
			resolve(finished);
		};
		const onEnd = () => settle(true);
		const onAbort = () => settle(false);
		stream.on('end', onEnd).on('close', onEnd).on('error', onEnd);
		if (timeoutMs !== undefined) timer = setTimeout(() => settle(false), timeoutMs);
		if (signal?.aborted) settle(false);
		else signal?.addEventListener('abort', onAbort, { once: true });
	});
}

class BoundedBuffer {
	private chunks: Buffer[] = [];
	private size = 0;
	push(chunk: Buffer): void {
		if (this.size >= OUTPUT_LIMIT_BYTES) return;
		const room = OUTPUT_LIMIT_BYTES - this.size;
		const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
		this.chunks.push(kept);
		this.size += kept.length;
	}
	text(): string {
		return Buffer.concat(this.chunks).toString('utf8');
	}
}

function toEnvList(env: Record<string, string> | undefined): string[] | undefined {
	return env ? Object.entries(env).map(([key, value]) => `${key}=${value}`) : undefined;
}

/**
 * Every process a shell session starts inherits this variable, so the session can be hung up as a
 * whole, even by a later platform process that never held its stream (after a restart).
 */
export const SHELL_MARKER = 'STEADY_SHELL_SESSION';

export interface ShellOptions {
	user?: string;
	workdir?: string;
	env?: Record<string, string>;
	cols: number;
	rows: number;
}

export type ShellExit = { exitCode: number | null };

/**
 * An interactive TTY inside a container: `docker exec -it` held by the platform. Closing the stream
 * does not end the shell on the engine side, so `end()` hangs up every process of the session first.
 */
export class ShellSession {
	readonly id: string;
	readonly exited: Promise<ShellExit>;
	private started = false;
	private pendingSize: { cols: number; rows: number } | undefined;
	private ending: Promise<void> | undefined;

	private readonly container: Docker.Container;
	private readonly exec: Docker.Exec;
	private readonly stream: Duplex;
	private readonly user: string | undefined;

	private constructor(container: Docker.Container, exec: Docker.Exec, stream: Duplex, user: string | undefined, id: string) {
		this.container = container;
		this.exec = exec;
		this.stream = stream;
		this.user = user;
		this.id = id;
		this.exited = new Promise((resolve) => {
			stream.once('close', () => {
				exec.inspect().then(
					(info) => resolve({ exitCode: info.ExitCode ?? null }),
					() => resolve({ exitCode: null }),
				);
			});
		});
		// A broken socket ends the session like a normal exit; the error itself carries nothing useful.
		stream.on('error', () => stream.destroy());
	}

	static async open(container: Docker.Container, argv: string[], id: string, options: ShellOptions): Promise<ShellSession> {
		const exec = await container.exec({
			Cmd: argv,
			AttachStdin: true,
			AttachStdout: true,
			AttachStderr: true,
			Tty: true,
			User: options.user,
			WorkingDir: options.workdir,
			Env: toEnvList({ TERM: 'xterm-256color', ...options.env, [SHELL_MARKER]: id }),
		});
		// Tty must be passed to start as well, or the engine frames the output as if it were not a TTY.
		const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
		const session = new ShellSession(container, exec, stream, options.user, id);
		session.markStarted({ cols: options.cols, rows: options.rows });
		return session;
	}

	get output(): Duplex {
		return this.stream;
	}

	write(data: string | Buffer): void {
		if (!this.stream.destroyed) this.stream.write(data);
	}

	/**
	 * Resizing an exec before its start has resolved hangs the engine for 10 s and fails, so sizes
	 * are queued until then; only the latest one matters.
	 */
	resize(cols: number, rows: number): void {
		this.pendingSize = { cols, rows };
		if (this.started) this.flushResize();
	}

	/** Backpressure: stop reading, so the engine stops reading the TTY and the shell blocks on write. */
	pause(): void {
		this.stream.pause();
	}

	resume(): void {
		this.stream.resume();
	}

	/** Hangs up the session: SIGHUP to every process it started, then closes the stream. Idempotent. */
	end(): Promise<void> {
		this.ending ??= (async () => {
			await hangUpShells(this.container, this.user, this.id).catch(() => undefined);
			this.stream.destroy();
		})();
		return this.ending;
	}

	private markStarted(size: { cols: number; rows: number }): void {
		this.started = true;
		this.pendingSize ??= size;
		this.flushResize();
	}

	private flushResize(): void {
		const size = this.pendingSize;
		if (!size) return;
		this.pendingSize = undefined;
		this.exec.resize({ h: size.rows, w: size.cols }).catch(() => {
			// The shell may have exited between the resize and now; nothing to resize then.
		});
	}
}

/**
 * Sends SIGHUP to the processes of one shell session (or, with no id, of every session), found by
 * the marker in their environment. It runs as the shell's own user: with no capabilities, only the
 * owner may read a process's environment or signal it.
 */
export async function hangUpShells(container: Docker.Container, user: string | undefined, sessionId?: string): Promise<void> {
	const pattern = sessionId ? `^${SHELL_MARKER}=${sessionId}$` : `^${SHELL_MARKER}=`;
	const script = `for p in /proc/[0-9]*; do grep -qsz -- "$1" "$p/environ" && kill -HUP "\${p#/proc/}" 2>/dev/null; done; exit 0`;
	await runCommand(container, ['sh', '-c', script, 'hangup', pattern], { user, timeoutMs: 5000 });
}
