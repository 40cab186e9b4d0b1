/**
 * The terminal protocol between the lab panel and the platform, shared by both ends (so it holds
 * types and constants only; the server validates incoming frames with zod in `messages.ts`).
 *
 * Browser -> platform: JSON text frames, one `ClientMessage` each.
 * Platform -> browser: binary frames carry terminal output bytes; JSON text frames carry a
 * `ServerMessage`. After `ready`, the platform sends one `snapshot` (the screen as it is, so a
 * reload redraws it), then live output.
 */

export const TERMINAL_PATH = '/api/terminal';

export type ClientMessage =
	/** Keystrokes or pasted text. */
	| { type: 'input'; data: string }
	| { type: 'resize'; cols: number; rows: number }
	/** Flow control: how many output bytes the browser has rendered since its last ack. */
	| { type: 'ack'; bytes: number };

export type ServerMessage =
	| { type: 'ready'; cols: number; rows: number }
	| { type: 'snapshot'; data: string }
	/** The shell exited; a new connection opens a fresh one. */
	| { type: 'exit'; code: number | null };

/**
 * Flow control, as ttyd does it: the platform stops reading from the shell when the browser has
 * more than `high` bytes unrendered, and reads again once it is back under `low`. The browser acks
 * every `ackEvery` rendered bytes.
 */
export const FLOW = {
	high: 256 * 1024,
	low: 32 * 1024,
	ackEvery: 16 * 1024,
} as const;

export const LIMITS = {
	maxCols: 500,
	maxRows: 200,
	/** Largest frame the platform accepts from a browser (a big paste). */
	maxFrameBytes: 64 * 1024,
} as const;

/** Close codes and what each one means to the person at the terminal. */
export const CLOSE = {
	normal: 1000,
	/** A frame that is not a valid `ClientMessage`. */
	invalidMessage: 4400,
	/** No ticket, an expired or used ticket, or no session cookie for the ticket's owner. */
	unauthorized: 4401,
	/** The page that opened the socket is not this platform's. */
	forbiddenOrigin: 4403,
	/** The sandbox is not running (stopped, or never started). */
	sandboxGone: 4404,
	/** The same terminal was opened in another tab; only one view drives it. */
	replaced: 4409,
	serverError: 4500,
} as const;

/** Codes after which reconnecting cannot help; the panel shows the reason instead. */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([CLOSE.invalidMessage, CLOSE.forbiddenOrigin, CLOSE.replaced]);
