import type { Timeline, TimelineBar } from '../../chaos/timeline.ts';
import type { JournalDocument, JournalEntry } from '../../platform/journals.ts';
import { FAULTS_CHANGED_EVENT, type FaultsChangedDetail } from './fault-log.ts';
import { faultMarks, faultsCaption, type FaultLogEntry, type FaultMark } from './fault-marks.ts';
import { healthCaption, healthSpans, type HealthSpan } from './health-spans.ts';
import { labApi, roleChild } from './lab-api.ts';
import type { HealthSample } from '../../store/store.ts';

type PlotModule = typeof import('@observablehq/plot');

/** How often the list of runs is fetched while the lab runs and the tab is visible. */
const POLL_MS = 5000;
/**
 * The first look waits a moment: the lab has just started, and the terminal is opening its shell
 * in the same workstation. Nobody has run an experiment in the first second anyway.
 */
const FIRST_POLL_MS = 1500;
const ROW_HEIGHT = 30;
const MARGIN = { top: 8, right: 24, bottom: 40, left: 136 };
/** Bars narrower than this many pixels would vanish; instant activities still get a sliver. */
const MIN_BAR_PX = 3;
/** A rough width of one character of the chart's 12 px labels, to decide what fits inside a bar. */
const CHAR_PX = 7;
/** Redrawing on every pixel of a resize is wasted work; this much change is worth a redraw. */
const REDRAW_WIDTH_PX = 24;
const COLOURS = { pass: '#1a7f37', fail: '#b42318', fault: '#b54708', recovery: '#2f6fb3' };
const FAULTS_ROW = 'faults#0';
const HEALTH_ROW = 'health#0';
/** Recoveries are dashed, faults solid: the two differ by shape (and ▲/▼), not only by colour. */
const RECOVERY_DASH = '5,3';

let charts = 0;

/** A journal on screen, with the faults the platform logged around its run. */
interface ShownRun {
	path: string;
	stamp: string;
	document?: JournalDocument;
	marks: FaultMark[];
	/** Why the faults are not on the chart, when the log could not be read. */
	faultsProblem?: string;
	/** What the platform's own probe saw of the lab's health around the run (none for a lab without one). */
	health: HealthSpan[];
	healthTarget?: string;
}

/** The lab API's health series: the target it watches, and its samples. */
interface HealthSeries {
	target: { url: string; intervalMs: number } | null;
	samples: HealthSample[];
}

/**
 * `<journal-timeline data-lab="id">`: the learner's Chaos Toolkit runs in a running lab. It lists the
 * journals in their workstation (newest first), draws the chosen one as a timeline with Observable
 * Plot, with the platform's fault log as a lane of its own, and says the run in words. The lab panel
 * switches it on and off with `active`; while on, it polls the list only when the tab is visible,
 * and redraws only when the chosen journal, or the faults in its time, changed. The fault log panel
 * follows its running state and tells it when the log changed, so the log is polled once, not twice.
 * Journal content is the learner's own file: it only ever reaches the page as text nodes.
 */
export class JournalTimeline extends HTMLElement {
	private labId = '';
	private isActive = false;
	private timer: number | undefined;
	private firstPoll: number | undefined;
	private loading: Promise<void> | undefined;
	private entries: JournalEntry[] = [];
	private listSignature = '';
	private selected: string | undefined;
	/** Until the learner picks an older run, a new run replaces the one shown. */
	private followNewest = true;
	/** The journal on screen and the file stamp it was drawn from. */
	private shown: ShownRun | undefined;
	private showing = 0;
	private listFailed = false;
	private drawnWidth = 0;
	private readonly patternId = `journal-failed-${(charts += 1)}`;
	private plot: Promise<PlotModule> | undefined;
	private resizeObserver: ResizeObserver | undefined;
	private readonly onVisibility = () => {
		if (this.isActive && document.visibilityState === 'visible') void this.refresh();
	};
	private readonly onFaultsChanged = (event: Event) => {
		const { labId, faults } = (event as CustomEvent<FaultsChangedDetail>).detail;
		const shown = this.shown;
		if (labId !== this.labId || !shown?.document) return;
		const marks = faultMarks(faults, shown.document.journal);
		if (shown.faultsProblem === undefined && JSON.stringify(marks) === JSON.stringify(shown.marks)) return;
		this.shown = { ...shown, marks, faultsProblem: undefined };
		void this.draw();
	};
	private host: EventTarget | undefined;

