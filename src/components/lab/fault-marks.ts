import { formatSeconds, parseJournalTime } from '../../chaos/timeline.ts';
import type { FaultRecord } from '../../store/store.ts';

/**
 * The platform's fault log as marks on a run's timeline: which faults were made or undone while an
 * experiment ran, in seconds since the run started, each with a short label for the chart and a
 * sentence for the caption and screen readers. Pure data, so the chart and its tests agree.
 */

/** The part of a log entry a mark needs: what the lab API serves, minus whose it is. */
export type FaultLogEntry = Pick<FaultRecord, 'id' | 'at' | 'kind' | 'target' | 'parameters' | 'outcome' | 'message'>;

/** The part of a journal that places a run in time. */
export interface RunSpan {
	start: string;
	end: string;
	/** Seconds; stands in for the end when the end's timestamp cannot be read. */
	duration: number;
}

/**
 * A fault breaks something; a recovery brings it back (an undo, a reset, the lab's restart policy).
 * The chart draws them differently, so they differ without colour.
 */
export type FaultEffect = 'fault' | 'recovery';

export interface FaultMark {
	id: number;
	/** Seconds since the run started; negative for a fault made just before it. */
	at: number;
	kind: string;
	target: string;
	effect: FaultEffect;
	/** A few words for the chart: "pause redis", "latency +1000 ms on redis", "undo: unpause redis". */
	label: string;
	/** One sentence with when, what and the platform's own words about it. */
	description: string;
}

/**
 * A fault made a moment before `chaos run` started (by hand, or by a script that then runs the
 * experiment) still shapes the run; one a moment after it shows how the system recovered.
 */
export const FAULT_WINDOW_SECONDS = 5;

/** Kinds that bring something back even when the log calls them `applied`. */
const RECOVERY_KINDS: ReadonlySet<string> = new Set(['start', 'unpause', 'end-pressure', 'end-netem', 'toxic-remove', 'proxy-enable', 'proxy-reset', 'auto-restart', 'reset']);

/** Kinds whose label already says they undo something, so "undo: " would say it twice. */
const SELF_UNDOING_KINDS: ReadonlySet<string> = new Set(['end-pressure', 'end-netem', 'toxic-remove', 'proxy-enable', 'proxy-reset', 'auto-restart', 'reset']);

const MICROS_PER_SECOND = 1_000_000;

/**
 * The log entries that took effect between run start − 5 s and run end + 5 s, as marks in time
 * order (log order for entries at the same instant). Refused and failed requests changed nothing,
 * so they are left out; the lab's own restarts are kept whatever the log says of them, since a
 * recovery the learner did not ask for is what the chart should show. A run whose start cannot be
 * read has no place in time, and gets no marks.
 */
export function faultMarks(faults: readonly FaultLogEntry[], run: RunSpan): FaultMark[] {
	const startUs = parseJournalTime(run.start);
	if (startUs === undefined) return [];
	const endUs = parseJournalTime(run.end) ?? startUs + Math.max(0, run.duration) * MICROS_PER_SECOND;
	const windowUs = FAULT_WINDOW_SECONDS * MICROS_PER_SECOND;
	return faults
		.filter((fault) => fault.outcome === 'applied' || fault.outcome === 'reverted' || fault.kind === 'auto-restart')
		.flatMap((fault) => {
			const atUs = parseJournalTime(fault.at);
			if (atUs === undefined || atUs < startUs - windowUs || atUs > endUs + windowUs) return [];
			return [toMark(fault, (atUs - startUs) / MICROS_PER_SECOND, (atUs - endUs) / MICROS_PER_SECOND)];
		})
		.sort((a, b) => a.at - b.at || a.id - b.id);
}

/** The caption's sentence about faults: empty when there were none, so a run without faults says nothing of them. */
export function faultsCaption(marks: readonly FaultMark[]): string {
	if (marks.length === 0) return '';
	const listed = marks.map((mark) => `${mark.label} ${mark.at < 0 ? `${formatOffset(-mark.at)} before the start` : `at ${formatOffset(mark.at)}`}`);
	const joined = listed.length === 1 ? listed[0] : `${listed.slice(0, -1).join(', ')} and ${listed.at(-1)}`;
	return `${marks.length} ${marks.length === 1 ? 'fault' : 'faults'} during this run: ${joined}.`;
}

/** A few words for one log entry, whatever its outcome: the chart's label, and a name for it elsewhere. */
export function faultLabel(fault: Pick<FaultLogEntry, 'kind' | 'target' | 'parameters' | 'outcome'>): string {
	const label = describeKind(fault.kind, fault.target || 'an unnamed target', fault.parameters);
	return fault.outcome === 'reverted' && !SELF_UNDOING_KINDS.has(fault.kind) ? `undo: ${label}` : label;
}

