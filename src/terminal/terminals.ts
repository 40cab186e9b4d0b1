import { randomBytes } from 'node:crypto';
import type { ShellSession } from '../../sandbox/exec.ts';
import type { Sandbox } from '../../sandbox/sandbox.ts';
import { CLOSE } from './protocol.ts';
import { TerminalSession } from './terminal-session.ts';

/** The login shell a learner's terminal runs in the workstation. */
const SHELL = ['/bin/bash', '-l'];

/**
 * How long one attempt to open the shell may take. Twice in CI the first terminal of a fresh
 * platform stayed blank with nothing in the server log, which fits an exec into a just-started
 * container that the engine never answered. A new exec a moment later costs little, so a slow
 * attempt is abandoned, logged and tried again rather than waited on for ever.
 */
const OPEN_ATTEMPT_MS = 8000;
const OPEN_ATTEMPTS = 3;

/**
 * One terminal per sandbox, opened on first attach and kept across browser reconnects until the
 * shell exits or the sandbox is torn down.
 */
export class Terminals {
	private readonly sessions = new Map<string, TerminalSession>();
	private readonly opening = new Map<string, Promise<TerminalSession>>();
	private readonly log: (message: string) => void;

	constructor(log: (message: string) => void = () => undefined) {
		this.log = log;
	}

	async forSandbox(sandbox: Sandbox, container: string, size: { cols: number; rows: number }): Promise<TerminalSession> {
		const existing = this.sessions.get(sandbox.id);
		if (existing && !existing.hasExited) return existing;
		let pending = this.opening.get(sandbox.id);
		if (!pending) {
			pending = (async () => {
				const shell = await this.openShell(sandbox, container, size);
				const session = new TerminalSession(shell, size);
				this.sessions.set(sandbox.id, session);
				session.onExit(() => {
					if (this.sessions.get(sandbox.id) === session) this.sessions.delete(sandbox.id);
				});
				return session;
			})().finally(() => this.opening.delete(sandbox.id));
			this.opening.set(sandbox.id, pending);
		}
		return pending;
	}

	private async openShell(sandbox: Sandbox, container: string, size: { cols: number; rows: number }): Promise<ShellSession> {
		for (let attempt = 1; ; attempt += 1) {
			const opening = sandbox.openShell(container, randomBytes(8).toString('hex'), SHELL, size);
			let timer: NodeJS.Timeout | undefined;
			const timedOut = new Promise<undefined>((resolve) => {
				timer = setTimeout(() => resolve(undefined), OPEN_ATTEMPT_MS);
			});
			const shell = await Promise.race([opening, timedOut]).finally(() => clearTimeout(timer));
			if (shell) return shell;
			// A shell that turns up late has no terminal to belong to; hang it up when it does.
			opening.then((late) => late.end(), () => undefined);
			this.log(`Opening a shell in sandbox ${sandbox.id} took more than ${OPEN_ATTEMPT_MS / 1000} s (attempt ${attempt} of ${OPEN_ATTEMPTS})`);
			if (attempt === OPEN_ATTEMPTS) throw new Error(`The Docker engine did not open a shell in the workstation after ${OPEN_ATTEMPTS} tries`);
		}
	}

	async endSandbox(sandboxId: string, message = 'The lab was stopped.'): Promise<void> {
		const session = this.sessions.get(sandboxId);
		this.sessions.delete(sandboxId);
		await session?.end({ code: CLOSE.sandboxGone, message });
	}

	/** Disconnects every browser, keeping the shells' sandboxes for the next start to adopt. */
	async endAll(message: string): Promise<void> {
		await Promise.all([...this.sessions.keys()].map((sandboxId) => this.endSandbox(sandboxId, message)));
	}
}