	connectedCallback(): void {
		this.labId = this.dataset.lab ?? '';
		this.picker.addEventListener('change', () => {
			this.selected = this.picker.value;
			this.followNewest = this.picker.selectedIndex === 0;
			void this.showSelected();
		});
		this.child('button', 'runs-refresh').addEventListener('click', () => void this.refresh());
		document.addEventListener('visibilitychange', this.onVisibility);
		this.host = this.closest('lab-panel') ?? document;
		this.host.addEventListener(FAULTS_CHANGED_EVENT, this.onFaultsChanged);
		this.resizeObserver = new ResizeObserver(() => {
			if (this.shown?.document && Math.abs(this.chartWidth() - this.drawnWidth) >= REDRAW_WIDTH_PX) void this.draw();
		});
		this.resizeObserver.observe(this.child('div', 'runs-chart'));
	}

	disconnectedCallback(): void {
		this.active = false;
		document.removeEventListener('visibilitychange', this.onVisibility);
		this.host?.removeEventListener(FAULTS_CHANGED_EVENT, this.onFaultsChanged);
		this.resizeObserver?.disconnect();
	}

	get active(): boolean {
		return this.isActive;
	}

	/** On while the lab runs: shows the section and polls; off forgets the runs of the sandbox that ended. */
	set active(value: boolean) {
		if (value === this.isActive) return;
		this.isActive = value;
		this.hidden = !value;
		window.clearInterval(this.timer);
		window.clearTimeout(this.firstPoll);
		this.timer = undefined;
		if (value) {
			this.timer = window.setInterval(() => {
				if (document.visibilityState === 'visible') void this.refresh();
			}, POLL_MS);
			this.firstPoll = window.setTimeout(() => void this.refresh(), FIRST_POLL_MS);
		} else {
			this.entries = [];
			this.listSignature = '';
			this.selected = undefined;
			this.followNewest = true;
			this.shown = undefined;
			this.listFailed = false;
			this.showing += 1;
			this.picker.replaceChildren();
			this.renderEmpty(false);
			this.clearChart();
			this.say('');
		}
	}

	/** Fetches the list of runs now; a fetch already under way is shared rather than repeated. */
	refresh(): Promise<void> {
		this.loading ??= this.loadList().finally(() => {
			this.loading = undefined;
		});
		return this.loading;
	}

	private async loadList(): Promise<void> {
		const answer = await labApi<{ journals: JournalEntry[] }>(this.labId, 'journals');
		if (!this.isActive) return;
		if ('problem' in answer) {
			this.listFailed = true;
			return this.say(answer.problem);
		}
		if (this.listFailed) {
			// The problem said in place of the run is gone: show the run again.
			this.listFailed = false;
			this.shown = undefined;
		}
		const signature = JSON.stringify(answer.body.journals);
		if (signature !== this.listSignature) {
			this.listSignature = signature;
			this.entries = answer.body.journals;
			this.renderPicker();
		}
		await this.showSelected();
	}

	private renderPicker(): void {
		const paths = this.entries.map((entry) => entry.path);
		if (this.followNewest || !this.selected || !paths.includes(this.selected)) {
			this.selected = paths[0];
			this.followNewest = true;
		}
		this.picker.replaceChildren(
			...this.entries.map((entry) => {
				const option = document.createElement('option');
				option.value = entry.path;
				option.textContent = describeEntry(entry);
				option.selected = entry.path === this.selected;
				return option;
			}),
		);
		this.picker.disabled = this.entries.length === 0;
		this.renderEmpty(this.entries.length === 0);
	}

