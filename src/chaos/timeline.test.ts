import { afterEach, describe, expect, it } from 'vitest';
import { journalSchema, type ReadJournal } from './journal.ts';
import { formatSeconds, journalTimeline, parseJournalTime } from './timeline.ts';

const T0 = '2024-05-01T10:00:00.000000+00:00';

/** A run entry starting `from` seconds after T0 and lasting `seconds`, with our runner's timestamps. */
function entry(name: string, type: 'probe' | 'action', from: number, seconds: number, extra: Record<string, unknown> = {}) {
	return {
		activity: { type, name, provider: { type: 'http', url: 'http://storefront:8080/health' } },
		output: { status: 200, headers: {}, body: 'ok' },
		start: at(from),
		status: 'succeeded',
		end: at(from + seconds),
		duration: seconds,
		...extra,
	};
}

function at(seconds: number): string {
	const iso = new Date(Date.parse('2024-05-01T10:00:00Z') + Math.round(seconds * 1000)).toISOString();
	return iso.replace('Z', '000+00:00');
}

function journal(overrides: Record<string, unknown>): ReadJournal {
	return journalSchema.parse({
		'chaoslib-version': '1.45.0',
		platform: 'Linux',
		node: 'workstation',
		experiment: { title: 'Storefront survives a paused Redis', description: 'd', method: [] },
		start: T0,
		status: 'completed',
		deviated: false,
		steady_states: { before: null, after: null, during: [] },
		run: [],
		rollbacks: [],
		end: at(10),
		duration: 10,
		...overrides,
	});
}

const deviatedRun = journal({
	deviated: true,
	steady_states: {
		before: {
			steady_state_met: true,
			probes: [entry('health-200', 'probe', 0.01, 0.05, { tolerance_met: true }), entry('catalog-lists-items', 'probe', 0.06, 0.04, { tolerance_met: true })],
		},
		after: {
			steady_state_met: false,
			probes: [entry('health-200', 'probe', 6.2, 0.5, { tolerance_met: false, output: { status: 503, headers: {}, body: 'down' } })],
		},
		during: [],
	},
	run: [
		entry('pause-redis', 'action', 0.2, 0.3),
		entry('list-products', 'probe', 5.5, 0.6, {
			status: 'failed',
			output: null,
			exception: ['Traceback (most recent call last):\n', 'chaoslib.exceptions.ActivityFailed: activity took too long to complete\n'],
		}),
	],
	rollbacks: [entry('unpause-redis', 'action', 7, 0.1)],
	end: at(7.5),
	duration: 7.5,
});

