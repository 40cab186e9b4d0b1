import { describe, expect, it } from 'vitest';
import { faultLabel, faultMarks, faultsCaption, type FaultLogEntry, type RunSpan } from './fault-marks.ts';

/** A 20 s run as our runner's journal stamps it: microseconds, with an offset. */
const RUN: RunSpan = { start: '2024-05-01T10:00:00.000000+00:00', end: '2024-05-01T10:00:20.000000+00:00', duration: 20 };

let nextId = 1;

/** A log entry `seconds` after the run's start, stamped as the platform stamps them (Date#toISOString). */
function fault(seconds: number, kind: string, extra: Partial<FaultLogEntry> = {}): FaultLogEntry {
	return {
		id: nextId++,
		at: new Date(Date.parse('2024-05-01T10:00:00Z') + Math.round(seconds * 1000)).toISOString(),
		kind,
		target: 'redis',
		parameters: {},
		outcome: 'applied',
		message: `${kind} redis.`,
		...extra,
	};
}

/** The log as the API serves it: newest first. */
function newestFirst(entries: FaultLogEntry[]): FaultLogEntry[] {
	return [...entries].sort((a, b) => b.id - a.id);
}

describe('faultMarks: the window', () => {
	it('keeps entries from 5 s before the start to 5 s after the end, inclusive, and drops the rest', () => {
		const log = newestFirst([fault(-5.001, 'stop'), fault(-5, 'pause'), fault(0, 'restart'), fault(25, 'unpause'), fault(25.001, 'start'), fault(3600, 'kill')]);
		expect(faultMarks(log, RUN).map((mark) => [mark.kind, mark.at])).toEqual([
			['pause', -5],
			['restart', 0],
			['unpause', 25],
		]);
	});

	it('keeps applied and reverted entries and the lab\'s own restarts, but no refused or failed request', () => {
		const log = newestFirst([
			fault(1, 'pause', { outcome: 'refused' }),
			fault(2, 'cpu', { outcome: 'failed' }),
			fault(3, 'stop', { outcome: 'applied' }),
			fault(4, 'unpause', { outcome: 'reverted' }),
			fault(5, 'auto-restart', { outcome: 'failed' }),
		]);
		expect(faultMarks(log, RUN).map((mark) => mark.kind)).toEqual(['stop', 'unpause', 'auto-restart']);
	});

	it('takes the end from the duration when the journal\'s end cannot be read', () => {
		const log = newestFirst([fault(14, 'pause'), fault(16, 'unpause')]);
		expect(faultMarks(log, { ...RUN, end: 'not a time', duration: 9 }).map((mark) => mark.kind)).toEqual(['pause']);
	});

	it('has no marks for a run whose start cannot be read', () => {
		expect(faultMarks([fault(1, 'pause')], { ...RUN, start: '' })).toEqual([]);
	});
});

describe('faultMarks: order and times', () => {
	it('puts marks in time order from a newest-first log, and entries at one instant in log order', () => {
		const log = newestFirst([fault(12.5, 'unpause', { outcome: 'reverted' }), fault(2.25, 'pause'), fault(2.25, 'cpu'), fault(-1, 'stop')]);
		const marks = faultMarks(log, RUN);
		expect(marks.map((mark) => [mark.kind, mark.at])).toEqual([
			['stop', -1],
			['pause', 2.25],
			['cpu', 2.25],
			['unpause', 12.5],
		]);
		expect(marks[1]?.id).toBeLessThan(marks[2]?.id ?? 0);
	});

	it('measures from the journal\'s own start, also when it has no offset (the reference tool writes UTC without one)', () => {
		const [mark] = faultMarks([fault(7.5, 'pause')], { ...RUN, start: '2024-05-01T10:00:01.500000' });
		expect(mark?.at).toBe(6);
	});

	it('says when, relative to the run, and in the platform\'s own words', () => {
		const log = newestFirst([
			fault(-2, 'pause', { message: 'Paused redis: its processes are frozen until it is unpaused.' }),
			fault(3.2, 'restart', { message: 'Restarted redis.' }),
			fault(23, 'unpause', { outcome: 'reverted', message: 'Unpaused redis.' }),
		]);
		expect(faultMarks(log, RUN).map((mark) => mark.description)).toEqual([
			'Fault 2 s before the run started: Paused redis: its processes are frozen until it is unpaused.',
			'Fault 3.2 s into the run: Restarted redis.',
			'Recovery 3 s after the run ended: Unpaused redis.',
		]);
	});
});

describe('faultMarks: fault or recovery', () => {
	it('calls reverted entries and the kinds that bring something back recoveries, and the rest faults', () => {
		const kinds = ['pause', 'kill', 'toxic-add', 'proxy-disable', 'proxy-delete', 'delay', 'end-netem', 'unpause', 'start', 'toxic-remove', 'proxy-enable', 'proxy-reset', 'auto-restart', 'reset'];
		const marks = faultMarks(kinds.map((kind, index) => fault(index, kind)), RUN);
		expect(Object.fromEntries(marks.map((mark) => [mark.kind, mark.effect]))).toEqual({
			pause: 'fault',
			kill: 'fault',
			'toxic-add': 'fault',
			'proxy-disable': 'fault',
			'proxy-delete': 'fault',
			delay: 'fault',
			'end-netem': 'recovery',
			unpause: 'recovery',
			start: 'recovery',
			'toxic-remove': 'recovery',
			'proxy-enable': 'recovery',
			'proxy-reset': 'recovery',
			'auto-restart': 'recovery',
			reset: 'recovery',
		});
		expect(faultMarks([fault(1, 'cpu', { outcome: 'reverted' })], RUN)[0]?.effect).toBe('recovery');
	});
});

