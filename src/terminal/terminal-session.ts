import { SerializeAddon } from '@xterm/addon-serialize';
import headless from '@xterm/headless';
import type { Readable } from 'node:stream';
import { CLOSE, FLOW, type ServerMessage } from './protocol.ts';

// The headless package is CommonJS; its named export only exists on the default object under Node.
const { Terminal } = headless;

/** What a terminal session needs from a shell; the sandbox's `ShellSession` is one. */
export interface TerminalShell {
	readonly id: string;
	readonly output: Readable;
	readonly exited: Promise<{ exitCode: number | null }>;
	write(data: string): void;
	resize(cols: number, rows: number): void;
	pause(): void;
	resume(): void;
	end(): Promise<void>;
}

/** What a terminal session needs from whatever carries it to a browser. */
export interface TerminalPeer {
	sendOutput(chunk: Buffer): void;
	sendMessage(message: ServerMessage): void;
	close(code: number, reason: string): void;
}

/** Lines of history a reconnecting browser gets back. */
const SCROLLBACK = 1000;

/**
 * A learner's shell as the platform keeps it: the TTY in the workstation, mirrored into a headless
 * terminal so that a browser that (re)attaches gets the current screen, then live output. The shell
 * outlives browser connections; only one browser drives it at a time.
 */
export class TerminalSession {
	private readonly screen: InstanceType<typeof Terminal>;
	private readonly serializer = new SerializeAddon();
	private peer: TerminalPeer | undefined;
	/** Output that arrived after a peer attached but before its snapshot was taken. */
	private pendingOutput: Buffer[] = [];
	private live = false;
	private unacked = 0;
	private paused = false;
	private exitListeners = new Set<() => void>();
	private exited = false;
	private readonly shell: TerminalShell;

	constructor(shell: TerminalShell, size: { cols: number; rows: number }) {
		this.shell = shell;
		this.screen = new Terminal({ cols: size.cols, rows: size.rows, scrollback: SCROLLBACK, allowProposedApi: true });
		this.screen.loadAddon(this.serializer);
		shell.output.on('data', (chunk: Buffer) => this.onOutput(chunk));
		void shell.exited.then(({ exitCode }) => {
			this.exited = true;
			this.peer?.sendMessage({ type: 'exit', code: exitCode });
			this.resumeShell();
			for (const listener of this.exitListeners) listener();
		});
	}

	get sessionId(): string {
		return this.shell.id;
	}

	get hasExited(): boolean {
		return this.exited;
	}

	onExit(listener: () => void): void {
		this.exitListeners.add(listener);
	}

	/**
	 * Connects a browser. A browser already attached is told the terminal moved to another tab. The
	 * snapshot is taken at a marker written into the screen, so output is neither lost nor repeated:
	 * everything before the marker is in the snapshot, everything after is sent live.
	 */
	attach(peer: TerminalPeer, size: { cols: number; rows: number }): void {
		const previous = this.peer;
		this.peer = peer;
		previous?.close(CLOSE.replaced, 'This terminal was opened in another tab or window.');
		this.live = false;
		this.pendingOutput = [];
		this.unacked = 0;
		this.resumeShell();
		this.resize(size.cols, size.rows);
		peer.sendMessage({ type: 'ready', cols: size.cols, rows: size.rows });
		this.screen.write('', () => {
			if (this.peer !== peer) return;
			peer.sendMessage({ type: 'snapshot', data: this.serializer.serialize({ scrollback: SCROLLBACK }) });
			const pending = this.pendingOutput;
			this.pendingOutput = [];
			this.live = true;
			for (const chunk of pending) this.forward(chunk);
		});
	}

	detach(peer: TerminalPeer): void {
		if (this.peer !== peer) return;
		this.peer = undefined;
		this.pendingOutput = [];
		// Nobody is rendering now; the screen mirror keeps up on its own.
		this.resumeShell();
	}

	input(data: string): void {
		this.shell.write(data);
	}

	resize(cols: number, rows: number): void {
		if (cols === this.screen.cols && rows === this.screen.rows) return;
		this.screen.resize(cols, rows);
		this.shell.resize(cols, rows);
	}

	/** The browser rendered `bytes` more; read from the shell again once it is under the low watermark. */
	ack(bytes: number): void {
		this.unacked = Math.max(0, this.unacked - bytes);
		if (this.paused && this.unacked < FLOW.low) this.resumeShell();
	}

	/** Hangs up the shell and disconnects the browser. */
	async end(reason: { code: number; message: string }): Promise<void> {
		const peer = this.peer;
		this.peer = undefined;
		peer?.close(reason.code, reason.message);
		await this.shell.end();
		this.screen.dispose();
	}

	private onOutput(chunk: Buffer): void {
		this.screen.write(chunk);
		if (!this.peer) return;
		if (!this.live) {
			this.pendingOutput.push(chunk);
			return;
		}
		this.forward(chunk);
	}

	private forward(chunk: Buffer): void {
		this.peer?.sendOutput(chunk);
		this.unacked += chunk.length;
		if (!this.paused && this.unacked > FLOW.high) {
			this.paused = true;
			this.shell.pause();
		}
	}

	private resumeShell(): void {
		if (!this.paused) return;
		this.paused = false;
		this.shell.resume();
	}
}
