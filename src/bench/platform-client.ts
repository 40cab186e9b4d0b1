import WebSocket from 'ws';
import type { LabPhase, LabStatus } from '../platform/labs.ts';
import { SESSION_COOKIE } from '../platform/identity.ts';
import { FLOW, type ClientMessage, type ServerMessage } from '../terminal/protocol.ts';
import { OutputTap, type BenchTerminal } from './terminal.ts';

/**
 * The lab API as the lab panel uses it: one session cookie, the page's Origin on every request that
 * changes something, the status as server-sent events, and the terminal over a WebSocket.
 */
export class PlatformClient {
	private readonly origin: string;
	private cookie = '';

	constructor(url: string) {
		this.origin = new URL(url).origin;
	}

	/** Calls the lab API and returns its JSON answer; an answer outside 2xx is an error that says what the API said. */
	async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, signal: AbortSignal): Promise<T> {
		const response = await fetch(`${this.origin}${path}`, { method, headers: this.headers(method), signal });
		this.keepSession(response);
		const text = await response.text();
		if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text.slice(0, 300)}`);
		return JSON.parse(text) as T;
	}

	/** Follows a lab's status stream, as the page does for as long as it is open. */
	async followLab(labId: string, signal: AbortSignal): Promise<LabEvents> {
		const path = `/api/labs/${labId}/events`;
		const response = await fetch(`${this.origin}${path}`, { headers: { ...this.headers('GET'), Accept: 'text/event-stream' }, signal });
		this.keepSession(response);
		if (!response.ok || !response.body) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
		return new LabEvents(response.body);
	}

	/** A single-use ticket for the lab's terminal; the lab must be running. */
	async terminalTicket(labId: string, signal: AbortSignal): Promise<{ ticket: string; path: string }> {
		return this.call('POST', `/api/labs/${labId}/terminal-ticket`, signal);
	}

	/** Opens the terminal socket with a ticket; resolves once it is open, and its output lands in `output`. */
	async connectTerminal(grant: { ticket: string; path: string }, signal: AbortSignal): Promise<PlatformTerminal> {
		const url = new URL(grant.path, this.origin);
		url.protocol = 'ws:';
		url.searchParams.set('ticket', grant.ticket);
		url.searchParams.set('cols', '80');
		url.searchParams.set('rows', '24');
		const socket = new WebSocket(url, { headers: { Cookie: this.cookie, Origin: this.origin } });
		const terminal = new PlatformTerminal(socket);
		await new Promise<void>((resolve, reject) => {
			const settle = (outcome: () => void) => {
				signal.removeEventListener('abort', onAbort);
				socket.off('open', onOpen).off('error', onError);
				outcome();
			};
			const onOpen = () => settle(resolve);
			const onError = (error: Error) => settle(() => reject(error));
			const onAbort = () => {
				socket.terminate();
				settle(() => reject(signal.reason));
			};
			if (signal.aborted) return onAbort();
			signal.addEventListener('abort', onAbort, { once: true });
			socket.on('open', onOpen).on('error', onError);
		});
		return terminal;
	}

	private headers(method: string): Record<string, string> {
		const headers: Record<string, string> = {};
		if (this.cookie) headers.Cookie = this.cookie;
		if (method !== 'GET') headers.Origin = this.origin;
		return headers;
	}

	private keepSession(response: Response): void {
		for (const setCookie of response.headers.getSetCookie()) {
			const [pair] = setCookie.split(';');
			if (pair?.startsWith(`${SESSION_COOKIE}=`)) this.cookie = pair;
		}
	}
}

/** A lab's status events, each stamped with the time it arrived. */
export class LabEvents {
	private current: LabStatus | undefined;
	private readonly received: { status: LabStatus; at: number }[] = [];
	private readonly listeners = new Set<(status: LabStatus, at: number) => void>();
	private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
	private readonly decoder = new TextDecoder();

	constructor(body: ReadableStream<Uint8Array>) {
		this.reader = body.getReader();
		void this.read();
	}

	get latest(): LabStatus | undefined {
		return this.current;
	}

	/** How many events have arrived; a mark for `since`. */
	get count(): number {
		return this.received.length;
	}

	/** The events that arrived after `mark`, oldest first. */
	since(mark: number): ReadonlyArray<{ status: LabStatus; at: number }> {
		return this.received.slice(mark);
	}

	/**
	 * Resolves with the arrival time of the next status in `phase`. A start that fails instead
	 * rejects with the platform's reason, so a broken lab stops the benchmark with the real cause.
	 */
	nextPhase(phase: LabPhase, timeoutMs: number, signal: AbortSignal): Promise<number> {
		return new Promise<number>((resolve, reject) => {
			const settle = (outcome: () => void) => {
				this.listeners.delete(listener);
				clearTimeout(timer);
				signal.removeEventListener('abort', onAbort);
				outcome();
			};
			const listener = (status: LabStatus, at: number) => {
				if (status.phase === phase) settle(() => resolve(at));
				else if (status.phase === 'failed') settle(() => reject(new Error(`The lab failed to start: ${status.error ?? 'no reason given'}`)));
			};
			const onAbort = () => settle(() => reject(signal.reason));
			const timer = setTimeout(() => settle(() => reject(new Error(`The lab did not reach "${phase}" within ${timeoutMs / 1000} s (last: ${this.current?.phase ?? 'none'})`))), timeoutMs);
			if (signal.aborted) return onAbort();
			this.listeners.add(listener);
			signal.addEventListener('abort', onAbort, { once: true });
		});
	}

	close(): void {
		void this.reader.cancel().catch(() => undefined);
	}

	private async read(): Promise<void> {
		let buffer = '';
		try {
			for (;;) {
				const { value, done } = await this.reader.read();
				if (done) return;
				const at = performance.now();
				buffer += this.decoder.decode(value, { stream: true });
				let end: number;
				while ((end = buffer.indexOf('\n\n')) >= 0) {
					const block = buffer.slice(0, end);
					buffer = buffer.slice(end + 2);
					this.dispatch(block, at);
				}
			}
		} catch {
			// Cancelled or the platform went away; waiters time out or are aborted with the real cause.
		}
	}

	private dispatch(block: string, at: number): void {
		const lines = block.split('\n');
		const event = lines.find((line) => line.startsWith('event:'))?.slice('event:'.length).trim();
		const data = lines.filter((line) => line.startsWith('data:')).map((line) => line.slice('data:'.length).trimStart()).join('\n');
		if (event !== 'status' || !data) return;
		const status = JSON.parse(data) as LabStatus;
		this.current = status;
		this.received.push({ status, at });
		for (const listener of [...this.listeners]) listener(status, at);
	}
}

/** The lab terminal through the platform: binary frames are output, text frames are control messages. */
export class PlatformTerminal implements BenchTerminal {
	readonly output = new OutputTap();
	/** When the platform said the terminal is attached (`ready`), if it has. */
	readyAt: number | undefined;
	private readonly socket: WebSocket;
	private unacked = 0;

	constructor(socket: WebSocket) {
		this.socket = socket;
		socket.binaryType = 'nodebuffer';
		socket.on('message', (data: Buffer, isBinary) => {
			if (isBinary) {
				this.output.push(data);
				this.acknowledge(data.length);
				return;
			}
			const message = JSON.parse(data.toString()) as ServerMessage;
			if (message.type === 'ready') this.readyAt = performance.now();
			// The shell may already have drawn before the platform took its snapshot; then the first
			// output arrives inside the snapshot instead of as a binary frame.
			else if (message.type === 'snapshot' && message.data.trim()) this.output.push(Buffer.from(message.data));
			else if (message.type === 'exit') this.output.fail(new Error(`The shell exited (code ${message.code})`));
		});
		socket.on('close', (code, reason) => this.output.fail(new Error(`The terminal socket closed (${code} ${reason.toString()})`)));
		socket.on('error', (error) => this.output.fail(error));
	}

	send(keys: string): void {
		this.message({ type: 'input', data: keys });
	}

	close(): void {
		this.socket.close(1000);
	}

	/** Flow control as the page does it: the platform pauses the shell when too much output is unacknowledged. */
	private acknowledge(bytes: number): void {
		this.unacked += bytes;
		if (this.unacked < FLOW.ackEvery) return;
		this.message({ type: 'ack', bytes: this.unacked });
		this.unacked = 0;
	}

	private message(message: ClientMessage): void {
		if (this.socket.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify(message));
	}
}
