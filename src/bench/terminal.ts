import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What the benchmark needs from a terminal, whichever way it is reached: the platform's WebSocket
 * or an exec TTY straight on the engine. Both measurements (first byte, keystroke echo) are written
 * once against this, so the two paths are timed by the same code.
 */
export interface BenchTerminal {
	readonly output: OutputTap;
	/** Sends keystrokes to the shell. */
	send(keys: string): void;
	close(): void;
}

interface Waiter {
	onChunk(chunk: Buffer, at: number): void;
	onFailure(error: Error): void;
}

/**
 * The output side of a terminal. Every chunk is timestamped the moment it arrives, so a waiter's
 * answer does not include the time its promise took to resolve.
 */
export class OutputTap {
	private first: number | undefined;
	private lastAt = performance.now();
	private failure: Error | undefined;
	private readonly waiters = new Set<Waiter>();

	/** When the first output byte arrived, if it has. */
	get firstAt(): number | undefined {
		return this.first;
	}

	push(chunk: Buffer): void {
		if (chunk.length === 0) return;
		const at = performance.now();
		this.first ??= at;
		this.lastAt = at;
		for (const waiter of [...this.waiters]) waiter.onChunk(chunk, at);
	}

	/** The terminal went away; everyone waiting for output is told why. */
	fail(error: Error): void {
		this.failure ??= error;
		for (const waiter of [...this.waiters]) waiter.onFailure(error);
	}

	/** Resolves with the arrival time of the next chunk `match` accepts. */
	next(match: (chunk: Buffer) => boolean, what: string, timeoutMs: number, signal: AbortSignal): Promise<number> {
		return new Promise<number>((resolve, reject) => {
			const settle = (outcome: () => void) => {
				this.waiters.delete(waiter);
				clearTimeout(timer);
				signal.removeEventListener('abort', onAbort);
				outcome();
			};
			const waiter: Waiter = {
				onChunk: (chunk, at) => {
					if (match(chunk)) settle(() => resolve(at));
				},
				onFailure: (error) => settle(() => reject(error)),
			};
			const onAbort = () => settle(() => reject(signal.reason));
			const timer = setTimeout(() => settle(() => reject(new Error(`No ${what} within ${timeoutMs} ms`))), timeoutMs);
			if (this.failure) return settle(() => reject(this.failure));
			if (signal.aborted) return onAbort();
			this.waiters.add(waiter);
			signal.addEventListener('abort', onAbort, { once: true });
		});
	}

	/** The arrival time of the first output byte, waiting for it if it has not come yet. */
	async firstOutput(timeoutMs: number, signal: AbortSignal): Promise<number> {
		return this.first ?? this.next(() => true, 'terminal output', timeoutMs, signal);
	}

	/** Waits until the terminal has been quiet for `quietMs` (the shell finished drawing). */
	async settle(quietMs: number, timeoutMs: number, signal: AbortSignal): Promise<void> {
		const deadline = performance.now() + timeoutMs;
		for (;;) {
			const quietFor = performance.now() - this.lastAt;
			if (quietFor >= quietMs) return;
			if (performance.now() > deadline) throw new Error(`The terminal did not go quiet within ${timeoutMs} ms`);
			await sleep(quietMs - quietFor, undefined, { signal });
		}
	}
}

/** The key typed for every timed keystroke; printable, and never part of a cursor or erase sequence. */
const KEY = 'x';
const CLEAR_LINE = '\u0015';
/** Keys between line clears: the prompt plus this many keys stays well inside 80 columns, so no wrap. */
const KEYS_PER_LINE = 25;
const ECHO_TIMEOUT_MS = 5000;

/**
 * Types `count` keys one at a time, each only after the previous one came back, and returns each
 * key's time from send to echo in milliseconds. The line is cleared (untimed) before the first key
 * and every `KEYS_PER_LINE` keys.
 */
export async function typeAndTime(terminal: BenchTerminal, count: number, signal: AbortSignal): Promise<number[]> {
	const echoes: number[] = [];
	const key = KEY.charCodeAt(0);
	for (let typed = 0; typed < count; typed++) {
		if (typed % KEYS_PER_LINE === 0) await clearLine(terminal, signal);
		const echoed = terminal.output.next((chunk) => chunk.includes(key), 'keystroke echo', ECHO_TIMEOUT_MS, signal);
		const sent = performance.now();
		terminal.send(KEY);
		echoes.push((await echoed) - sent);
	}
	return echoes;
}

async function clearLine(terminal: BenchTerminal, signal: AbortSignal): Promise<void> {
	terminal.send(CLEAR_LINE);
	// Readline redraws the line in a few bytes; 20 ms of quiet means it is done.
	await terminal.output.settle(20, 2000, signal);
}
