import { UserError } from './errors.ts';
import type { ReadJournal, ReadRunEntry } from './journal.ts';
import { formatSeconds, journalTimeline, LANE_LABELS, parseJournalTime, type LaneId, type Timeline } from './timeline.ts';

/**
 * `chaos report`: one human-readable document for one or more journals, in the spirit of
 * chaostoolkit-reporting (summary, hypothesis, method, results) but without pandoc or charts: a
 * Markdown file, or a single standalone HTML file. Journals are learner-written, so every value
 * taken from one is escaped and every output is cut to a bounded excerpt.
 */

export type ReportFormat = 'markdown' | 'html';

/** One document for one or more journals, e.g. a run and its rerun. */
export function renderReport(journals: ReadJournal[], format: ReportFormat): string {
	if (journals.length === 0) throw new UserError('chaos report needs at least one journal: pass the journal file(s) written by chaos run');
	const views = journals.map(describeJournal);
	return format === 'html' ? renderHtml(views) : renderMarkdown(views);
}

// ---------------------------------------------------------------------------------------------
// What a report says, independent of its format
// ---------------------------------------------------------------------------------------------

const MICROS_PER_SECOND = 1_000_000;
const MAX_BLOCK_CHARS = 2000;
const MAX_BLOCK_LINES = 40;
const MAX_CELL_CHARS = 200;
const MAX_HEADING_CHARS = 300;
/** Continuous checks can run every second for minutes; list only this many of those that missed. */
const MAX_LISTED_CHECKS = 20;
/** Bars drawn in the HTML timeline's continuous-checks lane; beyond this they merge into a blur anyway. */
const MAX_CHECK_BARS = 300;

/** An excerpt of an output; `omitted` counts the characters left out. */
interface OutputBlock {
	label: string;
	text: string;
	omitted: number;
}

interface ActivityView {
	phase: LaneId;
	type: string;
	name: string;
	provider: string;
	status: string;
	/** Only on hypothesis probes. */
	toleranceMet?: boolean;
	tolerance?: string;
	/** Epoch microseconds (timeline.ts's unit), when the journal's timestamp can be read. */
	startUs?: number;
	duration: number;
	/** One line: `HTTP 200`, `exit status 1`, `failed: ...`. */
	result: string;
	blocks: OutputBlock[];
}

interface SteadyStateView {
	met: boolean | null;
	probes: ActivityView[];
}

type Tone = 'good' | 'bad' | 'neutral';

interface Verdict {
	/** Short label, shown in badges and the summary table. */
	label: string;
	tone: Tone;
	/** The plain-language verdict, e.g. "the steady state held". */
	headline: string;
	detail: string;
}

interface JournalView {
	title: string;
	description: string;
	tags: string[];
	status: string;
	deviated: boolean;
	dry?: string;
	hypothesisTitle?: string;
	before: SteadyStateView | null;
	after: SteadyStateView | null;
	during: SteadyStateView[];
	method: ActivityView[];
	rollbacks: ActivityView[];
	declaredRollbacks: number;
	start: string;
	end: string;
	duration: number;
	/** Epoch microseconds that offsets count from: the run's start, as on the timeline. */
	origin?: number;
	timeline: Timeline;
	platform?: string;
	node?: string;
	chaoslibVersion?: string;
	verdict: Verdict;
	notes: string[];
}

/** What the journal says, before the verdict and the timeline are worked out from it. */
type JournalFacts = Omit<JournalView, 'verdict' | 'notes' | 'timeline' | 'origin'>;

function describeJournal(journal: ReadJournal): JournalView {
	const experiment = journal.experiment;
	const dry = typeof experiment.dry === 'string' && experiment.dry !== '' ? experiment.dry : experiment.dry === true ? 'activities' : undefined;
	const hypothesis = asRecord(experiment['steady-state-hypothesis']);
	const state = (phase: LaneId, value: ReadJournal['steady_states']['before']): SteadyStateView | null =>
		value === null ? null : { met: value.steady_state_met, probes: value.probes.map((entry) => describeEntry(entry, phase, dry)) };
	const view: JournalFacts = {
		title: experiment.title,
		description: typeof experiment.description === 'string' ? experiment.description : '',
		tags: Array.isArray(experiment.tags) ? experiment.tags.filter((tag): tag is string => typeof tag === 'string') : [],
		status: journal.status,
		deviated: journal.deviated,
		dry,
		hypothesisTitle: typeof hypothesis?.title === 'string' ? hypothesis.title : undefined,
		before: state('before', journal.steady_states.before),
		after: state('after', journal.steady_states.after),
		during: journal.steady_states.during.map((value) => state('during', value) as SteadyStateView),
		method: journal.run.map((entry) => describeEntry(entry, 'method', dry)),
		rollbacks: journal.rollbacks.map((entry) => describeEntry(entry, 'rollbacks', dry)),
		declaredRollbacks: Array.isArray(experiment.rollbacks) ? experiment.rollbacks.length : 0,
		start: journal.start,
		end: journal.end,
		duration: journal.duration,
		platform: journal.platform,
		node: journal.node,
		chaoslibVersion: journal['chaoslib-version'] ?? undefined,
	};
	const firstStart = Math.min(
		...allActivities(view)
			.map((activity) => activity.startUs)
			.filter(isNumber),
	);
	const origin = parseJournalTime(journal.start) ?? (Number.isFinite(firstStart) ? firstStart : undefined);
	return { ...view, origin, timeline: journalTimeline(journal), verdict: judge(view), notes: notesFor(view) };
}