describe('faultLabel', () => {
	const label = (kind: string, parameters: Record<string, unknown> = {}, outcome: FaultLogEntry['outcome'] = 'applied') => faultLabel({ kind, target: 'redis', parameters, outcome });

	it('names container faults by what happened to which container', () => {
		expect(label('pause')).toBe('pause redis');
		expect(label('restart')).toBe('restart redis');
		expect(label('kill', { signal: 'SIGKILL' })).toBe('kill redis');
		expect(label('kill', { signal: 'SIGTERM' })).toBe('kill redis (SIGTERM)');
		expect(label('kill-process', { process: 'redis-server', signal: 'SIGKILL' })).toBe('kill redis-server in redis');
	});

	it('names resource faults with their size', () => {
		expect(label('cpu', { workers: 2, seconds: 30 })).toBe('CPU pressure ×2 on redis');
		expect(label('memory', { megabytes: 64, seconds: 30 })).toBe('memory pressure 64 MB on redis');
		expect(label('end-pressure')).toBe('end pressure on redis');
	});

	it('names interface faults by what they do to the packets, and their size', () => {
		expect(label('delay', { milliseconds: 300, jitter: 0 })).toBe('interface delay +300 ms on redis');
		expect(label('delay', { milliseconds: 300, jitter: 50 })).toBe('interface delay +300 ± 50 ms on redis');
		expect(label('loss', { percent: 5 })).toBe('packet loss 5% on redis');
		expect(label('corrupt', { percent: 0.5 })).toBe('packet corruption 0.5% on redis');
		expect(label('duplicate', { percent: 10 })).toBe('packet duplication 10% on redis');
		expect(label('end-netem', {}, 'reverted')).toBe('end interface fault on redis');
	});

	it('names toxics by their type and the numbers that matter', () => {
		const toxic = (type: string, attributes: Record<string, number>, toxicity = 1) => label('toxic-add', { name: `${type}_downstream`, type, stream: 'downstream', toxicity, attributes });
		expect(toxic('latency', { latency: 1000, jitter: 0 })).toBe('latency +1000 ms on redis');
		expect(toxic('latency', { latency: 1000, jitter: 100 })).toBe('latency +1000 ± 100 ms on redis');
		expect(toxic('latency', { latency: 250, jitter: 0 }, 0.5)).toBe('latency +250 ms (50% of connections) on redis');
		expect(toxic('bandwidth', { rate: 10 })).toBe('bandwidth 10 KB/s on redis');
		expect(toxic('slow_close', { delay: 500 })).toBe('slow close +500 ms on redis');
		expect(toxic('timeout', { timeout: 0 })).toBe('timeout (held open) on redis');
		expect(toxic('timeout', { timeout: 2000 })).toBe('timeout after 2000 ms on redis');
		expect(toxic('reset_peer', { timeout: 100 })).toBe('reset peer after 100 ms on redis');
		expect(toxic('slicer', { average_size: 64, size_variation: 8, delay: 10 })).toBe('slicer 64 B slices on redis');
		expect(toxic('limit_data', { bytes: 1000 })).toBe('limit data to 1000 B on redis');
		expect(label('toxic-update', { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 2000, jitter: 0 } })).toBe('latency +2000 ms on redis (changed)');
		expect(label('toxic-remove', { name: 'latency_downstream', type: 'latency' }, 'reverted')).toBe('remove latency from redis');
	});

	it('names proxy events by the proxy', () => {
		expect(label('proxy-disable')).toBe('disable proxy redis');
		expect(label('proxy-enable', {}, 'reverted')).toBe('enable proxy redis');
		expect(label('proxy-create', { listen: '0.0.0.0:26379', upstream: 'redis:6379', enabled: true })).toBe('create proxy redis');
		expect(label('proxy-update')).toBe('change proxy redis');
		expect(label('proxy-delete')).toBe('delete proxy redis');
		expect(faultLabel({ kind: 'proxy-reset', target: '*', parameters: {}, outcome: 'reverted' })).toBe('reset all proxies');
	});

	it('names the platform\'s own entries, and marks its undos as such', () => {
		expect(label('auto-restart')).toBe('redis restarted by the lab');
		expect(faultLabel({ kind: 'reset', target: '', parameters: {}, outcome: 'reverted' })).toBe('undo all faults');
		expect(label('unpause', {}, 'reverted')).toBe('undo: unpause redis');
		expect(label('cpu', {}, 'reverted')).toBe('undo: CPU pressure on redis');
	});

	it('still names a kind it does not know, rather than hiding it', () => {
		expect(label('blackhole')).toBe('blackhole redis');
	});
});

describe('faultsCaption', () => {
	it('says nothing for a run without faults', () => {
		expect(faultsCaption([])).toBe('');
	});

	it('counts the marks and lists each with its time', () => {
		const log = newestFirst([
			fault(-1.5, 'toxic-add', { parameters: { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 1000, jitter: 0 } } }),
			fault(3.24, 'pause'),
			fault(10.06, 'unpause', { outcome: 'reverted' }),
		]);
		expect(faultsCaption(faultMarks(log, RUN))).toBe('3 faults during this run: latency +1000 ms on redis 1.5 s before the start, pause redis at 3.2 s and undo: unpause redis at 10.1 s.');
		expect(faultsCaption(faultMarks([fault(4, 'restart')], RUN))).toBe('1 fault during this run: restart redis at 4 s.');
	});
});
