/**
 * The arithmetic of the benchmark: percentiles of timing samples, the platform/baseline ratio, and
 * a stopwatch that splits one measurement into named phases.
 */

export interface Summary {
	n: number;
	min: number;
	mean: number;
	p50: number;
	p95: number;
	p99: number;
	max: number;
}

/**
 * The p-th percentile (0..100) of ascending samples, interpolated linearly between the two closest
 * ranks (numpy's default, Excel's PERCENTILE.INC), so a small sample's p95 is not simply its maximum.
 */
export function percentile(sorted: readonly number[], p: number): number {
	if (sorted.length === 0) throw new Error('No samples to take a percentile of');
	if (!(p >= 0 && p <= 100)) throw new Error(`A percentile is between 0 and 100; got ${p}`);
	const rank = (p / 100) * (sorted.length - 1);
	const below = Math.floor(rank);
	const above = Math.ceil(rank);
	const low = sorted[below] as number;
	const high = sorted[above] as number;
	return low + (high - low) * (rank - below);
}

export function summarize(samples: readonly number[]): Summary {
	if (samples.length === 0) throw new Error('No samples to summarize');
	const sorted = [...samples].sort((a, b) => a - b);
	return {
		n: sorted.length,
		min: sorted[0] as number,
		mean: sorted.reduce((sum, value) => sum + value, 0) / sorted.length,
		p50: percentile(sorted, 50),
		p95: percentile(sorted, 95),
		p99: percentile(sorted, 99),
		max: sorted[sorted.length - 1] as number,
	};
}

/** How many times slower the platform is than the baseline; undefined when the baseline is 0. */
export function ratio(platform: number, baseline: number): number | undefined {
	return baseline > 0 ? platform / baseline : undefined;
}

/**
 * Splits one measurement into phases. Each lap is the time since the previous one (or the start),
 * taken now or at a time an event recorded when it arrived.
 */
export class Stopwatch {
	readonly started: number;
	private last: number;
	private readonly recorded: [string, number][] = [];

	constructor(started = performance.now()) {
		this.started = started;
		this.last = started;
	}

	lap(phase: string, at = performance.now()): void {
		this.recorded.push([phase, at - this.last]);
		this.last = at;
	}

	get total(): number {
		return this.last - this.started;
	}

	get laps(): ReadonlyArray<readonly [string, number]> {
		return this.recorded;
	}
}