function allActivities(view: Pick<JournalView, 'before' | 'during' | 'method' | 'after' | 'rollbacks'>): ActivityView[] {
	return [
		...(view.before?.probes ?? []),
		...view.during.flatMap((state) => state.probes),
		...view.method,
		...(view.after?.probes ?? []),
		...view.rollbacks,
	];
}

function describeEntry(entry: ReadRunEntry, phase: LaneId, dry: string | undefined): ActivityView {
	const activity = entry.activity;
	const isHypothesisProbe = phase === 'before' || phase === 'after' || phase === 'during';
	const { result, blocks } = describeOutcome(entry, dry);
	return {
		phase,
		type: activity.type,
		name: activity.name,
		provider: describeProvider(activity.provider),
		status: entry.status,
		toleranceMet: entry.tolerance_met,
		tolerance: isHypothesisProbe ? describeTolerance(activity.tolerance) : undefined,
		startUs: parseJournalTime(entry.start),
		duration: entry.duration,
		result,
		blocks,
	};
}

function describeOutcome(entry: ReadRunEntry, dry: string | undefined): { result: string; blocks: OutputBlock[] } {
	const blocks: OutputBlock[] = [];
	const error = errorMessage(entry.exception);
	if (entry.exception && entry.exception.join('').trim().split('\n').length > 1) {
		blocks.push(block('error', entry.exception.join('')));
	}
	const output = entry.output;
	const record = asRecord(output);
	let result: string;
	if (record && typeof record.status === 'number' && ('stdout' in record || 'stderr' in record)) {
		result = `exit status ${record.status}`;
		for (const stream of ['stdout', 'stderr'] as const) {
			const text = textOf(record[stream]);
			if (text.trim() !== '') blocks.push(block(stream, text));
		}
	} else if (record && typeof record.status === 'number' && ('body' in record || 'headers' in record)) {
		result = `HTTP ${record.status}`;
		const body = typeof record.body === 'string' ? record.body : record.body === undefined || record.body === null ? '' : pretty(record.body);
		if (body.trim() !== '') blocks.push(block('body', body));
	} else if (output === undefined || output === null) {
		result = dry !== undefined && entry.status === 'succeeded' ? 'skipped (dry run)' : 'no output';
	} else {
		// JSON writes a newline inside a string as \n, so this also keeps multi-line strings out of one-line results.
		const compact = JSON.stringify(output) ?? String(output);
		if (compact.length <= 80 && !compact.includes('\\n')) {
			result = compact;
		} else {
			result = 'a value (shown below)';
			blocks.push(block('output', typeof output === 'string' ? output : pretty(output)));
		}
	}
	if (entry.status === 'failed') result = error ? `failed: ${error}` : 'failed';
	return { result: clip(result, MAX_CELL_CHARS), blocks };
}

/** The exception's message: traceback lines end with it (`chaoslib.exceptions.ActivityFailed: ...`). */
function errorMessage(exception: string[] | undefined): string | undefined {
	const lines = (exception ?? [])
		.join('')
		.split('\n')
		.map((line) => line.trim())
		.filter((line) => line !== '');
	const last = lines.at(-1);
	return last === undefined ? undefined : clip(last, MAX_CELL_CHARS);
}

function block(label: string, raw: string): OutputBlock {
	const text = cleanText(raw);
	let cut = text.length > MAX_BLOCK_CHARS ? text.slice(0, MAX_BLOCK_CHARS) : text;
	const lines = cut.split('\n');
	if (lines.length > MAX_BLOCK_LINES) cut = lines.slice(0, MAX_BLOCK_LINES).join('\n');
	return { label, text: cut.replace(/\n+$/, ''), omitted: text.length - cut.length };
}

