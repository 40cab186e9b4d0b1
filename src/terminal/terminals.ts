import { randomBytes } from 'node:crypto';
import type { Sandbox } from '../../sandbox/sandbox.ts';
import { CLOSE } from './protocol.ts';
import { TerminalSession } from './terminal-session.ts';

/** The login shell a learner's terminal runs in the workstation. */
const SHELL = ['/bin/bash', '-l'];

/**
 * One terminal per sandbox, opened on first attach and kept across browser reconnects until the
 * shell exits or the sandbox is torn down.
 */
export class Terminals {
	private readonly sessions = new Map<string, TerminalSession>();
	private readonly opening = new Map<string, Promise<TerminalSession>>();

	async forSandbox(sandbox: Sandbox, container: string, size: { cols: number; rows: number }): Promise<TerminalSession> {
		const existing = this.sessions.get(sandbox.id);
		if (existing && !existing.hasExited) return existing;
		let pending = this.opening.get(sandbox.id);
		if (!pending) {
			pending = (async () => {
				const shell = await sandbox.openShell(container, randomBytes(8).toString('hex'), SHELL, size);
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
