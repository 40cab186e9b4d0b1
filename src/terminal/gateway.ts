import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { fitCloseReason, parseClientMessage } from './messages.ts';
import { CLOSE, LIMITS, TERMINAL_PATH } from './protocol.ts';
import type { TerminalPeer, TerminalSession } from './terminal-session.ts';
import type { TicketBook, TicketGrant } from './tickets.ts';

export interface TerminalGatewayOptions {
	tickets: TicketBook;
	/** The learner whose session cookie came with the request, if any. */
	identify(request: IncomingMessage): string | undefined;
	/** Whether the page that opened the socket is one of this platform's. */
	isAllowedOrigin(request: IncomingMessage): boolean;
	/** The terminal of the grant's sandbox, if that sandbox is running; opens a shell if there is none. */
	terminalFor(grant: TicketGrant, size: { cols: number; rows: number }): Promise<TerminalSession | undefined>;
	log?: (message: string) => void;
}

/**
 * Accepts terminal WebSockets. Every refusal is a close frame with a code from `CLOSE` and a reason
 * a person can act on, rather than a dropped connection; nothing a browser sends can stop the server.
 */
export class TerminalGateway {
	private readonly server = new WebSocketServer({ noServer: true, maxPayload: LIMITS.maxFrameBytes });
	private readonly options: TerminalGatewayOptions;

	constructor(options: TerminalGatewayOptions) {
		this.options = options;
	}

	/** Handles an HTTP upgrade if it is for the terminal; returns false to let the caller refuse it. */
	handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
		const url = new URL(request.url ?? '/', 'http://platform.invalid');
		if (url.pathname !== TERMINAL_PATH) return false;
		this.server.handleUpgrade(request, socket, head, (ws) => {
			this.accept(ws, request, url).catch((error: unknown) => {
				this.options.log?.(`terminal connection failed: ${error instanceof Error ? error.stack : String(error)}`);
				closeQuietly(ws, CLOSE.serverError, 'The platform could not open the terminal; see the server log.');
			});
		});
		return true;
	}

	/** Closes every terminal socket (shells stay; they belong to their sandboxes). */
	close(): void {
		for (const client of this.server.clients) closeQuietly(client, 1001, 'The platform is shutting down.');
		this.server.close();
	}

	private async accept(ws: WebSocket, request: IncomingMessage, url: URL): Promise<void> {
		ws.on('error', () => undefined);
		if (!this.options.isAllowedOrigin(request)) {
			closeQuietly(ws, CLOSE.forbiddenOrigin, 'Origin not allowed: open the terminal from the course page.');
			return;
		}
		const grant = this.options.tickets.redeem(url.searchParams.get('ticket') ?? '');
		if (!grant) {
			closeQuietly(ws, CLOSE.unauthorized, 'Missing, used or expired ticket: reload the page to get a new one.');
			return;
		}
		if (this.options.identify(request) !== grant.learnerId) {
			closeQuietly(ws, CLOSE.unauthorized, 'This ticket belongs to another session: reload the page.');
			return;
		}
		const size = {
			cols: clamp(Number(url.searchParams.get('cols')), 2, LIMITS.maxCols, 80),
			rows: clamp(Number(url.searchParams.get('rows')), 1, LIMITS.maxRows, 24),
		};
		const session = await this.options.terminalFor(grant, size);
		if (!session) {
			closeQuietly(ws, CLOSE.sandboxGone, 'The lab is not running: start it again.');
			return;
		}
		if (ws.readyState !== ws.OPEN) return;

		const peer: TerminalPeer = {
			sendOutput: (chunk) => {
				if (ws.readyState === ws.OPEN) ws.send(chunk, { binary: true });
			},
			sendMessage: (message) => {
				if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
			},
			close: (code, reason) => closeQuietly(ws, code, reason),
		};
		session.attach(peer, size);
		ws.on('close', () => session.detach(peer));
		ws.on('message', (data, isBinary) => {
			if (isBinary) {
				closeQuietly(ws, CLOSE.invalidMessage, 'invalid message: send JSON text frames, not binary');
				return;
			}
			const parsed = parseClientMessage(data.toString());
			if (!parsed.ok) {
				closeQuietly(ws, CLOSE.invalidMessage, parsed.reason);
				return;
			}
			const message = parsed.message;
			if (message.type === 'input') session.input(message.data);
			else if (message.type === 'resize') session.resize(message.cols, message.rows);
			else session.ack(message.bytes);
		});
	}
}

function closeQuietly(ws: WebSocket, code: number, reason: string): void {
	if (ws.readyState === ws.CLOSED || ws.readyState === ws.CLOSING) return;
	ws.close(code, fitCloseReason(reason));
}

function clamp(value: number, min: number, max: number, fallback: number): number {
	if (!Number.isInteger(value)) return fallback;
	return Math.min(max, Math.max(min, value));
}