	private async showSelected(): Promise<void> {
		const entry = this.entries.find((candidate) => candidate.path === this.selected);
		if (!entry) {
			this.shown = undefined;
			this.clearChart();
			this.say('');
			return;
		}
		const stamp = `${entry.modified} ${entry.size}`;
		if (this.shown?.path === entry.path && this.shown.stamp === stamp) return;
		const ticket = (this.showing += 1);
		if ('error' in entry) {
			this.shown = { path: entry.path, stamp, marks: [], health: [] };
			this.clearChart();
			return this.say(`~/${entry.path} ${entry.error}`);
		}
		const encoded = entry.path.split('/').map(encodeURIComponent).join('/');
		const [answer, faults, health] = await Promise.all([
			labApi<JournalDocument>(this.labId, `journals/${encoded}`),
			labApi<{ faults: FaultLogEntry[] }>(this.labId, 'faults'),
			labApi<HealthSeries>(this.labId, 'health'),
		]);
		// The learner picked another run, or the lab stopped, while this one was on its way.
		if (ticket !== this.showing) return;
		if ('problem' in answer) {
			this.shown = undefined;
			this.clearChart();
			return this.say(answer.problem);
		}
		// The health series is a second witness; without it (a lab with no probe, or no answer) the chart still stands.
		const series = 'problem' in health ? undefined : health.body;
		const healthOf = series?.target ? { health: healthSpans(series.samples, answer.body.journal, series.target.intervalMs / 1000), healthTarget: series.target.url } : { health: [] };
		this.shown =
			'problem' in faults
				? { path: entry.path, stamp, document: answer.body, marks: [], faultsProblem: faults.problem, ...healthOf }
				: { path: entry.path, stamp, document: answer.body, marks: faultMarks(faults.body.faults, answer.body.journal), ...healthOf };
		this.say('');
		await this.draw();
	}

	private async draw(): Promise<void> {
		const shown = this.shown;
		if (!shown?.document) return;
		const { timeline } = shown.document;
		this.plot ??= import('@observablehq/plot');
		const Plot = await this.plot;
		// Another run, or newer faults, replaced this one while Plot loaded.
		if (this.shown !== shown) return;
		const width = this.chartWidth();
		this.drawnWidth = width;
		const caption = [timeline.caption, faultsCaption(shown.marks), healthCaption(shown.health, shown.healthTarget ?? 'the lab')].filter(Boolean).join(' ');
		const warnings = [...timeline.warnings];
		if (shown.faultsProblem) warnings.push(`Faults are not on the chart: the fault log could not be read. ${shown.faultsProblem}`);
		this.child('div', 'runs-chart').replaceChildren(drawChart(Plot, timeline, shown.marks, shown.health, caption, width, this.patternId));
		this.child('p', 'runs-caption').textContent = caption;
		this.child('p', 'runs-warnings').textContent = warnings.join(' ');
		this.child('ol', 'runs-list').replaceChildren(
			...[...timeline.bars, ...shown.marks, ...shown.health].map((item) => {
				const line = document.createElement('li');
				line.textContent = item.description;
				return line;
			}),
		);
		for (const key of this.querySelectorAll<HTMLElement>('[data-role="runs-fault-key"]')) key.hidden = shown.marks.length === 0;
		for (const key of this.querySelectorAll<HTMLElement>('[data-role="runs-health-key"]')) key.hidden = shown.health.length === 0;
		this.child('figure', 'runs-figure').hidden = false;
	}

	private clearChart(): void {
		this.child('figure', 'runs-figure').hidden = true;
		this.child('div', 'runs-chart').replaceChildren();
		this.child('ol', 'runs-list').replaceChildren();
		this.drawnWidth = 0;
	}

	private renderEmpty(empty: boolean): void {
		this.child('p', 'runs-empty').hidden = !empty;
	}

	/** Says something in the live region, only when it changed, so screen readers are not told twice. */
	private say(text: string): void {
		const message = this.child('p', 'runs-message');
		if (message.textContent !== text) message.textContent = text;
		message.hidden = text === '';
	}

	private chartWidth(): number {
		return Math.max(320, this.child('div', 'runs-chart').clientWidth || 640);
	}

	private get picker(): HTMLSelectElement {
		return this.child('select', 'runs-picker');
	}

	private child<K extends keyof HTMLElementTagNameMap>(tag: K, role: string): HTMLElementTagNameMap[K] {
		return roleChild(this, tag, role);
	}
}

/** The picker's words for a run: when, what, and how it ended. */
function describeEntry(entry: JournalEntry): string {
	const modified = new Date(entry.modified);
	const today = modified.toDateString() === new Date().toDateString();
	const when = today ? modified.toLocaleTimeString() : modified.toLocaleString();
	if ('error' in entry) return `${when} · ${entry.path} · cannot be shown`;
	const outcome = entry.status !== 'completed' ? entry.status : entry.deviated ? 'completed, deviated' : 'completed';
	return `${when} · ${entry.title} · ${outcome} (${entry.path})`;
}