describe('journalTimeline', () => {
	it('puts every activity in its phase lane, from its start to its end in seconds since the run started', () => {
		const timeline = journalTimeline(deviatedRun);
		expect(timeline.lanes.map((lane) => [lane.id, lane.label, lane.rows, lane.empty])).toEqual([
			['before', 'Hypothesis before', 1, undefined],
			['method', 'Method', 1, undefined],
			['after', 'Hypothesis after', 1, undefined],
			['rollbacks', 'Rollbacks', 1, undefined],
		]);
		expect(timeline.bars.map((bar) => [bar.lane, bar.name, bar.start, bar.end])).toEqual([
			['before', 'health-200', 0.01, 0.06],
			['before', 'catalog-lists-items', 0.06, 0.1],
			['method', 'pause-redis', 0.2, 0.5],
			['method', 'list-products', 5.5, 6.1],
			['after', 'health-200', 6.2, 6.7],
			['rollbacks', 'unpause-redis', 7, 7.1],
		]);
		expect(timeline.domain).toEqual([0, 7.5]);
		expect(timeline.warnings).toEqual([]);
	});

	it('marks a bar passed only when it succeeded and, for a hypothesis probe, met its tolerance', () => {
		const bars = journalTimeline(deviatedRun).bars;
		expect(bars.map((bar) => [bar.name, bar.status, bar.toleranceMet, bar.passed])).toEqual([
			['health-200', 'succeeded', true, true],
			['catalog-lists-items', 'succeeded', true, true],
			['pause-redis', 'succeeded', undefined, true],
			['list-products', 'failed', undefined, false],
			['health-200', 'succeeded', false, false],
			['unpause-redis', 'succeeded', undefined, true],
		]);
	});

	it('describes each bar in words, with the tolerance for hypothesis probes and the error of a failed activity', () => {
		const bars = journalTimeline(deviatedRun).bars;
		expect(bars[0]?.description).toBe('probe “health-200” (Hypothesis before): ✓ succeeded, tolerance met; took 50 ms, from 0.01 s to 0.06 s.');
		expect(bars[3]?.description).toBe(
			'probe “list-products” (Method): ✗ failed; took 600 ms, from 5.5 s to 6.1 s. Error: chaoslib.exceptions.ActivityFailed: activity took too long to complete',
		);
		expect(bars[3]?.error).toBe('chaoslib.exceptions.ActivityFailed: activity took too long to complete');
		expect(bars[4]?.description).toBe('probe “health-200” (Hypothesis after): ✗ succeeded, tolerance not met; took 500 ms, from 6.2 s to 6.7 s.');
	});

	it('sums the run up in words: status, deviation, steady state before and after, method and rollbacks', () => {
		const timeline = journalTimeline(deviatedRun);
		expect(timeline.caption).toBe(
			'“Storefront survives a paused Redis” completed after 7.5 s. It deviated: the steady state did not hold after the method. ' +
				'Steady state before the method: met (2 probes within tolerance). ' +
				'Steady state after the method: not met: “health-200” was outside its tolerance. ' +
				'Method: 2 activities ran, 1 failed. Rollbacks: 1 ran, all succeeded.',
		);
		expect(timeline.summary).toEqual({
			title: 'Storefront survives a paused Redis',
			status: 'completed',
			deviated: true,
			steadyStateBefore: true,
			steadyStateAfter: false,
			duringChecks: 0,
			duringNotMet: 0,
			duration: 7.5,
			startedAt: '2024-05-01T10:00:00.000Z',
			methodActivities: 2,
			methodFailed: 1,
			rollbacks: 1,
			rollbacksFailed: 0,
		});
	});

	it('gives overlapping (background) activities their own rows, and reuses a row once it is free', () => {
		const timeline = journalTimeline(
			journal({
				run: [
					entry('load', 'action', 0, 5, { activity: { type: 'action', name: 'load', background: true, provider: { type: 'process', path: 'ab' } } }),
					entry('pause-redis', 'action', 1, 0.5),
					entry('check-one', 'probe', 2, 0.5),
					entry('after-load', 'probe', 5, 1),
				],
			}),
		);
		expect(timeline.lanes.find((lane) => lane.id === 'method')?.rows).toBe(2);
		expect(timeline.bars.map((bar) => [bar.name, bar.row])).toEqual([
			['load', 0],
			['pause-redis', 1],
			['check-one', 1],
			['after-load', 0],
		]);
	});

	it('orders bars by their start time within a lane, whatever their order in the journal', () => {
		const timeline = journalTimeline(journal({ rollbacks: [entry('second', 'action', 3, 1), entry('first', 'action', 1, 1)] }));
		expect(timeline.bars.map((bar) => bar.name)).toEqual(['first', 'second']);
	});

	it('adds a "During" lane for the hypothesis checked during the method, numbering each check', () => {
		const check = (from: number, met: boolean) => ({
			steady_state_met: met,
			probes: [entry('health-200', 'probe', from, 0.1, { tolerance_met: met })],
		});
		const timeline = journalTimeline(
			journal({
				steady_states: { before: null, after: null, during: [check(1, true), check(2, false), check(3, true)] },
				run: [entry('pause-redis', 'action', 0.5, 3)],
			}),
		);
		expect(timeline.lanes.map((lane) => lane.id)).toEqual(['before', 'method', 'during', 'after', 'rollbacks']);
		const during = timeline.bars.filter((bar) => bar.lane === 'during');
		expect(during.map((bar) => [bar.check, bar.start, bar.passed])).toEqual([
			[1, 1, true],
			[2, 2, false],
			[3, 3, true],
		]);
		expect(during[1]?.description).toContain('(During, check 2): ✗ succeeded, tolerance not met');
		expect(timeline.summary).toMatchObject({ duringChecks: 3, duringNotMet: 1 });
		expect(timeline.caption).toContain('During the method: 3 checks, 1 not met.');
	});

	it('has no "During" lane when nothing was checked during the method', () => {
		expect(journalTimeline(deviatedRun).lanes.some((lane) => lane.id === 'during')).toBe(false);
	});

	it('shows a run that failed before the method: empty lanes say why, and the caption says what did not happen', () => {
		const failedBefore = journal({
			status: 'failed',
			steady_states: {
				before: {
					steady_state_met: false,
					probes: [
						entry('health-200', 'probe', 0, 2, {
							status: 'failed',
							output: null,
							tolerance_met: false,
							exception: ['chaoslib.exceptions.ActivityFailed: failed to connect to URL: http://storefront:8080/health\n'],
						}),
					],
				},
				after: null,
				during: [],
			},
			end: at(2.1),
			duration: 2.1,
		});
		const timeline = journalTimeline(failedBefore);
		expect(timeline.lanes.map((lane) => [lane.id, lane.empty])).toEqual([
			['before', undefined],
			['method', 'none ran'],
			['after', 'not checked'],
			['rollbacks', 'none ran'],
		]);
		expect(timeline.bars).toHaveLength(1);
		expect(timeline.bars[0]).toMatchObject({ passed: false, status: 'failed', toleranceMet: false, error: 'chaoslib.exceptions.ActivityFailed: failed to connect to URL: http://storefront:8080/health' });
		expect(timeline.summary).toMatchObject({ status: 'failed', steadyStateBefore: false, steadyStateAfter: null });
		expect(timeline.caption).toBe(
			'“Storefront survives a paused Redis” failed after 2.1 s. ' +
				'Deviation was not measured, because the steady state was not checked after the method. ' +
				'Steady state before the method: not met: “health-200” failed. Steady state after the method: not checked. ' +
				'Method: no activities ran. Rollbacks: none ran.',
		);
	});

	it('says when an experiment had no hypothesis at all', () => {
		const timeline = journalTimeline(journal({ run: [entry('pause-redis', 'action', 0, 1)] }));
		expect(timeline.lanes.filter((lane) => lane.empty).map((lane) => [lane.id, lane.empty])).toEqual([
			['before', 'not checked'],
			['after', 'not checked'],
			['rollbacks', 'none ran'],
		]);
		expect(timeline.caption).toContain('Steady state before the method: not checked.');
	});

	it('names at most three probes that missed, then counts the rest', () => {
		const probes = ['a', 'b', 'c', 'd', 'e'].map((name, index) => entry(name, 'probe', index, 0.1, { tolerance_met: false }));
		const timeline = journalTimeline(journal({ steady_states: { before: { steady_state_met: false, probes }, after: null, during: [] } }));
		expect(timeline.caption).toContain(
			'Steady state before the method: not met: “a” was outside its tolerance, “b” was outside its tolerance, “c” was outside its tolerance, and 2 more probes did not pass.',
		);
	});

	it('says a run was dry, so nobody mistakes skipped activities for real ones', () => {
		const timeline = journalTimeline(journal({ experiment: { title: 'Dry', method: [], dry: 'actions' } }));
		expect(timeline.summary.dry).toBe('actions');
		expect(timeline.caption).toContain('This was a dry run (--dry actions): the skipped activities did not really run.');
	});

	it('leaves out, with a warning, an activity whose times cannot be read, and rebuilds one unreadable time from the duration', () => {
		const timeline = journalTimeline(
			journal({
				run: [entry('no-times', 'action', 0, 1, { start: 'yesterday', end: 'today' }), entry('no-end', 'action', 2, 1.5, { end: 'later' })],
				rollbacks: [entry('no-start', 'action', 4, 0.5, { start: 'soon' })],
			}),
		);
		expect(timeline.bars.map((bar) => [bar.name, bar.start, bar.end])).toEqual([
			['no-end', 2, 3.5],
			['no-start', 4, 4.5],
		]);
		expect(timeline.warnings).toEqual(['“no-times” (Method) is not on the chart: its start and end times cannot be read.']);
	});

	it('takes the first activity as time zero when the run start cannot be read', () => {
		const timeline = journalTimeline(journal({ start: 'unknown', run: [entry('first', 'action', 3, 1), entry('second', 'action', 5, 1)] }));
		expect(timeline.bars.map((bar) => [bar.start, bar.end])).toEqual([
			[0, 1],
			[2, 3],
		]);
		expect(timeline.summary.startedAt).toBeUndefined();
	});
});

