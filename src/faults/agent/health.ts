// The samples are sent in the store's own shape; a type only, so the agent's bundle carries none of the store.
import type { HealthSample } from '../../store/store.ts';
import { callChannel } from './channel.ts';

/**
 * The platform's own probe of a lab's health target, run by the fault helper inside the sandbox
 * (the platform itself cannot reach the sandbox's internal network). Every interval it asks the
 * target's URL once and sends the samples to the platform in batches over the sandbox's channel,
 * which learners cannot write: the health series is evidence a check can trust.
 */

export interface HealthTarget {
	url: string;
	intervalMs: number;
	timeoutMs: number;
}

export interface HealthSamplerOptions extends HealthTarget {
	/** Delivers a batch; rejects when it could not, and the batch is kept for the next try. */
	deliver: (samples: HealthSample[]) => Promise<void>;
	/** How often a batch goes out (default 2 s): the series lags the system by at most this. */
	batchMs?: number;
	warn: (line: string) => void;
}

/** Samples kept while the platform cannot take them: ten minutes at one a second. */
const BACKLOG_LIMIT = 600;

export function parseHealthOption(text: string): HealthTarget {
	let value: unknown;
	try {
		value = JSON.parse(text);
	} catch {
		throw new Error('--health: not JSON. Give {"url":"http://storefront:8080/health","intervalMs":1000,"timeoutMs":1000}.');
	}
	const target = value as Partial<HealthTarget>;
	const number = (field: number | undefined, min: number, max: number) => typeof field === 'number' && Number.isInteger(field) && field >= min && field <= max;
	if (typeof target.url !== 'string' || !/^https?:\/\//.test(target.url)) throw new Error('--health: "url" must be an http:// address.');
	if (!number(target.intervalMs, 100, 60_000) || !number(target.timeoutMs, 100, 60_000)) throw new Error('--health: "intervalMs" and "timeoutMs" must be whole milliseconds from 100 to 60000.');
	return { url: target.url, intervalMs: target.intervalMs as number, timeoutMs: target.timeoutMs as number };
}

/** One look at the target: ok means an answer in 2xx within the timeout. */
export async function sampleOnce(target: Pick<HealthTarget, 'url' | 'timeoutMs'>): Promise<HealthSample> {
	const at = new Date().toISOString();
	const started = performance.now();
	try {
		const response = await fetch(target.url, { signal: AbortSignal.timeout(target.timeoutMs), redirect: 'manual' });
		await response.arrayBuffer();
		const latencyMs = round(performance.now() - started);
		return { at, ok: response.ok, status: response.status, latencyMs, error: response.ok ? null : `HTTP ${response.status}` };
	} catch (error) {
		const latencyMs = round(performance.now() - started);
		const timedOut = error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
		return { at, ok: false, status: null, latencyMs, error: timedOut ? `no answer within ${target.timeoutMs} ms` : whyNoAnswer(error) };
	}
}

export function startHealthSampler(options: HealthSamplerOptions): { stop(): Promise<void> } {
	let backlog: HealthSample[] = [];
	let failing = false;
	let sending: Promise<void> = Promise.resolve();
	let stopped = false;

	const flush = () => {
		sending = sending.then(async () => {
			if (backlog.length === 0) return;
			const batch = backlog;
			backlog = [];
			try {
				await options.deliver(batch);
				failing = false;
			} catch (error) {
				backlog = [...batch, ...backlog].slice(-BACKLOG_LIMIT);
				if (!failing) options.warn(`faults agent: the platform did not take ${batch.length} health samples (${(error as Error).message}); they are kept and sent again.`);
				failing = true;
			}
		});
		return sending;
	};
	// Samples are taken on a fixed beat, each on its own, so a slow answer does not delay the next look.
	const sampler = setInterval(() => {
		void sampleOnce(options).then((sample) => {
			if (!stopped) backlog.push(sample);
		});
	}, options.intervalMs);
	const sender = setInterval(() => void flush(), options.batchMs ?? 2_000);
	return {
		async stop() {
			stopped = true;
			clearInterval(sampler);
			clearInterval(sender);
			await flush();
		},
	};
}

/** Sends a batch to the platform over the sandbox's channel. */
export function channelDelivery(channel: string, timeoutMs: number): (samples: HealthSample[]) => Promise<void> {
	return async (samples) => {
		const reply = await callChannel(channel, { method: 'POST', path: '/health-samples', body: Buffer.from(JSON.stringify({ samples })), timeoutMs });
		if (reply.status >= 300) throw new Error(`the platform answered ${reply.status}: ${reply.body.toString('utf8').slice(0, 300)}`);
	};
}

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, ENOTFOUND ...) is in its cause. */
function whyNoAnswer(error: unknown): string {
	const cause = (error as { cause?: { code?: string; message?: string; errors?: { code?: string }[] } }).cause;
	return (cause?.code ?? cause?.errors?.find((inner) => inner.code)?.code ?? cause?.message ?? (error as Error).message).slice(0, 200);
}

function round(ms: number): number {
	return Math.round(ms * 10) / 10;
}