function toMark(fault: FaultLogEntry, at: number, afterEnd: number): FaultMark {
	const effect: FaultEffect = fault.outcome === 'reverted' || RECOVERY_KINDS.has(fault.kind) ? 'recovery' : 'fault';
	const label = faultLabel(fault);
	const when = at < 0 ? `${formatSeconds(-at)} before the run started` : afterEnd > 0 ? `${formatSeconds(afterEnd)} after the run ended` : `${formatOffset(at)} into the run`;
	const said = fault.message.trim() || `${label}.`;
	return {
		id: fault.id,
		at,
		kind: fault.kind,
		target: fault.target,
		effect,
		label,
		description: `${effect === 'fault' ? 'Fault' : 'Recovery'} ${when}: ${said}${fault.outcome === 'failed' ? ' (failed)' : ''}`,
	};
}

function describeKind(kind: string, target: string, parameters: Record<string, unknown>): string {
	switch (kind) {
		case 'kill': {
			const signal = text(parameters.signal);
			return signal && signal !== 'SIGKILL' ? `kill ${target} (${signal})` : `kill ${target}`;
		}
		case 'stop':
		case 'start':
		case 'restart':
		case 'pause':
		case 'unpause':
			return `${kind} ${target}`;
		case 'kill-process': {
			const process = text(parameters.process);
			return process ? `kill ${process} in ${target}` : `kill a process in ${target}`;
		}
		case 'cpu': {
			const workers = count(parameters.workers);
			return `CPU pressure${workers ? ` ×${workers}` : ''} on ${target}`;
		}
		case 'memory': {
			const megabytes = count(parameters.megabytes);
			return `memory pressure${megabytes ? ` ${megabytes} MB` : ''} on ${target}`;
		}
		case 'end-pressure':
			return `end pressure on ${target}`;
		case 'delay': {
			const jitter = count(parameters.jitter);
			return `interface delay +${count(parameters.milliseconds) ?? '?'}${jitter ? ` ± ${jitter}` : ''} ms on ${target}`;
		}
		case 'loss':
		case 'corrupt':
		case 'duplicate':
			return `packet ${kind === 'loss' ? 'loss' : kind === 'corrupt' ? 'corruption' : 'duplication'} ${count(parameters.percent) ?? '?'}% on ${target}`;
		case 'end-netem':
			return `end interface fault on ${target}`;
		case 'toxic-add':
			return `${describeToxic(parameters)} on ${target}`;
		case 'toxic-update':
			return `${describeToxic(parameters)} on ${target} (changed)`;
		case 'toxic-remove':
			return `remove ${text(parameters.type) ?? text(parameters.name) ?? 'toxic'} from ${target}`;
		case 'proxy-disable':
			return `disable proxy ${target}`;
		case 'proxy-enable':
			return `enable proxy ${target}`;
		case 'proxy-create':
			return `create proxy ${target}`;
		case 'proxy-update':
			return `change proxy ${target}`;
		case 'proxy-delete':
			return `delete proxy ${target}`;
		case 'proxy-reset':
			return 'reset all proxies';
		case 'auto-restart':
			return `${target} restarted by the lab`;
		case 'reset':
			return 'undo all faults';
		default:
			return `${kind || 'fault'} ${target}`;
	}
}

/** A toxic in the terms a learner set it: its type and the one or two numbers that matter. */
function describeToxic(parameters: Record<string, unknown>): string {
	const type = text(parameters.type);
	const attributes = isRecord(parameters.attributes) ? parameters.attributes : {};
	const number = (name: string) => count(attributes[name]);
	const toxicity = typeof parameters.toxicity === 'number' && parameters.toxicity < 1 ? ` (${Math.round(parameters.toxicity * 100)}% of connections)` : '';
	let what: string;
	switch (type) {
		case 'latency': {
			const jitter = number('jitter');
			what = `latency +${number('latency') ?? 0}${jitter ? ` ± ${jitter}` : ''} ms`;
			break;
		}
		case 'bandwidth':
			what = `bandwidth ${number('rate') ?? '?'} KB/s`;
			break;
		case 'slow_close':
			what = `slow close +${number('delay') ?? 0} ms`;
			break;
		case 'timeout': {
			const timeout = number('timeout');
			what = timeout ? `timeout after ${timeout} ms` : 'timeout (held open)';
			break;
		}
		case 'reset_peer':
			what = `reset peer after ${number('timeout') ?? 0} ms`;
			break;
		case 'slicer':
			what = `slicer ${number('average_size') ?? '?'} B slices`;
			break;
		case 'limit_data':
			what = `limit data to ${number('bytes') ?? 0} B`;
			break;
		default:
			what = `${type ?? text(parameters.name) ?? 'unknown'} toxic`;
	}
	return `${what}${toxicity}`;
}

function formatOffset(seconds: number): string {
	return `${Math.round(seconds * 10) / 10} s`;
}

function text(value: unknown): string | undefined {
	return typeof value === 'string' && value !== '' ? value : undefined;
}

function count(value: unknown): number | undefined {
	return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}