interface PlacedBar extends TimelineBar {
	rowKey: string;
	/** Where the bar ends on screen: never narrower than a sliver. */
	drawnEnd: number;
	label: string;
	labelInside: boolean;
}

interface PlacedMark extends FaultMark {
	/** ▼ for a fault, ▲ for a recovery, with the label when it fits before the next mark. */
	text: string;
}

/**
 * The timeline as an SVG chart: a band per lane (and row), a bar per activity, ✓ or ✗ on every bar.
 * Faults around the run get a lane on top and a rule across every lane, so what an activity met is
 * visible at a glance; with none, there is no such lane.
 */
function drawChart(Plot: PlotModule, timeline: Timeline, marks: FaultMark[], health: HealthSpan[], caption: string, width: number, patternId: string): SVGSVGElement | HTMLElement {
	const activityRows = timeline.lanes.flatMap((lane) => Array.from({ length: lane.rows }, (_, row) => [rowKey(lane.id, row), row === 0 ? lane.label : ''] as const));
	const rows = [...(health.length > 0 ? [[HEALTH_ROW, 'Health (platform)'] as const] : []), ...(marks.length > 0 ? [[FAULTS_ROW, 'Faults'] as const] : []), ...activityRows];
	const rowKeys = rows.map(([key]) => key);
	const laneOfRow = new Map(rows);
	const times = [...marks.map((mark) => mark.at), ...health.flatMap((span) => [span.start, span.end])];
	const domainStart = Math.min(timeline.domain[0], ...times);
	const domainEnd = Math.max(timeline.domain[1], ...times);
	const [from, to] = domainEnd > domainStart ? [domainStart, domainEnd] : [domainStart, domainStart + 1];
	const plotWidth = width - MARGIN.left - MARGIN.right;
	const secondsPerPixel = (to - from) / plotWidth;
	const bars: PlacedBar[] = timeline.bars.map((bar) => {
		const drawnEnd = Math.max(bar.end, bar.start + MIN_BAR_PX * secondsPerPixel);
		const pixels = (drawnEnd - bar.start) / secondsPerPixel;
		const mark = bar.passed ? '✓' : '✗';
		const named = `${mark} ${bar.name}`;
		const fitsName = pixels >= named.length * CHAR_PX + 8;
		const fitsMark = pixels >= 2 * CHAR_PX + 4;
		return { ...bar, rowKey: rowKey(bar.lane, bar.row), drawnEnd, label: fitsName ? named : mark, labelInside: fitsName || fitsMark };
	});
	const passed = bars.filter((bar) => bar.passed);
	const failed = bars.filter((bar) => !bar.passed);
	const inside = bars.filter((bar) => bar.labelInside);
	const outside = bars.filter((bar) => !bar.labelInside);
	const emptyLanes = timeline.lanes.filter((lane) => lane.empty).map((lane) => ({ rowKey: rowKey(lane.id, 0), text: lane.empty ?? '' }));
	const placedMarks: PlacedMark[] = marks.map((mark, index) => {
		const symbol = mark.effect === 'fault' ? '▼' : '▲';
		const next = marks[index + 1];
		const room = ((next ? next.at : to) - mark.at) / secondsPerPixel + (next ? 0 : MARGIN.right);
		return { ...mark, text: room >= (mark.label.length + 3) * CHAR_PX ? `${symbol} ${mark.label}` : symbol };
	});
	const faults = placedMarks.filter((mark) => mark.effect === 'fault');
	const recoveries = placedMarks.filter((mark) => mark.effect === 'recovery');
	const faultColour = (mark: FaultMark) => (mark.effect === 'fault' ? COLOURS.fault : COLOURS.recovery);

	return Plot.plot({
		width,
		height: MARGIN.top + MARGIN.bottom + rowKeys.length * ROW_HEIGHT,
		marginTop: MARGIN.top,
		marginRight: MARGIN.right,
		marginBottom: MARGIN.bottom,
		marginLeft: MARGIN.left,
		ariaLabel: `Timeline of the run “${timeline.summary.title}”`,
		ariaDescription: caption,
		style: { background: 'transparent', color: 'inherit', fontSize: '12px', overflow: 'visible' },
		x: { domain: [from, to], label: 'Seconds since the run started', labelAnchor: 'center', labelArrow: 'none', grid: true, nice: false },
		y: { domain: rowKeys, label: null, tickFormat: (key: string) => laneOfRow.get(key) ?? '', tickSize: 0, padding: 0.2 },
		marks: [
			() => hatchPattern(patternId),
			Plot.ruleX([0], { strokeOpacity: 0.4 }),
			Plot.barX(passed, { x1: 'start', x2: 'drawnEnd', y: 'rowKey', fill: COLOURS.pass, title: 'description', ariaLabel: 'description' }),
			Plot.barX(failed, { x1: 'start', x2: 'drawnEnd', y: 'rowKey', fill: `url(#${patternId})`, stroke: COLOURS.fail, strokeWidth: 1.5, title: 'description', ariaLabel: 'description' }),
			Plot.text(inside, {
				x: 'start',
				y: 'rowKey',
				text: 'label',
				dx: 4,
				textAnchor: 'start',
				fill: 'white',
				stroke: (bar: PlacedBar) => (bar.passed ? COLOURS.pass : COLOURS.fail),
				strokeWidth: 3,
				paintOrder: 'stroke',
				fontWeight: 600,
				title: 'description',
				ariaHidden: 'true',
			}),
			Plot.text(outside, { x: 'drawnEnd', y: 'rowKey', text: 'label', dx: 3, textAnchor: 'start', fill: 'currentColor', fontWeight: 600, title: 'description', ariaHidden: 'true' }),
			Plot.text(emptyLanes, { x: () => from, y: 'rowKey', text: 'text', dx: 6, textAnchor: 'start', fill: 'currentColor', fillOpacity: 0.7, fontStyle: 'italic' }),
			Plot.barX(
				health.filter((span) => span.ok),
				{ x1: 'start', x2: 'end', y: () => HEALTH_ROW, fill: COLOURS.pass, fillOpacity: 0.55, title: 'description', ariaLabel: 'description' },
			),
			Plot.barX(
				health.filter((span) => !span.ok),
				{ x1: 'start', x2: 'end', y: () => HEALTH_ROW, fill: `url(#${patternId})`, stroke: COLOURS.fail, strokeWidth: 1.5, title: 'description', ariaLabel: 'description' },
			),
			Plot.ruleX(faults, { x: 'at', stroke: COLOURS.fault, strokeWidth: 1.5, title: 'description', ariaLabel: 'description' }),
			Plot.ruleX(recoveries, { x: 'at', stroke: COLOURS.recovery, strokeWidth: 1.5, strokeDasharray: RECOVERY_DASH, title: 'description', ariaLabel: 'description' }),
			Plot.text(placedMarks, {
				x: 'at',
				y: () => FAULTS_ROW,
				text: 'text',
				dx: -4,
				textAnchor: 'start',
				fill: faultColour,
				fontWeight: 600,
				title: 'description',
				ariaHidden: 'true',
			}),
		],
	});
}

function rowKey(lane: string, row: number): string {
	return `${lane}#${row}`;
}

/** Failed bars are striped as well as red, so they differ from passed ones without colour. */
function hatchPattern(id: string): SVGElement {
	const ns = 'http://www.w3.org/2000/svg';
	const defs = document.createElementNS(ns, 'defs');
	const pattern = document.createElementNS(ns, 'pattern');
	pattern.setAttribute('id', id);
	pattern.setAttribute('width', '6');
	pattern.setAttribute('height', '6');
	pattern.setAttribute('patternUnits', 'userSpaceOnUse');
	pattern.setAttribute('patternTransform', 'rotate(45)');
	const base = document.createElementNS(ns, 'rect');
	base.setAttribute('width', '6');
	base.setAttribute('height', '6');
	base.setAttribute('fill', COLOURS.fail);
	const stripe = document.createElementNS(ns, 'rect');
	stripe.setAttribute('width', '2');
	stripe.setAttribute('height', '6');
	stripe.setAttribute('fill', 'white');
	stripe.setAttribute('fill-opacity', '0.45');
	pattern.append(base, stripe);
	defs.append(pattern);
	return defs;
}

if (!customElements.get('journal-timeline')) customElements.define('journal-timeline', JournalTimeline);
