import type { ReadJournal, ReadRunEntry } from './journal.ts';

/**
 * A journal as a timeline: one lane per phase of the run, one bar per activity, and a summary in
 * words. Pure data with no drawing, so the lab page's chart and a static report draw the same thing.
 * Times are seconds since the run started, read from the journal's own timestamps.
 */

export type LaneId = 'before' | 'method' | 'during' | 'after' | 'rollbacks';

export const LANE_LABELS: Record<LaneId, string> = {
	before: 'Hypothesis before',
	method: 'Method',
	during: 'During',
	after: 'Hypothesis after',
	rollbacks: 'Rollbacks',
};

export interface TimelineLane {
	id: LaneId;
	label: string;
	/** Rows the lane needs so that overlapping activities (background ones) do not hide each other; at least 1. */
	rows: number;
	/** Set when the lane has no bars, saying so in words ("not checked", "none ran"). */
	empty?: string;
}

export interface TimelineBar {
	lane: LaneId;
	/** Row within the lane, from 0. */
	row: number;
	name: string;
	/** The activity's type as the journal gives it: "probe" or "action". */
	type: string;
	status: 'succeeded' | 'failed';
	/** Hypothesis probes only: whether the output was within the probe's tolerance. */
	toleranceMet?: boolean;
	/** Succeeded, and within tolerance where one applies. This is what a bar's colour and mark show. */
	passed: boolean;
	/** Seconds since the run started. */
	start: number;
	end: number;
	/** Seconds, as the journal recorded it. */
	duration: number;
	/** For the "during" lane: which check of the hypothesis during the method, from 1. */
	check?: number;
	/** The last line of the activity's exception, when it failed with one. */
	error?: string;
	/** One line with the name, phase, outcome and timing: what tooltips and screen readers say. */
	description: string;
}

export interface TimelineSummary {
	title: string;
	status: ReadJournal['status'];
	deviated: boolean;
	/** Whether the steady state was met; null when it was not checked. */
	steadyStateBefore: boolean | null;
	steadyStateAfter: boolean | null;
	/** Checks of the hypothesis during the method, and how many of them did not meet it. */
	duringChecks: number;
	duringNotMet: number;
	/** Seconds, as the journal recorded it. */
	duration: number;
	/** When the run started, in ISO 8601 UTC, if the journal's timestamp can be read. */
	startedAt?: string;
	/** The `--dry` mode of the run, when it was one. */
	dry?: string;
	methodActivities: number;
	methodFailed: number;
	rollbacks: number;
	rollbacksFailed: number;
}

export interface Timeline {
	lanes: TimelineLane[];
	/** In lane order, then by start time. */
	bars: TimelineBar[];
	/** Seconds: the earliest start (at most 0) and the latest end (at least the run's duration). */
	domain: [number, number];
	summary: TimelineSummary;
	/** The run in a few sentences, for a chart's caption and for anyone who cannot see the chart. */
	caption: string;
	/** Activities left out of the chart, and why. */
	warnings: string[];
}

/** Overlaps shorter than this are rounding in the timestamps, not concurrency. */
const OVERLAP_EPSILON_SECONDS = 1e-6;
const MICROS_PER_SECOND = 1_000_000;
/** How many failing probes a caption names before it says "and N more". */
const NAMED_IN_CAPTION = 3;

export function journalTimeline(journal: ReadJournal): Timeline {
	const runStartUs = parseJournalTime(journal.start);
	const warnings: string[] = [];
	const states = journal.steady_states;

	const sources: { lane: LaneId; entries: ReadRunEntry[]; check?: number }[] = [
		{ lane: 'before', entries: states.before?.probes ?? [] },
		{ lane: 'method', entries: journal.run },
		...states.during.map((state, index) => ({ lane: 'during' as const, entries: state.probes, check: index + 1 })),
		{ lane: 'after', entries: states.after?.probes ?? [] },
		{ lane: 'rollbacks', entries: journal.rollbacks },
	];
	const placed = sources.flatMap(({ lane, entries, check }) =>
		entries.flatMap((entry) => {
			const span = entrySpan(entry);
			if (!span) {
				warnings.push(`“${entry.activity.name}” (${LANE_LABELS[lane]}) is not on the chart: its start and end times cannot be read.`);
				return [];
			}
			return [{ lane, entry, check, ...span }];
		}),
	);
	// Without a readable run start, the first activity marks time zero.
	const originUs = runStartUs ?? (placed.length > 0 ? Math.min(...placed.map((item) => item.startUs)) : undefined);

	const laneIds: LaneId[] = ['before', 'method', ...(states.during.length > 0 ? (['during'] as const) : []), 'after', 'rollbacks'];
	const lanes: TimelineLane[] = [];
	const bars: TimelineBar[] = [];
	for (const laneId of laneIds) {
		const inLane = placed
			.map((item, index) => ({ ...item, index }))
			.filter((item) => item.lane === laneId)
			.sort((a, b) => a.startUs - b.startUs || a.index - b.index);
		const rowEnds: number[] = [];
		for (const item of inLane) {
			const start = (item.startUs - (originUs ?? item.startUs)) / MICROS_PER_SECOND;
			const end = (item.endUs - (originUs ?? item.startUs)) / MICROS_PER_SECOND;
			let row = rowEnds.findIndex((rowEnd) => rowEnd <= start + OVERLAP_EPSILON_SECONDS);
			if (row === -1) row = rowEnds.length;
			rowEnds[row] = end;
			bars.push(toBar(item.entry, laneId, row, start, end, item.check));
		}
		const lane: TimelineLane = { id: laneId, label: LANE_LABELS[laneId], rows: Math.max(1, rowEnds.length) };
		if (inLane.length === 0) lane.empty = emptyLaneText(journal, laneId);
		lanes.push(lane);
	}

	const runEndUs = parseJournalTime(journal.end);
	const runEnd = runEndUs !== undefined && originUs !== undefined ? (runEndUs - originUs) / MICROS_PER_SECOND : 0;
	const lastEnd = Math.max(journal.duration, runEnd, ...bars.map((bar) => bar.end));
	const firstStart = Math.min(0, ...bars.map((bar) => bar.start));
	const summary = summarize(journal, runStartUs);
	return { lanes, bars, domain: [firstStart, lastEnd], summary, caption: captionFor(journal, summary), warnings };
}

