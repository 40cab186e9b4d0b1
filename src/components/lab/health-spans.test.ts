import { describe, expect, it } from 'vitest';
import { healthCaption, healthSpans } from './health-spans.ts';

const run = { start: '2026-12-03T10:00:00.000000', end: '2026-12-03T10:00:10.000000', duration: 10 };
const at = (seconds: number, ok: boolean) => ({ at: new Date(Date.parse('2026-12-03T10:00:00.000Z') + seconds * 1000).toISOString(), ok, status: ok ? 200 : 503, latencyMs: 4, error: ok ? null : 'HTTP 503' });

describe('healthSpans', () => {
	it('joins agreeing samples into spans that meet, from just before the run to just after it', () => {
		const samples = [at(-9, false), at(-1, true), at(0, true), at(1, false), at(2, false), at(3, true), at(14, true), at(16, false)];

		expect(healthSpans(samples, run, 1).map(({ start, end, ok, samples: count }) => ({ start, end, ok, count }))).toEqual([
			{ start: -1, end: 1, ok: true, count: 2 },
			{ start: 1, end: 3, ok: false, count: 2 },
			{ start: 3, end: 15, ok: true, count: 2 },
		]);
	});

	it('says what failed, and in the caption when', () => {
		const spans = healthSpans([at(0, true), at(1, false), at(2, true)], run, 1);

		expect(spans[1]?.description).toBe('Failing from 1 s to 2 s (1 sample; HTTP 503).');
		expect(healthCaption(spans, 'http://storefront:8080/health')).toBe("The platform's probe of http://storefront:8080/health saw it failing from 1 s to 2 s.");
		expect(healthCaption(healthSpans([at(0, true)], run, 1), 'x')).toBe("The platform's probe of x saw it healthy throughout.");
		expect(healthCaption([], 'x')).toBe('');
	});

	it('places nothing for a run whose start cannot be read', () => {
		expect(healthSpans([at(0, true)], { ...run, start: 'soon' }, 1)).toEqual([]);
	});
});
