import { describe, expect, it } from 'vitest';
import { percentile, ratio, Stopwatch, summarize } from './stats.ts';

describe('percentile', () => {
	const tenths = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

	it('interpolates between the closest ranks', () => {
		expect(percentile(tenths, 50)).toBeCloseTo(5.5);
		expect(percentile(tenths, 95)).toBeCloseTo(9.55);
		expect(percentile(tenths, 99)).toBeCloseTo(9.91);
	});

	it('gives the extremes at 0 and 100, and the one sample of a single-sample set', () => {
		expect(percentile(tenths, 0)).toBe(1);
		expect(percentile(tenths, 100)).toBe(10);
		expect(percentile([42], 99)).toBe(42);
	});

	it('refuses an empty set and a percentile outside 0..100', () => {
		expect(() => percentile([], 50)).toThrow('No samples');
		expect(() => percentile(tenths, 101)).toThrow('between 0 and 100');
		expect(() => percentile(tenths, Number.NaN)).toThrow('between 0 and 100');
	});
});

describe('summarize', () => {
	it('sorts the samples itself and leaves the caller\'s array as it was', () => {
		const samples = [9, 1, 5, 3, 7];
		const summary = summarize(samples);
		expect(summary).toEqual({ n: 5, min: 1, mean: 5, p50: 5, p95: 8.6, p99: expect.closeTo(8.92, 9), max: 9 });
		expect(samples).toEqual([9, 1, 5, 3, 7]);
	});

	it('puts a single slow outlier in the tail, not in the median', () => {
		const samples = [...Array.from({ length: 99 }, () => 1), 100];
		const summary = summarize(samples);
		expect(summary.p50).toBe(1);
		expect(summary.p99).toBeCloseTo(1.99);
		expect(summary.max).toBe(100);
	});
});

describe('ratio', () => {
	it('is platform over baseline, and undefined for a zero baseline', () => {
		expect(ratio(3, 2)).toBe(1.5);
		expect(ratio(3, 0)).toBeUndefined();
	});
});

describe('Stopwatch', () => {
	it('records each lap as the time since the previous one, and the total', () => {
		const watch = new Stopwatch(100);
		watch.lap('request', 130);
		watch.lap('answer', 180);
		expect(watch.laps).toEqual([
			['request', 30],
			['answer', 50],
		]);
		expect(watch.total).toBe(80);
	});
});
