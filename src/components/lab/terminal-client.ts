import { FitAddon } from '@xterm/addon-fit';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { CLOSE, FINAL_CLOSE_CODES, FLOW, type ClientMessage, type ServerMessage } from '../../terminal/protocol.ts';

export type TerminalState =
	| { kind: 'connecting' }
	| { kind: 'connected' }
	/** Closed for good (another tab took over, the lab stopped); `reason` says why. */
	| { kind: 'closed'; code: number; reason: string };

/**
 * The learner's terminal in the browser: xterm.js over the platform's terminal WebSocket. It
 * reconnects after a dropped connection (not after a deliberate close), redraws the screen from the
 * platform's snapshot, and acks rendered output so the platform can apply flow control.
 */
export class LabTerminal {
	private readonly terminal: Terminal;
	private readonly fit = new FitAddon();
	private socket: WebSocket | undefined;
	private renderedSinceAck = 0;
	private retries = 0;
	private retryTimer: number | undefined;
	private disposed = false;
	private shellExited = false;
	private readonly resizeObserver: ResizeObserver;
	private readonly container: HTMLElement;
	private readonly labId: string;
	private readonly onState: (state: TerminalState) => void;

	constructor(container: HTMLElement, labId: string, onState: (state: TerminalState) => void) {
		this.container = container;
		this.labId = labId;
		this.onState = onState;
		this.terminal = new Terminal({
			cursorBlink: true,
			fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
			fontSize: 14,
			scrollback: 5000,
			theme: { background: '#111318' },
		});
		this.terminal.loadAddon(this.fit);
		this.terminal.loadAddon(new WebLinksAddon());
		this.terminal.open(container);
		this.terminal.onData((data) => {
			if (this.shellExited) {
				// Any key after the shell exited asks for a fresh one.
				this.shellExited = false;
				this.connect();
				return;
			}
			this.send({ type: 'input', data });
		});
		this.terminal.onResize(({ cols, rows }) => this.send({ type: 'resize', cols, rows }));
		let frame = 0;
		this.resizeObserver = new ResizeObserver(() => {
			cancelAnimationFrame(frame);
			frame = requestAnimationFrame(() => this.fitToContainer());
		});
		this.resizeObserver.observe(container);
	}

	async connect(): Promise<void> {
		if (this.disposed) return;
		this.closeSocket();
		this.onState({ kind: 'connecting' });
		this.fitToContainer();
		let ticket: { ticket: string; path: string };
		try {
			const response = await fetch(`/api/labs/${encodeURIComponent(this.labId)}/terminal-ticket`, { method: 'POST' });
			const body = await response.json();
			if (!response.ok) {
				this.onState({ kind: 'closed', code: CLOSE.sandboxGone, reason: body.error ?? 'The terminal is not available.' });
				return;
			}
			ticket = body;
		} catch {
			this.scheduleReconnect();
			return;
		}
		const url = new URL(ticket.path, window.location.href);
		url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
		url.searchParams.set('ticket', ticket.ticket);
		url.searchParams.set('cols', String(this.terminal.cols));
		url.searchParams.set('rows', String(this.terminal.rows));
		const socket = new WebSocket(url);
		socket.binaryType = 'arraybuffer';
		this.socket = socket;
		socket.addEventListener('message', (event) => this.onMessage(event));
		socket.addEventListener('close', (event) => {
			if (this.socket !== socket) return;
			this.socket = undefined;
			// Like ttyd: reconnect only after an abnormal close; a deliberate one says why.
			if (event.code === CLOSE.normal || event.code === CLOSE.sandboxGone || FINAL_CLOSE_CODES.has(event.code) || event.code === CLOSE.unauthorized) {
				this.onState({ kind: 'closed', code: event.code, reason: event.reason || 'The terminal closed.' });
			} else {
				this.scheduleReconnect();
			}
		});
	}

	focus(): void {
		this.terminal.focus();
	}

	dispose(): void {
		this.disposed = true;
		window.clearTimeout(this.retryTimer);
		this.resizeObserver.disconnect();
		this.closeSocket();
		this.terminal.dispose();
	}

	private onMessage(event: MessageEvent): void {
		if (event.data instanceof ArrayBuffer) {
			const bytes = new Uint8Array(event.data);
			this.terminal.write(bytes, () => this.rendered(bytes.length));
			return;
		}
		const message = JSON.parse(String(event.data)) as ServerMessage;
		if (message.type === 'ready') {
			this.retries = 0;
			this.onState({ kind: 'connected' });
		} else if (message.type === 'snapshot') {
			this.terminal.reset();
			this.terminal.write(message.data);
		} else if (message.type === 'exit') {
			this.shellExited = true;
			this.terminal.write('\r\n\x1b[2m[The shell exited. Press any key to open a new one.]\x1b[0m\r\n');
		}
	}

	private rendered(bytes: number): void {
		this.renderedSinceAck += bytes;
		if (this.renderedSinceAck >= FLOW.ackEvery) {
			this.send({ type: 'ack', bytes: this.renderedSinceAck });
			this.renderedSinceAck = 0;
		}
	}

	private send(message: ClientMessage): void {
		if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
	}

	private fitToContainer(): void {
		if (this.container.offsetParent === null) return;
		try {
			this.fit.fit();
		} catch {
			// Not laid out yet; the next resize fits it.
		}
	}

	private scheduleReconnect(): void {
		if (this.disposed) return;
		this.onState({ kind: 'connecting' });
		const delay = Math.min(10_000, 500 * 2 ** this.retries);
		this.retries += 1;
		this.retryTimer = window.setTimeout(() => void this.connect(), delay);
	}

	private closeSocket(): void {
		const socket = this.socket;
		this.socket = undefined;
		if (socket && socket.readyState <= WebSocket.OPEN) socket.close(CLOSE.normal);
	}
}