describe('a journal written by the reference Chaos Toolkit', () => {
	const originalTimeZone = process.env.TZ;
	afterEach(() => {
		process.env.TZ = originalTimeZone;
	});

	// Shaped like chaostoolkit-lib 1.38's output: naive UTC timestamps, `dry: null`, python providers,
	// pauses, keys our runner does not write, and a method probe referenced from the hypothesis.
	const reference = {
		'chaoslib-version': '1.38.0',
		platform: 'Linux-6.1.41-x86_64-with-glibc2.34',
		node: 'ip-172-31-7-223',
		experiment: {
			title: 'Failover DocDB cluster',
			description: 'Verify that the failover does not affect the application',
			configuration: { aws_region: 'cn-north-1' },
			'steady-state-hypothesis': { title: 'The cluster is available', probes: [] },
			method: [{ ref: 'web-status' }],
			rollbacks: [],
			dry: null,
		},
		start: '2023-08-13T10:24:53.090984',
		status: 'completed',
		deviated: false,
		steady_states: {
			before: {
				steady_state_met: true,
				probes: [
					{
						activity: { name: 'cluster-status', type: 'probe', tolerance: ['available'], provider: { type: 'python', module: 'chaosaws.docdb.probes', func: 'cluster_status' } },
						output: 'available',
						start: '2023-08-13T10:24:53.092390',
						status: 'succeeded',
						end: '2023-08-13T10:24:53.346671',
						duration: 0.254281,
						tolerance_met: true,
					},
				],
			},
			after: {
				steady_state_met: true,
				probes: [
					{
						activity: { name: 'cluster-status', type: 'probe', tolerance: ['available'], provider: { type: 'python', module: 'chaosaws.docdb.probes', func: 'cluster_status' } },
						output: 'available',
						start: '2023-08-13T10:24:58.698022',
						status: 'succeeded',
						end: '2023-08-13T10:24:58.800055',
						duration: 0.102033,
						tolerance_met: true,
					},
				],
			},
			during: [],
		},
		run: [
			{
				activity: { name: 'failover', type: 'action', provider: { type: 'python', module: 'chaosaws.docdb.actions', func: 'failover_db_cluster' }, pauses: { after: 5 } },
				output: { DBCluster: { Status: 'available' }, ResponseMetadata: { HTTPStatusCode: 200 } },
				start: '2023-08-13T10:24:53.355512',
				status: 'succeeded',
				end: '2023-08-13T10:24:53.585484',
				duration: 0.229972,
			},
		],
		rollbacks: [],
		end: '2023-08-13T10:24:58.805397',
		duration: 5.717870712280273,
		extensions: [{ name: 'chaosreliably', execution_url: 'https://example.com/x' }],
	};

	it('reads it, extra keys and all, and treats its offset-less timestamps as UTC whatever the local time zone', () => {
		process.env.TZ = 'America/New_York';
		const timeline = journalTimeline(journalSchema.parse(JSON.parse(JSON.stringify(reference))));
		expect(timeline.summary.startedAt).toBe('2023-08-13T10:24:53.090Z');
		expect(timeline.bars.map((bar) => [bar.lane, bar.name, bar.start, bar.end])).toEqual([
			['before', 'cluster-status', 0.001406, 0.255687],
			['method', 'failover', 0.264528, 0.4945],
			['after', 'cluster-status', 5.607038, 5.709071],
		]);
		expect(timeline.caption).toBe(
			'“Failover DocDB cluster” completed after 5.7 s. It did not deviate. ' +
				'Steady state before the method: met (1 probe within tolerance). Steady state after the method: met (1 probe within tolerance). ' +
				'Method: 1 activity ran, none failed. Rollbacks: none ran.',
		);
		expect(timeline.summary.dry).toBeUndefined();
	});
});