/**
 * Microseconds since the epoch of an ISO 8601 timestamp, or undefined when it is not one. Whole
 * microseconds are exact integers in a double (milliseconds with a fraction are not), so the gap
 * between two timestamps is exact. A timestamp without an offset is UTC: the reference tool writes
 * `datetime.utcnow().isoformat()`, which has none, and JavaScript would read it as local time.
 */
export function parseJournalTime(text: string): number | undefined {
	const match = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(text.trim());
	if (!match) return undefined;
	const [, year, month, day, hour, minute, second, fraction = '', offset = 'Z'] = match;
	const wholeMs = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second));
	if (Number.isNaN(wholeMs)) return undefined;
	const micros = Number(fraction.padEnd(6, '0').slice(0, 6));
	return (wholeMs - offsetMinutes(offset) * 60_000) * 1000 + micros;
}

/** Seconds in words a learner reads at a glance: "850 ms", "5.7 s", "2 min 5 s". */
export function formatSeconds(seconds: number): string {
	if (!Number.isFinite(seconds)) return 'an unknown time';
	if (seconds < 0.001) return 'less than 1 ms';
	const milliseconds = Math.round(seconds * 1000);
	if (milliseconds < 1000) return `${milliseconds} ms`;
	const tenths = Math.round(seconds * 10) / 10;
	if (tenths < 60) return `${tenths} s`;
	const minutes = Math.floor(Math.round(seconds) / 60);
	const rest = Math.round(seconds) - minutes * 60;
	return rest === 0 ? `${minutes} min` : `${minutes} min ${rest} s`;
}

function offsetMinutes(offset: string): number {
	if (offset.toUpperCase() === 'Z') return 0;
	const sign = offset.startsWith('-') ? -1 : 1;
	const digits = offset.slice(1).replace(':', '');
	return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0'));
}

/** Where an activity sits in time; one unreadable timestamp is rebuilt from the other and the duration. */
function entrySpan(entry: ReadRunEntry): { startUs: number; endUs: number } | undefined {
	const startUs = parseJournalTime(entry.start);
	const endUs = parseJournalTime(entry.end);
	const durationUs = Number.isFinite(entry.duration) ? Math.round(Math.max(0, entry.duration) * MICROS_PER_SECOND) : 0;
	if (startUs !== undefined && endUs !== undefined) return { startUs, endUs: Math.max(startUs, endUs) };
	if (startUs !== undefined) return { startUs, endUs: startUs + durationUs };
	if (endUs !== undefined) return { startUs: endUs - durationUs, endUs };
	return undefined;
}

function toBar(entry: ReadRunEntry, lane: LaneId, row: number, start: number, end: number, check: number | undefined): TimelineBar {
	const hypothesis = lane === 'before' || lane === 'after' || lane === 'during';
	const toleranceMet = hypothesis ? entry.tolerance_met : undefined;
	const passed = entry.status === 'succeeded' && toleranceMet !== false;
	const error = lastExceptionLine(entry.exception);
	const bar: TimelineBar = {
		lane,
		row,
		name: entry.activity.name,
		type: entry.activity.type,
		status: entry.status,
		passed,
		start,
		end,
		duration: entry.duration,
		description: '',
	};
	if (toleranceMet !== undefined) bar.toleranceMet = toleranceMet;
	if (check !== undefined) bar.check = check;
	if (error) bar.error = error;
	bar.description = describeBar(bar);
	return bar;
}

function describeBar(bar: TimelineBar): string {
	const phase = bar.check !== undefined ? `${LANE_LABELS[bar.lane]}, check ${bar.check}` : LANE_LABELS[bar.lane];
	const outcome = [`${bar.passed ? '✓' : '✗'} ${bar.status}`];
	if (bar.toleranceMet !== undefined) outcome.push(bar.toleranceMet ? 'tolerance met' : 'tolerance not met');
	const error = bar.error ? ` Error: ${bar.error}` : '';
	return `${bar.type} “${bar.name}” (${phase}): ${outcome.join(', ')}; took ${formatSeconds(bar.duration)}, from ${formatOffset(bar.start)} to ${formatOffset(bar.end)}.${error}`;
}