/** Terminal colours and other control characters mean nothing in a document. */
function cleanText(text: string): string {
	return (
		text
			.replace(/\r\n?/g, '\n')
			// eslint-disable-next-line no-control-regex -- ANSI colour sequences are exactly what is removed.
			.replace(/\u001b\[[0-9;?]*[ -/]*[@-~]/g, '')
			// eslint-disable-next-line no-control-regex -- control characters are exactly what is replaced.
			.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\ufffd')
	);
}

function describeProvider(provider: unknown): string {
	const record = asRecord(provider);
	if (!record) return 'no provider';
	if (record.type === 'http') {
		const method = typeof record.method === 'string' ? record.method.toUpperCase() : 'GET';
		return clip(`${method} ${typeof record.url === 'string' ? record.url : '(no url)'}`, MAX_CELL_CHARS);
	}
	if (record.type === 'process') return clip(commandLine(record.path, record.arguments), MAX_CELL_CHARS);
	if (record.type === 'python') return clip(`python ${String(record.module ?? '?')}.${String(record.func ?? '?')}()`, MAX_CELL_CHARS);
	return typeof record.type === 'string' ? `${record.type} provider` : 'provider without a type';
}

/** The command line the process provider ran, written as one would type it in a shell. */
function commandLine(path: unknown, args: unknown): string {
	const program = typeof path === 'string' ? path : '(no path)';
	if (typeof args === 'string') return `${program} ${args}`;
	const list = Array.isArray(args) ? args : asRecord(args) ? Object.entries(args as Record<string, unknown>).flat() : [];
	return [program, ...list.filter((item) => item !== null && item !== undefined && item !== '').map(String)].map(shellQuote).join(' ');
}

function shellQuote(word: string): string {
	return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function describeTolerance(tolerance: unknown): string {
	if (tolerance === undefined) return 'none';
	const record = asRecord(tolerance);
	if (!record) return clip(JSON.stringify(tolerance) ?? String(tolerance), MAX_CELL_CHARS);
	const on = typeof record.target === 'string' ? ` in ${record.target}` : '';
	switch (record.type) {
		case 'regex':
			return clip(`regex ${String(record.pattern)}${on}`, MAX_CELL_CHARS);
		case 'jsonpath': {
			const expect = 'expect' in record ? ` expect ${JSON.stringify(record.expect)}` : '';
			const count = 'count' in record ? ` count ${JSON.stringify(record.count)}` : '';
			return clip(`jsonpath ${String(record.path)}${count}${expect}${on}`, MAX_CELL_CHARS);
		}
		case 'range':
			return clip(`range ${JSON.stringify(record.range)}${on}`, MAX_CELL_CHARS);
		case 'probe':
			return clip(`probe ${typeof record.name === 'string' ? record.name : describeProvider(record.provider)}`, MAX_CELL_CHARS);
		default:
			return clip(JSON.stringify(tolerance), MAX_CELL_CHARS);
	}
}

function judge(view: JournalFacts): Verdict {
	const { before, after, during } = view;
	const lastBefore = before?.probes.at(-1);
	if (before?.met === false && lastBefore?.status === 'failed') {
		return {
			label: 'FAILED',
			tone: 'bad',
			headline: 'failed: a steady-state probe raised an error before the method, so the experiment proved nothing',
			detail: `Probe '${lastBefore.name}' could not run: ${lastBefore.result.replace(/^failed: /, '')}. Make the probe work against the system as it is, then run again.`,
		};
	}
	if (before?.met === false) {
		const stillCompleted =
			view.status === 'completed'
				? ` Note: the journal still says status "completed" and deviated false (chaos run exits 0 here); graders read steady_states.before.steady_state_met.`
				: '';
		return {
			label: 'NOT MET BEFORE',
			tone: 'bad',
			headline: 'the steady state was not met before the method, so the experiment proved nothing',
			detail: `${missedTolerance(lastBefore, 'before the method')} Bring the system to its normal state, or correct the tolerance, then run again.${stillCompleted}`,
		};
	}
	if (view.deviated || after?.met === false) {
		const lastAfter = after?.probes.at(-1);
		return {
			label: 'DEVIATED',
			tone: 'bad',
			headline: 'deviated: the hypothesis failed after the method',
			detail:
				lastAfter?.status === 'failed'
					? `Probe '${lastAfter.name}' raised an error after the method: ${lastAfter.result.replace(/^failed: /, '')}.`
					: `${missedTolerance(lastAfter, 'after the method')} The method's conditions broke the steady state: a weakness may have been found.`,
		};
	}
	if (view.status === 'interrupted') {
		return {
			label: 'INTERRUPTED',
			tone: 'bad',
			headline: 'interrupted: the run was stopped before it finished, so the experiment proved nothing',
			detail: 'Ctrl-C, a signal or a control stopped the run; run it again to the end.',
		};
	}
	if (view.status === 'aborted') {
		return {
			label: 'ABORTED',
			tone: 'bad',
			headline: 'aborted: an unexpected error stopped the method, so the experiment proved nothing',
			detail: 'See the method below for where it stopped.',
		};
	}
	const missedChecks = during.filter((state) => state.met === false);
	if (view.status === 'failed') {
		const firstMiss = missedChecks[0]?.probes.find((probe) => probe.toleranceMet === false);
		return {
			label: 'FAILED',
			tone: 'bad',
			headline: firstMiss
				? 'failed: a continuous check of the steady state failed during the method'
				: 'failed: the run did not complete, so the experiment proved nothing',
			detail: firstMiss ? `${missedTolerance(firstMiss, 'during the method')} With --fail-fast, that ended the run.` : 'See the errors below.',
		};
	}
	if (before === null && after === null && during.length === 0) {
		return {
			label: 'NOT CHECKED',
			tone: 'neutral',
			headline: 'completed without a steady-state hypothesis, so nothing was verified',
			detail: 'Add a steady-state-hypothesis with probes and tolerances to test a claim about the system.',
		};
	}
	const when = [before && 'before', during.length > 0 && 'during', after && 'after']
		.filter(Boolean)
		.join(', ')
		.replace(/, (?=[^,]*$)/, ' and ');
	const misses = missedChecks.length > 0 ? ` However, it was not met in ${missedChecks.length} of ${during.length} checks during the method.` : '';
	return {
		label: 'HELD',
		tone: missedChecks.length > 0 ? 'neutral' : 'good',
		headline: 'the steady state held',
		detail: `The hypothesis was met ${when} the method.${misses}`,
	};
}

function missedTolerance(probe: ActivityView | undefined, when: string): string {
	if (!probe) return `The hypothesis was not met ${when}.`;
	return `Probe '${probe.name}' returned ${probe.result} ${when}, outside its tolerance (${probe.tolerance ?? 'none'}).`;
}

function notesFor(view: JournalFacts): string[] {
	const notes: string[] = [];
	if (view.dry) notes.push(`This was a dry run (--dry ${view.dry}): the skipped activities did not run and have no output.`);
	for (const activity of view.method.filter((entry) => entry.status === 'failed')) {
		notes.push(
			`Method activity '${activity.name}' ${activity.result}. A failed activity does not stop the run: check that the method did what you intended.`,
		);
	}
	for (const activity of view.rollbacks.filter((entry) => entry.status === 'failed')) {
		notes.push(`Rollback '${activity.name}' ${activity.result}. The system may not be back to normal.`);
	}
	if (view.declaredRollbacks > 0 && view.rollbacks.length === 0) {
		notes.push(
			`The experiment declares ${plural(view.declaredRollbacks, 'rollback')}, but none ran: the rollback strategy skipped them (by default, rollbacks do not run after a failed or interrupted run).`,
		);
	}
	return notes;
}

/** Seconds since the run started, for each phase that ran something. */
interface LaneTiming {
	lane: LaneId;
	start: number;
	end: number;
}

function laneTimings(timeline: Timeline): LaneTiming[] {
	return timeline.lanes.flatMap((lane) => {
		const bars = timeline.bars.filter((bar) => bar.lane === lane.id);
		if (bars.length === 0) return [];
		return [{ lane: lane.id, start: Math.min(...bars.map((bar) => bar.start)), end: Math.max(...bars.map((bar) => bar.end)) }];
	});
}

/** A row of the drawn timeline: one activity, all checks during the method together, or an empty lane. */
interface TimelineRow {
	lane: LaneId;
	name: string;
	/** Undefined for an empty lane, whose label says why it is empty. */
	tone?: Tone;
	label: string;
	bars: Array<{ start: number; end: number; tone: Tone; description: string }>;
}

function timelineRows(timeline: Timeline): TimelineRow[] {
	return timeline.lanes.flatMap((lane): TimelineRow[] => {
		const bars = timeline.bars.filter((bar) => bar.lane === lane.id);
		const drawn = bars.map((bar) => ({ start: bar.start, end: bar.end, tone: (bar.passed ? 'good' : 'bad') as Tone, description: bar.description }));
		if (bars.length === 0) return [{ lane: lane.id, name: '', label: lane.empty ?? 'none ran', bars: [] }];
		if (lane.id === 'during') {
			const { duringChecks, duringNotMet } = timeline.summary;
			return [
				{
					lane: lane.id,
					name: plural(duringChecks, 'check'),
					tone: duringNotMet > 0 ? 'bad' : 'good',
					label: duringNotMet > 0 ? `${duringNotMet} not met` : 'all met',
					bars: drawn.slice(0, MAX_CHECK_BARS),
				},
			];
		}
		return bars.map((bar, index) => {
			const outcome = bar.status === 'failed' ? 'failed' : bar.toleranceMet === false ? 'tolerance not met' : 'succeeded';
			const row = drawn[index] as TimelineRow['bars'][number];
			return { lane: lane.id, name: bar.name, tone: row.tone, label: `${outcome}, ${formatSeconds(bar.duration)}`, bars: [row] };
		});
	});
}

/** The timeline's seconds, never an empty span (a dry run can take no time at all). */
function timelineSpan(timeline: Timeline): { from: number; to: number } {
	const [from, to] = timeline.domain;
	return { from, to: Math.max(to, from + 0.001) };
}

function stateLabel(state: SteadyStateView | null): string {
	if (state === null) return 'not checked';
	if (state.met === null) return 'not decided';
	return state.met ? 'met' : 'not met';
}

function checksSummary(during: SteadyStateView[]): string {
	const missed = during.filter((state) => state.met === false).length;
	return `${plural(during.length, 'check')}, ${missed} not met`;
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function asRecord(value: unknown): Record<string, unknown> | undefined {
	return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function isNumber(value: number | undefined): value is number {
	return value !== undefined && Number.isFinite(value);
}

function textOf(value: unknown): string {
	if (value === undefined || value === null) return '';
	return typeof value === 'string' ? value : pretty(value);
}

function pretty(value: unknown): string {
	return JSON.stringify(value, null, 2) ?? String(value);
}

/** A point in the run, in seconds since it started. */
function offsetText(seconds: number): string {
	return `+${seconds.toFixed(2)} s`;
}

function offset(view: JournalView, at: number | undefined): string {
	return at === undefined || view.origin === undefined ? '—' : offsetText((at - view.origin) / MICROS_PER_SECOND);
}

function clip(text: string, max: number): string {
	return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function oneLine(text: string): string {
	return cleanText(text).replace(/\s*\n\s*/g, ' ');
}

function plural(count: number, noun: string): string {
	return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function truncationNote(omitted: number): string {
	return `Truncated: ${omitted.toLocaleString('en')} more characters are in the journal.`;
}

function runOn(view: JournalView): string | undefined {
	const parts = [view.node && `node ${view.node}`, view.platform, view.chaoslibVersion && `chaoslib ${view.chaoslibVersion}`].filter(Boolean);
	return parts.length > 0 ? parts.join(', ') : undefined;
}

function factRows(view: JournalView): Array<[string, string]> {
	const rows: Array<[string, string]> = [
		['Status', view.status],
		['Deviated', view.deviated ? 'yes' : 'no'],
		['Steady state before', stateLabel(view.before)],
		['Steady state after', stateLabel(view.after)],
	];
	if (view.during.length > 0) rows.push(['Continuous checks', checksSummary(view.during)]);
	if (view.tags.length > 0) rows.push(['Tags', view.tags.join(', ')]);
	if (view.dry) rows.push(['Dry run', view.dry]);
	rows.push(['Started', view.start], ['Ended', view.end], ['Duration', formatSeconds(view.duration)]);
	const machine = runOn(view);
	if (machine) rows.push(['Ran on', machine]);
	return rows.map(([key, value]) => [key, clip(value, MAX_HEADING_CHARS)]);
}

const VERDICT_MARKS: Record<Tone, string> = { good: '✔', bad: '✘', neutral: '•' };

function mark(tone: Tone): string {
	return VERDICT_MARKS[tone];
}

// ---------------------------------------------------------------------------------------------
// The document, as an outline both formats draw
// ---------------------------------------------------------------------------------------------

/** A table cell: plain text, or text shown as code, in a tone, or linking within the document. */
type Cell = string | { text: string; code?: boolean; tone?: Tone; link?: string };

type Node =
	| { kind: 'section'; id?: string }
	| { kind: 'end-section' }
	| { kind: 'heading'; depth: number; text: string }
	| { kind: 'paragraph'; text: string }
	| { kind: 'description'; text: string }
	| { kind: 'verdict'; verdict: Verdict }
	| { kind: 'facts'; rows: Array<[string, string]> }
	| { kind: 'list'; items: string[] }
	| { kind: 'table'; header: string[]; rows: Cell[][] }
	| { kind: 'output'; title: string; output: OutputBlock }
	| { kind: 'timeline'; timeline: Timeline };

function documentTitle(views: JournalView[]): string {
	return views.length === 1 ? (views[0] as JournalView).title : `Chaos Toolkit report: ${views.length} journals`;
}

function outline(views: JournalView[]): Node[] {
	if (views.length === 1) return journalOutline(views[0] as JournalView, 1, '');
	return [
		{ kind: 'heading', depth: 1, text: documentTitle(views) },
		{ kind: 'heading', depth: 2, text: 'Summary' },
		{
			kind: 'table',
			header: ['#', 'Experiment', 'Started', 'Status', 'Deviated', 'Before', 'After', 'Verdict', 'Duration'],
			rows: views.map((view, index) => [
				{ text: String(index + 1), link: `journal-${index + 1}` },
				view.title,
				view.start,
				view.status,
				view.deviated ? 'yes' : 'no',
				stateLabel(view.before),
				stateLabel(view.after),
				{ text: `${mark(view.verdict.tone)} ${view.verdict.label}`, tone: view.verdict.tone },
				formatSeconds(view.duration),
			]),
		},
		...views.flatMap((view, index) => journalOutline(view, 2, `${index + 1}. `, `journal-${index + 1}`)),
	];
}

function journalOutline(view: JournalView, level: number, prefix: string, id?: string): Node[] {
	const heading = (depth: number, text: string): Node => ({ kind: 'heading', depth: level + depth, text: clip(text, MAX_HEADING_CHARS) });
	const nodes: Node[] = [{ kind: 'section', id }, heading(0, prefix + view.title)];
	if (view.description.trim() !== '') nodes.push({ kind: 'description', text: view.description });
	nodes.push({ kind: 'verdict', verdict: view.verdict }, { kind: 'facts', rows: factRows(view) });
	if (view.notes.length > 0) nodes.push({ kind: 'list', items: view.notes });

	nodes.push(heading(1, `Steady-state hypothesis${view.hypothesisTitle ? `: ${view.hypothesisTitle}` : ''}`));
	if (view.before === null && view.after === null && view.during.length === 0) {
		nodes.push({
			kind: 'paragraph',
			text: view.hypothesisTitle
				? 'The hypothesis was not checked in this run (no probes, or the hypothesis strategy skipped it).'
				: 'This experiment has no steady-state hypothesis, so nothing was checked.',
		});
	}
	for (const [when, state] of [
		['Before the method', view.before],
		['After the method', view.after],
	] as const) {
		if (state === null) continue;
		nodes.push(heading(2, `${when}: ${stateLabel(state)}`), ...probesOutline(state.probes));
	}
	if (view.during.length > 0) nodes.push(heading(2, `During the method: ${checksSummary(view.during)}`), ...checksOutline(view));

	nodes.push(heading(1, 'Method'));
	nodes.push(...(view.method.length === 0 ? [paragraph('The method ran no activities.')] : activitiesOutline(view, view.method)));
	nodes.push(heading(1, 'Rollbacks'));
	nodes.push(...(view.rollbacks.length === 0 ? [paragraph('No rollbacks ran.')] : activitiesOutline(view, view.rollbacks)));

	const timings = laneTimings(view.timeline);
	if (timings.length > 0) {
		nodes.push(heading(1, 'Timings'), {
			kind: 'table',
			header: ['Phase', 'Started', 'Ended', 'Took'],
			rows: [
				...timings.map((timing) => [
					LANE_LABELS[timing.lane],
					offsetText(timing.start),
					offsetText(timing.end),
					formatSeconds(timing.end - timing.start),
				]),
				['Whole run', offset(view, view.origin), offset(view, parseJournalTime(view.end)), formatSeconds(view.duration)],
			],
		});
	}
	nodes.push(heading(1, 'Timeline'), { kind: 'timeline', timeline: view.timeline }, { kind: 'end-section' });
	return nodes;
}

function paragraph(text: string): Node {
	return { kind: 'paragraph', text };
}

function probesOutline(probes: ActivityView[]): Node[] {
	if (probes.length === 0) return [paragraph('No probe ran.')];
	return [
		{
			kind: 'table',
			header: ['#', 'Probe', 'Provider', 'Tolerance', 'Result', 'Tolerance met', 'Took'],
			rows: probes.map((probe, index) => [
				String(index + 1),
				probe.name,
				{ text: probe.provider, code: true },
				{ text: probe.tolerance ?? 'none', code: true },
				probe.result,
				probe.toleranceMet === undefined ? '—' : { text: probe.toleranceMet ? '✔ yes' : '✘ no', tone: probe.toleranceMet ? 'good' : 'bad' },
				formatSeconds(probe.duration),
			]),
		},
		...outputsOutline(probes),
	];
}

function activitiesOutline(view: JournalView, activities: ActivityView[]): Node[] {
	return [
		{
			kind: 'table',
			header: ['#', 'Type', 'Name', 'Provider', 'Status', 'Started', 'Took', 'Result'],
			rows: activities.map((activity, index) => [
				String(index + 1),
				activity.type,
				activity.name,
				{ text: activity.provider, code: true },
				activity.status === 'failed' ? { text: '✘ failed', tone: 'bad' } : { text: `✔ ${activity.status}`, tone: 'good' },
				offset(view, activity.startUs),
				formatSeconds(activity.duration),
				activity.result,
			]),
		},
		...outputsOutline(activities),
	];
}

function outputsOutline(activities: ActivityView[]): Node[] {
	return activities.flatMap((activity, index) =>
		activity.blocks.map((output): Node => ({ kind: 'output', title: `${index + 1}. ${activity.name}`, output })),
	);
}

function checksOutline(view: JournalView): Node[] {
	const notMet = view.during.flatMap((state, index) => (state.met === false ? [{ state, index }] : []));
	if (notMet.length === 0) return [paragraph(`All ${plural(view.during.length, 'check')} met the steady state.`)];
	const nodes: Node[] = [
		{
			kind: 'table',
			header: ['Check', 'At', 'Probe not within tolerance', 'Result'],
			rows: notMet.slice(0, MAX_LISTED_CHECKS).map(({ state, index }) => {
				const probe = state.probes.find((entry) => entry.toleranceMet === false) ?? state.probes.at(-1);
				return [String(index + 1), offset(view, state.probes[0]?.startUs), probe?.name ?? '—', probe?.result ?? '—'];
			}),
		},
	];
	if (notMet.length > MAX_LISTED_CHECKS)
		nodes.push(paragraph(`…and ${notMet.length - MAX_LISTED_CHECKS} more checks that were not met, in the journal.`));
	return nodes;
}

// ---------------------------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------------------------

const TIMELINE_WIDTH = 40;

function renderMarkdown(views: JournalView[]): string {
	const blocks = outline(views).flatMap((node) => {
		const text = markdownNode(node);
		return text === undefined ? [] : [text];
	});
	return `${blocks.join('\n\n')}\n`;
}

function markdownNode(node: Node): string | undefined {
	switch (node.kind) {
		case 'section':
		case 'end-section':
			return undefined;
		case 'heading':
			return `${'#'.repeat(node.depth)} ${mdText(node.text)}`;
		case 'paragraph':
			return mdText(node.text);
		case 'description':
			return mdParagraphs(node.text);
		case 'verdict': {
			const { verdict } = node;
			return `**Verdict, ${verdict.label}: ${mark(verdict.tone)} ${mdText(verdict.headline)}.** ${mdText(verdict.detail)}`;
		}
		case 'facts':
			return markdownTable(
				['', ''],
				node.rows.map(([key, value]) => [`**${key}**`, mdText(value)]),
			);
		case 'list':
			return node.items.map((item) => `- ${mdText(item)}`).join('\n');
		case 'table':
			return markdownTable(
				node.header,
				node.rows.map((row) => row.map(markdownCell)),
			);
		case 'output': {
			const note = node.output.omitted > 0 ? `\n\n_${truncationNote(node.output.omitted)}_` : '';
			return `**${mdText(node.title)}**, ${node.output.label}:\n\n${fenced(node.output.text)}${note}`;
		}
		case 'timeline':
			return markdownTimeline(node.timeline);
	}
}

function markdownCell(cell: Cell): string {
	if (typeof cell === 'string') return mdText(cell);
	return cell.code ? mdCode(cell.text, true) : mdText(cell.text);
}

function markdownTimeline(timeline: Timeline): string {
	const rows = timelineRows(timeline);
	const span = timelineSpan(timeline);
	const column = (at: number) => Math.min(TIMELINE_WIDTH, Math.max(0, Math.round(((at - span.from) / (span.to - span.from)) * TIMELINE_WIDTH)));
	const laneWidth = Math.max(...rows.map((row) => LANE_LABELS[row.lane].length));
	const names = rows.map((row) => clip(oneLine(row.name), 24));
	const nameWidth = Math.max(...names.map((name) => name.length));
	const lines = rows.map((row, index) => {
		const track = Array.from({ length: TIMELINE_WIDTH }, () => '·');
		for (const bar of row.bars) {
			const from = Math.min(column(bar.start), TIMELINE_WIDTH - 1);
			track.fill(bar.tone === 'bad' ? '▒' : '█', from, Math.max(from + 1, column(bar.end)));
		}
		const label = row.tone ? `${mark(row.tone)} ${row.label}` : row.label;
		return `${LANE_LABELS[row.lane].padEnd(laneWidth)}  ${(names[index] as string).padEnd(nameWidth)}  |${track.join('')}|  ${label}`;
	});
	const [first, last] = [offsetText(span.from), offsetText(span.to)];
	// Both labels sit inside the bars' column: the first under its first character, the last ending under its last.
	const axis = `${' '.repeat(laneWidth + nameWidth + 5)}${first}${' '.repeat(Math.max(1, TIMELINE_WIDTH - first.length - last.length))}${last}`;
	return [
		fenced([axis, ...lines].join('\n')),
		'█ succeeded or met, ▒ failed or not met.',
		mdText(timeline.caption),
		...timeline.warnings.map(mdText),
	].join('\n\n');
}

function markdownTable(header: string[], rows: string[][]): string {
	const line = (cells: string[]) => `| ${cells.map((cell) => (cell === '' ? ' ' : cell)).join(' | ')} |`;
	return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Learner text as Markdown that shows exactly that text: no formatting, no HTML, no table breaks. */
function mdText(text: string): string {
	return escapeMarkdownInline(oneLine(text));
}

function escapeMarkdownInline(text: string): string {
	return text.replace(/[\\`*_[\]<>|&~]/g, '\\$&');
}

/** Free text over several lines: lines kept, anything that would start a list, quote or heading escaped. */
function mdParagraphs(text: string): string {
	return cleanText(text)
		.trim()
		.split('\n')
		.map((line) => escapeMarkdownInline(line.trim()).replace(/^([#>+=-]|\d+[.)])/, '\\$1'))
		.join('\n');
}

/** A code span; inside a table, pipes still need their backslash (GitHub's table rule). */
function mdCode(text: string, inTable: boolean): string {
	const content = oneLine(text);
	if (content === '') return '—';
	const longestRun = Math.max(0, ...(content.match(/`+/g) ?? []).map((run) => run.length));
	const fence = '`'.repeat(longestRun + 1);
	const padded = content.startsWith('`') || content.endsWith('`') ? ` ${content} ` : content;
	return `${fence}${inTable ? padded.replace(/\|/g, '\\|') : padded}${fence}`;
}

function fenced(text: string): string {
	const longestRun = Math.max(0, ...(text.match(/`{3,}/g) ?? []).map((run) => run.length));
	const fence = '`'.repeat(Math.max(3, longestRun + 1));
	return `${fence}text\n${text}\n${fence}`;
}

// ---------------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------------

const STYLE = `
:root { color-scheme: light dark; --fg: #1d2125; --muted: #5b636b; --bg: #ffffff; --panel: #f4f6f8; --line: #d5dadf;
  --good: #1a7f37; --good-bg: #dafbe1; --bad: #c62828; --bad-bg: #ffe3e3; --neutral: #7a5d00; --neutral-bg: #fff4cc; --track: #e8ecef; --link: #0b5cad; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e9ec; --muted: #a1aab3; --bg: #15181b; --panel: #1f2428; --line: #3a4249;
    --good: #4ac26b; --good-bg: #12361f; --bad: #ff6b6b; --bad-bg: #4a1a1a; --neutral: #e3b341; --neutral-bg: #3d3212; --track: #2a3036; --link: #6cb6ff; }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 72rem; margin: 0 auto; padding: 1.5rem; }
h1, h2, h3, h4 { line-height: 1.25; margin: 1.6em 0 0.5em; overflow-wrap: anywhere; }
h1 { font-size: 1.8rem; margin-top: 0.5rem; }
.subtitle { color: var(--muted); margin-top: -0.3rem; }
.description { white-space: pre-line; }
a { color: var(--link); }
section.journal { border-top: 2px solid var(--line); margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0 1rem; font-size: 0.92rem; }
th, td { border: 1px solid var(--line); padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: var(--panel); }
table.facts th { width: 12rem; }
code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.88rem; }
pre { background: var(--panel); border: 1px solid var(--line); padding: 0.6rem; white-space: pre-wrap; overflow-wrap: anywhere; margin: 0.3rem 0 0.8rem; }
.output-label { margin: 0.6rem 0 0; font-weight: 600; }
.truncated { color: var(--muted); font-style: italic; margin-top: -0.5rem; }
.caption { color: var(--muted); font-size: 0.9rem; }
.verdict { padding: 0.7rem 1rem; border-radius: 6px; border: 1px solid var(--line); }
.verdict-headline { font-weight: 700; font-size: 1.1rem; }
.tone-good { color: var(--good); }
.tone-bad { color: var(--bad); }
.tone-neutral { color: var(--neutral); }
.verdict.tone-good { background: var(--good-bg); }
.verdict.tone-bad { background: var(--bad-bg); }
.verdict.tone-neutral { background: var(--neutral-bg); }
.verdict p { margin: 0.2rem 0; color: var(--fg); }
.badge { display: inline-block; border: 1px solid currentColor; border-radius: 4px; padding: 0 0.4rem; margin-right: 0.4rem; font-size: 0.8rem; font-weight: 700; }
ul.notes li { margin: 0.2rem 0; }
.timeline { margin: 0.5rem 0 1rem; font-size: 0.85rem; }
.tl-row { display: grid; grid-template-columns: 9rem 13rem 1fr 12rem; gap: 0.5rem; align-items: center; padding: 0.15rem 0; border-bottom: 1px dotted var(--line); }
.tl-axis { color: var(--muted); }
.tl-axis .tl-track { background: none; display: flex; justify-content: space-between; }
.tl-lane { color: var(--muted); }
.tl-name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.tl-track { position: relative; height: 1rem; background: var(--track); border-radius: 3px; }
.tl-bar { position: absolute; top: 0; bottom: 0; min-width: 3px; border-radius: 2px; }
.tl-bar.tone-good { background: var(--good); }
.tl-bar.tone-bad { background: var(--bad); }
@media print {
  :root { --fg: #000; --muted: #444; --bg: #fff; --panel: #f2f2f2; --line: #bbb; --track: #eee; }
  main { max-width: none; padding: 0; }
  section.journal { break-before: page; }
  section.journal:first-of-type { break-before: auto; }
  table, pre, .tl-row { break-inside: avoid; }
  .tl-bar, .verdict { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
}
`;

function renderHtml(views: JournalView[]): string {
	return [
		'<!DOCTYPE html>',
		'<html lang="en">',
		'<head>',
		'<meta charset="utf-8">',
		// Nothing in a report needs to load or run anything: this holds even if escaping ever slipped.
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
		'<meta name="viewport" content="width=device-width, initial-scale=1">',
		'<meta name="color-scheme" content="light dark">',
		`<title>${esc(clip(`Chaos report: ${documentTitle(views)}`, MAX_HEADING_CHARS))}</title>`,
		`<style>${STYLE}</style>`,
		'</head>',
		'<body>',
		'<main>',
		...outline(views).map(htmlNode),
		'<p class="caption">Generated by chaos report from the run journal.</p>',
		'</main>',
		'</body>',
		'</html>',
		'',
	].join('\n');
}

function htmlNode(node: Node): string {
	switch (node.kind) {
		case 'section':
			return node.id ? `<section class="journal" id="${esc(node.id)}">` : '<section class="journal">';
		case 'end-section':
			return '</section>';
		case 'heading':
			return `<h${node.depth}>${esc(node.text)}</h${node.depth}>`;
		case 'paragraph':
			return `<p>${esc(node.text)}</p>`;
		case 'description':
			return `<p class="description">${esc(cleanText(node.text).trim())}</p>`;
		case 'verdict': {
			const { tone, label, headline, detail } = node.verdict;
			return [
				`<div class="verdict tone-${tone}">`,
				`<p class="verdict-headline tone-${tone}"><span class="badge">${mark(tone)} ${esc(label)}</span>${esc(capitalize(headline))}.</p>`,
				`<p>${esc(detail)}</p>`,
				'</div>',
			].join('\n');
		}
		case 'facts':
			return `<table class="facts"><tbody>${node.rows.map(([key, value]) => `<tr><th scope="row">${esc(key)}</th><td>${esc(value)}</td></tr>`).join('')}</tbody></table>`;
		case 'list':
			return `<ul class="notes">${node.items.map((item) => `<li>${esc(item)}</li>`).join('')}</ul>`;
		case 'table':
			return htmlTable(node.header, node.rows);
		case 'output': {
			const note = node.output.omitted > 0 ? `\n<p class="truncated">${esc(truncationNote(node.output.omitted))}</p>` : '';
			return `<p class="output-label">${esc(node.title)}, ${esc(node.output.label)}:</p>\n<pre>${esc(node.output.text)}</pre>${note}`;
		}
		case 'timeline':
			return htmlTimeline(node.timeline);
	}
}

function htmlTable(header: string[], rows: Cell[][]): string {
	const head = header.map((cell) => `<th scope="col">${esc(cell)}</th>`).join('');
	const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${htmlCell(cell)}</td>`).join('')}</tr>`).join('');
	return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function htmlCell(cell: Cell): string {
	if (typeof cell === 'string') return esc(cell);
	let html = cell.code ? `<code>${esc(cell.text)}</code>` : esc(cell.text);
	if (cell.tone) html = `<span class="tone-${cell.tone}">${html}</span>`;
	if (cell.link) html = `<a href="#${esc(cell.link)}">${html}</a>`;
	return html;
}

function htmlTimeline(timeline: Timeline): string {
	const span = timelineSpan(timeline);
	const percent = (at: number) => Math.min(100, Math.max(0, ((at - span.from) / (span.to - span.from)) * 100));
	const lines = timelineRows(timeline).map((row) => {
		const bars = row.bars.map((bar) => {
			const left = percent(bar.start);
			const width = Math.max(0, percent(bar.end) - left);
			return `<span class="tl-bar tone-${bar.tone}" style="left:${left.toFixed(2)}%;width:${width.toFixed(2)}%" title="${esc(bar.description)}"></span>`;
		});
		const label = row.tone
			? `<span class="tl-label tone-${row.tone}">${mark(row.tone)} ${esc(row.label)}</span>`
			: `<span class="tl-label">${esc(row.label)}</span>`;
		return [
			'<div class="tl-row">',
			`<span class="tl-lane">${esc(LANE_LABELS[row.lane])}</span>`,
			`<span class="tl-name">${esc(row.name)}</span>`,
			`<span class="tl-track">${bars.join('')}</span>`,
			label,
			'</div>',
		].join('');
	});
	const axis = `<div class="tl-row tl-axis"><span></span><span></span><span class="tl-track"><span>${offsetText(span.from)}</span><span>${offsetText(span.to)}</span></span><span></span></div>`;
	return [
		'<div class="timeline">',
		axis,
		...lines,
		'</div>',
		`<p class="caption">${esc(timeline.caption)}</p>`,
		...timeline.warnings.map((warning) => `<p class="truncated">${esc(warning)}</p>`),
	].join('\n');
}

function esc(text: string): string {
	return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function capitalize(text: string): string {
	return text.charAt(0).toUpperCase() + text.slice(1);
}
