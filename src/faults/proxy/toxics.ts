import { performance } from 'node:perf_hooks';
import { z } from 'zod';

/**
 * The toxics: what each one's attributes are, their bounds, and how one behaves on one direction
 * of one connection. Attribute names, units and defaults are Toxiproxy 2.x's, so a learner's
 * requests work unchanged against the real thing.
 */

/** The longest wait any toxic may impose: a minute shows an outage; hours only wedge the lab. */
export const MAX_WAIT_MS = 60_000;

export const STREAMS = ['upstream', 'downstream'] as const;
export type Stream = (typeof STREAMS)[number];

/** A `z.strictObject` whose unknown-key error lists the keys that are allowed. */
export function strictFields<Shape extends z.ZodRawShape>(shape: Shape, what: string) {
	const valid = Object.keys(shape).join(', ');
	return z.strictObject(shape, {
		error: (issue) =>
			issue.code === 'unrecognized_keys'
				? `unknown ${what} ${issue.keys.map((key) => `"${key}"`).join(', ')}; valid ones are ${valid}`
				: undefined,
	});
}

function numberError(name: string, unit: string) {
	return (issue: { input?: unknown }) =>
		issue.input === undefined ? `${name} is required, as a number of ${unit}` : `${name} must be a number of ${unit}`;
}

function milliseconds(name: string) {
	return z
		.number({ error: numberError(name, 'milliseconds') })
		.int(`${name} must be a whole number of milliseconds`)
		.min(0, `${name} must be at least 0 ms`)
		.max(MAX_WAIT_MS, `${name} must be at most ${MAX_WAIT_MS} ms (one minute)`)
		.default(0);
}

function wholeNumber(name: string, min: number, unit: string) {
	return z
		.number({ error: numberError(name, unit) })
		.int(`${name} must be a whole number of ${unit}`)
		.min(min, `${name} must be at least ${min} ${unit}`);
}

/** Each type's attributes, with Toxiproxy's zero defaults where zero means something. */
export const ATTRIBUTES = {
	latency: strictFields({ latency: milliseconds('latency'), jitter: milliseconds('jitter') }, 'latency attribute'),
	bandwidth: strictFields({ rate: wholeNumber('rate', 1, 'KB/s') }, 'bandwidth attribute'),
	slow_close: strictFields({ delay: milliseconds('delay') }, 'slow_close attribute'),
	timeout: strictFields({ timeout: milliseconds('timeout') }, 'timeout attribute'),
	reset_peer: strictFields({ timeout: milliseconds('timeout') }, 'reset_peer attribute'),
	slicer: strictFields(
		{
			average_size: wholeNumber('average_size', 1, 'bytes'),
			size_variation: wholeNumber('size_variation', 0, 'bytes').default(0),
			delay: wholeNumber('delay', 0, 'microseconds')
				.max(MAX_WAIT_MS * 1000, `delay must be at most ${MAX_WAIT_MS * 1000} microseconds (one minute)`)
				.default(0),
		},
		'slicer attribute',
	).refine((slicer) => slicer.size_variation < slicer.average_size, {
		message: 'size_variation must be smaller than average_size, or slices could be empty',
		path: ['size_variation'],
	}),
	limit_data: strictFields({ bytes: wholeNumber('bytes', 0, 'bytes').default(0) }, 'limit_data attribute'),
};

export type ToxicType = keyof typeof ATTRIBUTES;
export const TOXIC_TYPES = Object.keys(ATTRIBUTES) as ToxicType[];

export function isToxicType(type: string): type is ToxicType {
	return Object.hasOwn(ATTRIBUTES, type);
}

export type Attributes = Record<string, number>;

/** A toxic as the API shows it. */
export interface Toxic {
	name: string;
	type: ToxicType;
	stream: Stream;
	toxicity: number;
	attributes: Attributes;
}

/** Bytes in flight with the time they were read, which latency counts from. */
export interface Chunk {
	data: Buffer;
	readAt: number;
}

export type Next = (chunk: Chunk) => Promise<void>;

/** What a toxic may do to the connection it sits on. */
export interface ConnectionControl {
	/** Closes both sides as an orderly TCP close (FIN), after what was written is sent. */
	close(): void;
	/** Aborts both sides with a TCP RST, dropping whatever was not yet sent. */
	reset(): void;
}

/**
 * One toxic on one direction of one connection. `process` hands on what should pass (possibly
 * later, split, or not at all) through `next`; `end` runs before the end of the stream is passed on.
 * `detach` runs when the toxic is removed or the connection goes: it ends every wait at once, so
 * data held by a removed toxic flows on.
 */
