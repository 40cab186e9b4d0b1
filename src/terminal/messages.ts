import { z } from 'zod';
import { LIMITS, type ClientMessage } from './protocol.ts';

const clientMessageSchema = z.discriminatedUnion('type', [
	z.strictObject({ type: z.literal('input'), data: z.string().max(LIMITS.maxFrameBytes) }),
	z.strictObject({
		type: z.literal('resize'),
		cols: z.number().int().min(2).max(LIMITS.maxCols),
		rows: z.number().int().min(1).max(LIMITS.maxRows),
	}),
	z.strictObject({ type: z.literal('ack'), bytes: z.number().int().min(0) }),
]);

export type ParsedMessage = { ok: true; message: ClientMessage } | { ok: false; reason: string };

/** Validates one text frame from a browser. The reason fits in a WebSocket close frame (123 bytes). */
export function parseClientMessage(text: string): ParsedMessage {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		return { ok: false, reason: 'invalid message: not JSON' };
	}
	const result = clientMessageSchema.safeParse(value);
	if (result.success) return { ok: true, message: result.data };
	const issue = result.error.issues[0];
	const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
	return { ok: false, reason: fitCloseReason(`invalid message: ${where}${issue?.message ?? 'unknown shape'}`) };
}

/** A WebSocket close reason holds at most 123 bytes of UTF-8; cut on a character boundary. */
export function fitCloseReason(reason: string): string {
	let bytes = 0;
	let end = 0;
	for (const character of reason) {
		bytes += Buffer.byteLength(character);
		if (bytes > 123) break;
		end += character.length;
	}
	return reason.slice(0, end);
}
