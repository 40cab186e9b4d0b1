import { formatSeconds, parseJournalTime } from '../../chaos/timeline.ts';
import type { HealthSample } from '../../store/store.ts';
import { FAULT_WINDOW_SECONDS, type RunSpan } from './fault-marks.ts';

/**
 * The platform's health series as spans on a run's timeline: runs of samples that agree (healthy,
 * or not), in seconds since the run started, each with a sentence for the caption and screen
 * readers. The journal says what the experiment claimed; these say what the platform saw.
 */

export interface HealthSpan {
	start: number;
	end: number;
	ok: boolean;
	/** How many samples the span joins. */
	samples: number;
	description: string;
}

const MICROS_PER_SECOND = 1_000_000;

/**
 * Samples from run start − 5 s to run end + 5 s, joined into spans: a span runs from its first
 * sample to the sample after its last (the last span to its last sample plus one beat), so spans
 * meet without gaps while samples keep coming. A run whose start cannot be read gets no spans.
 */
export function healthSpans(samples: readonly HealthSample[], run: RunSpan, beatSeconds: number): HealthSpan[] {
	const startUs = parseJournalTime(run.start);
	if (startUs === undefined) return [];
	const endUs = parseJournalTime(run.end) ?? startUs + Math.max(0, run.duration) * MICROS_PER_SECOND;
	const windowUs = FAULT_WINDOW_SECONDS * MICROS_PER_SECOND;
	const placed = samples
		.flatMap((sample) => {
			const atUs = parseJournalTime(sample.at);
			if (atUs === undefined || atUs < startUs - windowUs || atUs > endUs + windowUs) return [];
			return [{ at: (atUs - startUs) / MICROS_PER_SECOND, sample }];
		})
		.sort((a, b) => a.at - b.at);
	const spans: HealthSpan[] = [];
	placed.forEach(({ at, sample }, index) => {
		const next = placed[index + 1]?.at ?? at + beatSeconds;
		const last = spans.at(-1);
		if (last && last.ok === sample.ok) {
			last.end = next;
			last.samples += 1;
		} else {
			spans.push({ start: at, end: next, ok: sample.ok, samples: 1, description: sample.ok ? '' : (sample.error ?? 'no answer') });
		}
	});
	return spans.map((span) => ({ ...span, description: describe(span) }));
}

/** The caption's sentence about health: what the platform's probe saw while the run went on. */
export function healthCaption(spans: readonly HealthSpan[], target: string): string {
	if (spans.length === 0) return '';
	const failing = spans.filter((span) => !span.ok);
	if (failing.length === 0) return `The platform's probe of ${target} saw it healthy throughout.`;
	const listed = failing.map((span) => `from ${formatOffset(span.start)} to ${formatOffset(span.end)}`);
	const joined = listed.length === 1 ? listed[0] : `${listed.slice(0, -1).join(', ')} and ${listed.at(-1)}`;
	return `The platform's probe of ${target} saw it failing ${joined}.`;
}

function describe(span: HealthSpan): string {
	const when = `from ${formatOffset(span.start)} to ${formatOffset(span.end)}`;
	const count = `${span.samples} ${span.samples === 1 ? 'sample' : 'samples'}`;
	return span.ok ? `Healthy ${when} (${count}).` : `Failing ${when} (${count}; ${span.description}).`;
}

function formatOffset(seconds: number): string {
	return seconds < 0 ? `${formatSeconds(-seconds)} before the start` : formatSeconds(seconds);
}