export interface Stage {
	process(chunk: Chunk, next: Next): Promise<void>;
	end(): Promise<void>;
	detach(removed: boolean): void;
}

/** Resolves after `ms`, or at once when `signal` aborts: a removed toxic lets its data go. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
	if (ms <= 0 || signal.aborted) return Promise.resolve();
	return new Promise((resolve) => {
		const done = () => {
			clearTimeout(timer);
			signal.removeEventListener('abort', done);
			resolve();
		};
		const timer = setTimeout(done, ms);
		signal.addEventListener('abort', done);
	});
}

function randomInt(min: number, max: number): number {
	return min + Math.floor(Math.random() * (max - min + 1));
}

/** Builds the per-connection behaviour of a toxic whose attributes have been validated. */
export function createStage(toxic: Toxic, control: ConnectionControl): Stage {
	const aborted = new AbortController();
	const signal = aborted.signal;
	const attr = (name: string): number => toxic.attributes[name] ?? 0;
	let detached = false;
	const base = {
		async process(chunk: Chunk, next: Next) {
			await next(chunk);
		},
		async end() {},
		detach() {
			detached = true;
			aborted.abort();
		},
	};

	switch (toxic.type) {
		case 'latency':
			return {
				...base,
				async process(chunk, next) {
					const jitter = attr('jitter');
					const delay = Math.max(0, attr('latency') + (jitter > 0 ? randomInt(-jitter, jitter) : 0));
					// Counted from when the chunk was read, so back-to-back chunks are delayed together
					// rather than one after the other; stacked latency toxics add up.
					const due = chunk.readAt + delay;
					await sleep(due - performance.now(), signal);
					await next({ data: chunk.data, readAt: Math.min(due, performance.now()) });
				},
			};
		case 'bandwidth': {
			// The rate is in KB/s, which is bytes per millisecond. Slices of a tenth of a second keep
			// the flow smooth; `freeAt` carries sub-timer remainders so the average rate holds.
			const rate = attr('rate');
			const slice = Math.max(1, rate * 100);
			let freeAt = 0;
			return {
				...base,
				async process(chunk, next) {
					for (let offset = 0; offset < chunk.data.length; offset += slice) {
						const piece = chunk.data.subarray(offset, offset + slice);
						freeAt = Math.max(performance.now(), freeAt) + piece.length / rate;
						await sleep(freeAt - performance.now(), signal);
						await next({ data: piece, readAt: chunk.readAt });
					}
				},
			};
		}
		case 'slow_close':
			return {
				...base,
				async end() {
					await sleep(attr('delay'), signal);
				},
			};
		case 'timeout': {
			const timer = attr('timeout') > 0 ? setTimeout(() => control.close(), attr('timeout')) : undefined;
			return {
				...base,
				// Data is dropped, not held: the peer sees a connection that has gone silent.
				async process() {},
				detach(removed) {
					clearTimeout(timer);
					base.detach();
					// As Toxiproxy does: a connection that was cut off does not come back to life
					// half-way through a conversation when the toxic goes; it is closed.
					if (removed) control.close();
				},
			};
		}
		case 'reset_peer': {
			let triggered = false;
			return {
				...base,
				async process() {
					if (triggered) return;
					triggered = true;
					await sleep(attr('timeout'), signal);
					if (!detached) control.reset();
				},
			};
		}
		case 'slicer':
			return {
				...base,
				async process(chunk, next) {
					const average = attr('average_size');
					const variation = attr('size_variation');
					let offset = 0;
					while (offset < chunk.data.length) {
						const size = Math.max(1, randomInt(average - variation, average + variation));
						await next({ data: chunk.data.subarray(offset, offset + size), readAt: chunk.readAt });
						offset += size;
						if (offset < chunk.data.length) await sleep(attr('delay') / 1000, signal);
					}
				},
			};
		case 'limit_data': {
			const limit = attr('bytes');
			let passed = 0;
			// A limit of zero allows nothing at all: the connection closes as soon as it opens.
			if (limit === 0) queueMicrotask(() => control.close());
			return {
				...base,
				async process(chunk, next) {
					if (passed >= limit) return;
					const piece = chunk.data.subarray(0, limit - passed);
					passed += piece.length;
					await next({ data: piece, readAt: chunk.readAt });
					if (passed >= limit) control.close();
				},
			};
		}
	}
}