describe('parseJournalTime', () => {
	const TEN_AM = Date.UTC(2024, 4, 1, 10, 0, 0) * 1000;

	it('reads our runner\'s timestamps (microseconds and an offset) as exact microseconds since the epoch', () => {
		expect(parseJournalTime('2024-05-01T10:00:00.123456+00:00')).toBe(TEN_AM + 123_456);
		expect(parseJournalTime('2024-05-01T12:00:00.5+02:00')).toBe(TEN_AM + 500_000);
		expect(parseJournalTime('2024-05-01T05:30:00-0430')).toBe(TEN_AM);
		expect(parseJournalTime('2024-05-01T10:00:00Z')).toBe(TEN_AM);
		expect(parseJournalTime('2024-05-01T10:00:00.000100')! - parseJournalTime('2024-05-01T10:00:00.000000')!).toBe(100);
	});

	it('reads a timestamp without an offset as UTC, and one without a fraction (Python omits zero microseconds)', () => {
		expect(parseJournalTime('2024-05-01T10:00:00')).toBe(TEN_AM);
		expect(parseJournalTime('2024-05-01 10:00:00.000001')).toBe(TEN_AM + 1);
		expect(parseJournalTime('2024-05-01T10:00:00.1234567')).toBe(TEN_AM + 123_456);
	});

	it('refuses what is not a timestamp', () => {
		for (const text of ['', 'yesterday', '2024-05-01', '10:00:00', '2024-05-01T10:00:00+5', '1714557600']) {
			expect(parseJournalTime(text), text).toBeUndefined();
		}
	});
});

describe('formatSeconds', () => {
	it('says durations the way a person reads them', () => {
		expect([0, 0.0004, 0.012, 0.85, 0.9996, 1, 5.74, 59.96, 60, 125.4].map(formatSeconds)).toEqual([
			'less than 1 ms',
			'less than 1 ms',
			'12 ms',
			'850 ms',
			'1 s',
			'1 s',
			'5.7 s',
			'1 min',
			'1 min',
			'2 min 5 s',
		]);
	});
});
