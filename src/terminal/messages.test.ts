import { describe, expect, it } from 'vitest';
import { parseClientMessage } from './messages.ts';
import { LIMITS } from './protocol.ts';

/** A WebSocket close frame holds at most 123 bytes of reason. */
const MAX_CLOSE_REASON_BYTES = 123;

function reasonFor(frame: unknown): string {
	const parsed = parseClientMessage(typeof frame === 'string' ? frame : JSON.stringify(frame));
	if (parsed.ok) throw new Error(`expected ${JSON.stringify(frame)} to be refused`);
	return parsed.reason;
}

describe('parseClientMessage accepts', () => {
	it.each([
		{ type: 'input', data: 'ls -l\r' },
		{ type: 'input', data: '' },
		{ type: 'resize', cols: 80, rows: 24 },
		{ type: 'resize', cols: 2, rows: 1 },
		{ type: 'resize', cols: LIMITS.maxCols, rows: LIMITS.maxRows },
		{ type: 'ack', bytes: 0 },
		{ type: 'ack', bytes: 16384 },
	])('%j', (message) => {
		expect(parseClientMessage(JSON.stringify(message))).toEqual({ ok: true, message });
	});

	it('a paste as large as the frame limit', () => {
		const data = 'x'.repeat(LIMITS.maxFrameBytes);

		expect(parseClientMessage(JSON.stringify({ type: 'input', data }))).toEqual({ ok: true, message: { type: 'input', data } });
	});
});

describe('parseClientMessage refuses, saying why', () => {
	it('text that is not JSON', () => {
		expect(parseClientMessage('{"type": "input"')).toEqual({ ok: false, reason: 'invalid message: not JSON' });
	});

	it('JSON that is not an object', () => {
		expect(reasonFor('[]')).toBe('invalid message: Invalid input: expected object, received array');
		expect(reasonFor('null')).toBe('invalid message: Invalid input: expected object, received null');
	});

	it('an unknown or missing type', () => {
		const reason = "invalid message: type: Invalid discriminator value. Expected 'input' | 'resize' | 'ack'";

		expect(reasonFor({ type: 'paste', data: 'x' })).toBe(reason);
		expect(reasonFor({ data: 'x' })).toBe(reason);
	});

	it('a field the message type does not have', () => {
		expect(reasonFor({ type: 'input', data: 'x', echo: true })).toBe('invalid message: Unrecognized key: "echo"');
		expect(reasonFor({ type: 'ack', bytes: 1, cols: 80 })).toBe('invalid message: Unrecognized key: "cols"');
	});

	it('a missing field', () => {
		expect(reasonFor({ type: 'input' })).toBe('invalid message: data: Invalid input: expected string, received undefined');
	});

	it.each([
		[{ type: 'resize', cols: 1, rows: 24 }, 'cols: Too small: expected number to be >=2'],
		[{ type: 'resize', cols: LIMITS.maxCols + 1, rows: 24 }, 'cols: Too big: expected number to be <=500'],
		[{ type: 'resize', cols: 80, rows: 0 }, 'rows: Too small: expected number to be >=1'],
		[{ type: 'resize', cols: 80, rows: LIMITS.maxRows + 1 }, 'rows: Too big: expected number to be <=200'],
		[{ type: 'resize', cols: 80.5, rows: 24 }, 'cols: Invalid input: expected int, received number'],
		[{ type: 'resize', cols: '80', rows: 24 }, 'cols: Invalid input: expected number, received string'],
	])('a terminal size out of range: %j', (message, reason) => {
		expect(reasonFor(message)).toBe(`invalid message: ${reason}`);
	});

	it('a negative or fractional ack', () => {
		expect(reasonFor({ type: 'ack', bytes: -1 })).toBe('invalid message: bytes: Too small: expected number to be >=0');
		expect(reasonFor({ type: 'ack', bytes: 0.5 })).toBe('invalid message: bytes: Invalid input: expected int, received number');
	});

	it('input longer than the frame limit', () => {
		expect(reasonFor({ type: 'input', data: 'x'.repeat(LIMITS.maxFrameBytes + 1) })).toBe(
			'invalid message: data: Too big: expected string to have <=65536 characters',
		);
	});
});

describe('the reason of a refusal', () => {
	it('fits a WebSocket close frame, however long the offending key', () => {
		const reason = reasonFor({ type: 'input', data: 'x', ['k'.repeat(500)]: 1 });

		expect(reason.startsWith('invalid message: Unrecognized key: "kkk')).toBe(true);
		expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
	});

	// The limit is in UTF-8 bytes: 200 × "é" is 400 bytes, and cutting by characters would overflow the frame.
	it('fits a WebSocket close frame when the offending key is not ASCII', () => {
		const reason = reasonFor({ type: 'input', data: 'x', ['é'.repeat(200)]: 1 });

		expect(Buffer.byteLength(reason)).toBeLessThanOrEqual(MAX_CLOSE_REASON_BYTES);
	});
});