function formatOffset(seconds: number): string {
	return `${Math.round(seconds * 1000) / 1000} s`;
}

/** The reference tool's exception is traceback lines; the last one says what went wrong. */
function lastExceptionLine(exception: string[] | undefined): string | undefined {
	const lines = (exception ?? []).flatMap((line) => line.split('\n')).map((line) => line.trim()).filter(Boolean);
	return lines.at(-1);
}

function emptyLaneText(journal: ReadJournal, lane: LaneId): string {
	if (lane === 'before') return journal.steady_states.before ? 'no probes ran' : 'not checked';
	if (lane === 'after') return journal.steady_states.after ? 'no probes ran' : 'not checked';
	return 'none ran';
}

function summarize(journal: ReadJournal, runStartUs: number | undefined): TimelineSummary {
	const { before, after, during } = journal.steady_states;
	const dry = journal.experiment.dry;
	const summary: TimelineSummary = {
		title: journal.experiment.title,
		status: journal.status,
		deviated: journal.deviated,
		steadyStateBefore: before ? before.steady_state_met : null,
		steadyStateAfter: after ? after.steady_state_met : null,
		duringChecks: during.length,
		duringNotMet: during.filter((state) => state.steady_state_met === false).length,
		duration: journal.duration,
		methodActivities: journal.run.length,
		methodFailed: journal.run.filter((entry) => entry.status === 'failed').length,
		rollbacks: journal.rollbacks.length,
		rollbacksFailed: journal.rollbacks.filter((entry) => entry.status === 'failed').length,
	};
	if (runStartUs !== undefined) summary.startedAt = new Date(runStartUs / 1000).toISOString();
	if (typeof dry === 'string' && dry) summary.dry = dry;
	return summary;
}

const STATUS_WORDS: Record<ReadJournal['status'], string> = {
	completed: 'completed',
	failed: 'failed',
	aborted: 'was aborted',
	interrupted: 'was interrupted',
};

function captionFor(journal: ReadJournal, summary: TimelineSummary): string {
	const { before, after } = journal.steady_states;
	const sentences = [`“${summary.title}” ${STATUS_WORDS[summary.status]} after ${formatSeconds(summary.duration)}.`];
	if (summary.deviated) sentences.push('It deviated: the steady state did not hold after the method.');
	else if (after) sentences.push('It did not deviate.');
	else sentences.push('Deviation was not measured, because the steady state was not checked after the method.');

	sentences.push(`Steady state before the method: ${describeState(before)}.`);
	if (summary.duringChecks > 0) {
		const checks = `${summary.duringChecks} ${plural(summary.duringChecks, 'check', 'checks')}`;
		sentences.push(`During the method: ${checks}, ${summary.duringNotMet === 0 ? 'all met' : `${summary.duringNotMet} not met`}.`);
	}
	sentences.push(`Steady state after the method: ${describeState(after)}.`);

	if (summary.methodActivities === 0) sentences.push('Method: no activities ran.');
	else {
		const failed = summary.methodFailed === 0 ? 'none failed' : `${summary.methodFailed} failed`;
		sentences.push(`Method: ${summary.methodActivities} ${plural(summary.methodActivities, 'activity', 'activities')} ran, ${failed}.`);
	}
	if (summary.rollbacks === 0) sentences.push('Rollbacks: none ran.');
	else {
		const failed = summary.rollbacksFailed === 0 ? 'all succeeded' : `${summary.rollbacksFailed} failed`;
		sentences.push(`Rollbacks: ${summary.rollbacks} ran, ${failed}.`);
	}
	if (summary.dry) sentences.push(`This was a dry run (--dry ${summary.dry}): the skipped activities did not really run.`);
	return sentences.join(' ');
}

function describeState(state: ReadJournal['steady_states']['before']): string {
	if (!state) return 'not checked';
	const count = state.probes.length;
	if (state.steady_state_met === true) return `met (${count} ${plural(count, 'probe', 'probes')} within tolerance)`;
	const misses = state.probes.filter((probe) => probe.status === 'failed' || probe.tolerance_met === false);
	if (misses.length === 0) return state.steady_state_met === false ? 'not met' : 'not decided';
	const named = misses.slice(0, NAMED_IN_CAPTION).map((probe) => (probe.status === 'failed' ? `“${probe.activity.name}” failed` : `“${probe.activity.name}” was outside its tolerance`));
	if (misses.length > NAMED_IN_CAPTION) return `not met: ${named.join(', ')}, and ${misses.length - NAMED_IN_CAPTION} more probes did not pass`;
	return `not met: ${joinWords(named)}`;
}

function joinWords(items: string[]): string {
	if (items.length <= 1) return items.join('');
	return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

function plural(count: number, one: string, many: string): string {
	return count === 1 ? one : many;
}
