import { describe, expect, it } from 'vitest';
import { asReadJournal, type ReadJournal } from './journal.ts';
import { renderReport } from './report.ts';
import { journalTimeline } from './timeline.ts';
import type { Activity, DryRun, Journal, RunEntry, SteadyState } from './types.ts';

/** Timestamps as our runner writes them: microseconds and an offset, `seconds` after a fixed start. */
function at(seconds: number): string {
	return new Date(Date.UTC(2024, 4, 1, 10, 0, 0) + seconds * 1000).toISOString().replace('Z', '000+00:00');
}

const healthProbe: Activity = {
	type: 'probe',
	name: 'service-answers-200',
	tolerance: 200,
	provider: { type: 'http', url: 'http://localhost:8080/health', timeout: 5 },
};
const stopWeb: Activity = { type: 'action', name: 'stop-web', provider: { type: 'process', path: 'docker', arguments: ['stop', 'web'] } };
const startWeb: Activity = { type: 'action', name: 'start-web', provider: { type: 'process', path: 'docker', arguments: ['start', 'web'] } };

function ran(activity: Activity, from: number, to: number, output: unknown, extra: Partial<RunEntry> = {}): RunEntry {
	return { activity, output, start: at(from), status: 'succeeded', end: at(to), duration: to - from, ...extra };
}

function http(status: number, body: unknown = 'ok') {
	return { status, headers: { 'Content-Type': 'text/plain' }, body };
}

function state(met: boolean, ...probes: RunEntry[]): SteadyState {
	return { steady_state_met: met, probes };
}

function journal(overrides: Partial<Journal> & { title?: string; dry?: DryRun }): ReadJournal {
	const { title = 'The shop survives losing its web container', dry = null, ...rest } = overrides;
	return asReadJournal({
		'chaoslib-version': '1.45.0',
		platform: 'Linux-6.1-x86_64',
		node: 'lab-1',
		experiment: {
			title,
			description: 'Stopping web should be noticed and undone.',
			tags: ['docker', 'web'],
			'steady-state-hypothesis': { title: 'The shop answers', probes: [healthProbe] },
			method: [stopWeb],
			rollbacks: [startWeb],
			dry,
		},
		start: at(0),
		status: 'completed',
		deviated: false,
		steady_states: { before: null, after: null, during: [] },
		run: [],
		rollbacks: [],
		end: at(4),
		duration: 4,
		...rest,
	});
}

const metBefore = state(true, ran(healthProbe, 0, 0.5, http(200), { tolerance_met: true }));
const stoppedWeb = [ran(stopWeb, 1, 2, { status: 0, stdout: 'web\n', stderr: '' })];

/** Before met, docker stop, after met, docker start: 0-4 s. */
const completed = journal({
	steady_states: { before: metBefore, after: state(true, ran(healthProbe, 2, 2.5, http(200), { tolerance_met: true })), during: [] },
	run: stoppedWeb,
	rollbacks: [ran(startWeb, 3, 4, { status: 0, stdout: 'web\n', stderr: '' })],
});

/** The shop answered 503 after the method. */
const deviated = journal({
	status: 'failed',
	deviated: true,
	steady_states: {
		before: state(true, ran(healthProbe, 0, 0.5, http(200), { tolerance_met: true })),
		after: state(false, ran(healthProbe, 2, 2.5, http(503, 'Service Unavailable'), { tolerance_met: false })),
		during: [],
	},
	run: [ran(stopWeb, 1, 2, { status: 0, stdout: 'web\n', stderr: '' })],
	rollbacks: [ran(startWeb, 3, 4, { status: 0, stdout: 'web\n', stderr: '' })],
});

/** The probe could not connect before the method: the reference ends `failed` and skips the rest. */
const probeRaised = journal({
	status: 'failed',
	steady_states: {
		before: state(
			false,
			ran(healthProbe, 0, 0.5, null, {
				status: 'failed',
				tolerance_met: false,
				exception: [
					'Traceback (most recent call last):\n',
					'  File "chaoslib/provider/http.py", line 98, in run_http_activity\n',
					'chaoslib.exceptions.ActivityFailed: failed to connect to URL: http://localhost:8080/health\n',
				],
			}),
		),
		after: null,
		during: [],
	},
	end: at(0.6),
	duration: 0.6,
});

/** The shop answered 500 before the method: the reference still ends `completed`, not deviated. */
const notMetBefore = journal({
	steady_states: {
		before: state(false, ran(healthProbe, 0, 0.5, http(500, 'Internal Server Error'), { tolerance_met: false })),
		after: null,
		during: [],
	},
	rollbacks: [ran(startWeb, 1, 2, { status: 0, stdout: 'web\n', stderr: '' })],
	end: at(2),
	duration: 2,
});

/** One activity's row of the HTML timeline, without the bars' tooltips (their wording is timeline.ts's). */
function timelineRow(html: string, lane: string, name: string): string {
	const start = `<div class="tl-row"><span class="tl-lane">${lane}</span><span class="tl-name">${name}</span>`;
	const row = html.split('\n').find((line) => line.startsWith(start));
	if (row === undefined) throw new Error(`no timeline row for ${lane} / ${name}`);
	return row.replace(/ title="[^"]*"/g, '');
}

function tableRow(markdown: string, firstCells: string): string {
	const row = markdown.split('\n').find((line) => line.startsWith(`| ${firstCells}`));
	if (row === undefined) throw new Error(`no table row starting "| ${firstCells}" in:\n${markdown}`);
	return row;
}

describe('renderReport as Markdown', () => {
	it('a completed run: verdict, facts, hypothesis, method, rollbacks, timings and timeline', () => {
		const markdown = renderReport([completed], 'markdown');

		expect(markdown.split('\n').slice(0, 5)).toEqual([
			'# The shop survives losing its web container',
			'',
			'Stopping web should be noticed and undone.',
			'',
			'**Verdict, HELD: ✔ the steady state held.** The hypothesis was met before and after the method.',
		]);
		expect(tableRow(markdown, '**Status**')).toBe('| **Status** | completed |');
		expect(tableRow(markdown, '**Deviated**')).toBe('| **Deviated** | no |');
		expect(tableRow(markdown, '**Steady state before**')).toBe('| **Steady state before** | met |');
		expect(tableRow(markdown, '**Tags**')).toBe('| **Tags** | docker, web |');
		expect(tableRow(markdown, '**Duration**')).toBe('| **Duration** | 4 s |');
		expect(tableRow(markdown, '**Ran on**')).toBe('| **Ran on** | node lab-1, Linux-6.1-x86\\_64, chaoslib 1.45.0 |');
		expect(markdown).toContain('## Steady-state hypothesis: The shop answers\n\n### Before the method: met\n');
		expect(markdown).toContain('### After the method: met\n');
		expect(markdown).toContain('| 1 | service-answers-200 | `GET http://localhost:8080/health` | `200` | HTTP 200 | ✔ yes | 500 ms |');
		expect(markdown).toContain('## Method\n\n| # | Type | Name | Provider | Status | Started | Took | Result |');
		expect(markdown).toContain('| 1 | action | stop-web | `docker stop web` | ✔ succeeded | +1.00 s | 1 s | exit status 0 |');
		expect(markdown).toContain('**1. stop-web**, stdout:\n\n```text\nweb\n```');
		expect(markdown).toContain('## Rollbacks\n\n| # | Type | Name');
		expect(markdown).toContain('| 1 | action | start-web | `docker start web` | ✔ succeeded | +3.00 s | 1 s | exit status 0 |');
		expect(markdown).toContain('| Method | +1.00 s | +2.00 s | 1 s |');
		expect(markdown).toContain('| Whole run | +0.00 s | +4.00 s | 4 s |');
		// 40 columns for 4 s: each bar starts at 10 columns a second.
		expect(markdown).toContain(`Hypothesis before  service-answers-200  |${'█'.repeat(5)}${'·'.repeat(35)}|  ✔ succeeded, 500 ms`);
		expect(markdown).toContain(`Method             stop-web             |${'·'.repeat(10)}${'█'.repeat(10)}${'·'.repeat(20)}|  ✔ succeeded, 1 s`);
		expect(markdown).toContain(`Rollbacks          start-web            |${'·'.repeat(30)}${'█'.repeat(10)}|  ✔ succeeded, 1 s`);
		expect(markdown).toContain('Hypothesis after   service-answers-200  |');
		expect(markdown.endsWith(`█ succeeded or met, ▒ failed or not met.\n\n${journalTimeline(completed).caption}\n`)).toBe(true);
	});

	it('a deviated run says the hypothesis failed after the method, and which probe missed', () => {
		const markdown = renderReport([deviated], 'markdown');

		expect(markdown).toContain(
			"**Verdict, DEVIATED: ✘ deviated: the hypothesis failed after the method.** Probe 'service-answers-200' returned HTTP 503 after the method, outside its tolerance (200). The method's conditions broke the steady state: a weakness may have been found.",
		);
		expect(tableRow(markdown, '**Status**')).toBe('| **Status** | failed |');
		expect(tableRow(markdown, '**Deviated**')).toBe('| **Deviated** | yes |');
		expect(tableRow(markdown, '**Steady state after**')).toBe('| **Steady state after** | not met |');
		expect(markdown).toContain('### After the method: not met\n');
		expect(markdown).toContain('| 1 | service-answers-200 | `GET http://localhost:8080/health` | `200` | HTTP 503 | ✘ no | 500 ms |');
		expect(markdown).toContain('**1. service-answers-200**, body:\n\n```text\nService Unavailable\n```');
		expect(markdown).toContain(
			`Hypothesis after   service-answers-200  |${'·'.repeat(20)}${'▒'.repeat(5)}${'·'.repeat(15)}|  ✘ tolerance not met, 500 ms`,
		);
	});

	it('a probe that raised before the method: failed, the error line, the traceback, and the skipped rollbacks', () => {
		const markdown = renderReport([probeRaised], 'markdown');

		expect(markdown).toContain(
			"**Verdict, FAILED: ✘ failed: a steady-state probe raised an error before the method, so the experiment proved nothing.** Probe 'service-answers-200' could not run: chaoslib.exceptions.ActivityFailed: failed to connect to URL: http://localhost:8080/health. Make the probe work against the system as it is, then run again.",
		);
		expect(markdown).toContain(
			'| 1 | service-answers-200 | `GET http://localhost:8080/health` | `200` | failed: chaoslib.exceptions.ActivityFailed: failed to connect to URL: http://localhost:8080/health | ✘ no | 500 ms |',
		);
		expect(markdown).toContain(
			'**1. service-answers-200**, error:\n\n```text\nTraceback (most recent call last):\n  File "chaoslib/provider/http.py", line 98, in run_http_activity\nchaoslib.exceptions.ActivityFailed: failed to connect to URL: http://localhost:8080/health\n```',
		);
		expect(markdown).toContain(
			'- The experiment declares 1 rollback, but none ran: the rollback strategy skipped them (by default, rollbacks do not run after a failed or interrupted run).',
		);
		expect(markdown).toContain('## Method\n\nThe method ran no activities.');
		expect(tableRow(markdown, '**Steady state after**')).toBe('| **Steady state after** | not checked |');
	});

	it('a steady state not met before the method: proved nothing, though the journal says completed', () => {
		const markdown = renderReport([notMetBefore], 'markdown');

		expect(markdown).toContain(
			'**Verdict, NOT MET BEFORE: ✘ the steady state was not met before the method, so the experiment proved nothing.** ' +
				"Probe 'service-answers-200' returned HTTP 500 before the method, outside its tolerance (200). Bring the system to its normal state, or correct the tolerance, then run again. " +
				'Note: the journal still says status "completed" and deviated false (chaos run exits 0 here); graders read steady\\_states.before.steady\\_state\\_met.',
		);
		expect(tableRow(markdown, '**Status**')).toBe('| **Status** | completed |');
		expect(tableRow(markdown, '**Steady state before**')).toBe('| **Steady state before** | not met |');
	});

	it.each([
		[
			'aborted',
			journal({ status: 'aborted', steady_states: { before: metBefore, after: null, during: [] } }),
			'**Verdict, ABORTED: ✘ aborted: an unexpected error stopped the method, so the experiment proved nothing.** See the method below for where it stopped.',
		],
		[
			'interrupted',
			journal({ status: 'interrupted' }),
			'**Verdict, INTERRUPTED: ✘ interrupted: the run was stopped before it finished, so the experiment proved nothing.** Ctrl-C, a signal or a control stopped the run; run it again to the end.',
		],
		[
			'without a hypothesis',
			journal({ run: stoppedWeb }),
			'**Verdict, NOT CHECKED: • completed without a steady-state hypothesis, so nothing was verified.** Add a steady-state-hypothesis with probes and tolerances to test a claim about the system.',
		],
		[
			'stopped by --fail-fast',
			journal({
				status: 'failed',
				steady_states: {
					before: metBefore,
					after: null,
					during: [state(false, ran(healthProbe, 1.5, 1.7, http(502), { tolerance_met: false }))],
				},
			}),
			"**Verdict, FAILED: ✘ failed: a continuous check of the steady state failed during the method.** Probe 'service-answers-200' returned HTTP 502 during the method, outside its tolerance (200). With --fail-fast, that ended the run.",
		],
	])('a run %s gets its own verdict', (_, read, verdict) => {
		expect(renderReport([read], 'markdown')).toContain(`\n\n${verdict}\n\n`);
	});

	it('a dry run: skipped activities say so, and a note says why they have no output', () => {
		const markdown = renderReport(
			[journal({ dry: 'actions', steady_states: { before: metBefore, after: null, during: [] }, run: [ran(stopWeb, 1, 1, null)] })],
			'markdown',
		);

		expect(markdown).toContain('- This was a dry run (--dry actions): the skipped activities did not run and have no output.');
		expect(markdown).toContain('| 1 | action | stop-web | `docker stop web` | ✔ succeeded | +1.00 s | less than 1 ms | skipped (dry run) |');
		expect(tableRow(markdown, '**Dry run**')).toBe('| **Dry run** | actions |');
	});

	it('a failed method activity is a note too: the run goes on, but the method may not have done its job', () => {
		const markdown = renderReport(
			[
				journal({
					run: [
						ran(stopWeb, 1, 2, null, {
							status: 'failed',
							exception: ["chaoslib.exceptions.ActivityFailed: path 'docker' cannot be found, in activity 'stop-web'\n"],
						}),
					],
				}),
			],
			'markdown',
		);

		expect(markdown).toContain(
			"- Method activity 'stop-web' failed: chaoslib.exceptions.ActivityFailed: path 'docker' cannot be found, in activity 'stop-web'. A failed activity does not stop the run: check that the method did what you intended.",
		);
		expect(markdown).toContain(
			"| ✘ failed | +1.00 s | 1 s | failed: chaoslib.exceptions.ActivityFailed: path 'docker' cannot be found, in activity 'stop-web' |",
		);
	});

	it('shows each kind of tolerance and provider the way the experiment wrote it', () => {
		const probe = (name: string, tolerance: Activity['tolerance'], provider: Activity['provider']): RunEntry =>
			ran({ type: 'probe', name, tolerance, provider }, 0, 0.1, { status: 0, stdout: 'ok', stderr: '' }, { tolerance_met: true });
		const curl = { type: 'process' as const, path: 'curl', arguments: '-s http://x/ | grep ok' };
		const post = { type: 'http' as const, url: 'http://x/api', method: 'post' };
		const rows = renderReport(
			[
				journal({
					steady_states: {
						before: state(
							true,
							probe('codes', [200, 204], post),
							probe('says-ok', { type: 'regex', pattern: '^ok$', target: 'stdout' }, curl),
							probe('all-up', { type: 'jsonpath', path: '$.items[*].up', expect: true, target: 'body' }, post),
							probe(
								'load',
								{ type: 'range', range: [0, 2.5], target: 'stdout' },
								{ type: 'process', path: 'cat', arguments: ['/proc/loadavg', "it's"] },
							),
						),
						after: null,
						during: [],
					},
				}),
			],
			'markdown',
		)
			.split('\n')
			.filter((line) => /^\| \d \| /.test(line));

		expect(rows.map((row) => row.split(' | ').slice(2, 4).join(' | '))).toEqual([
			'`POST http://x/api` | `[200,204]`',
			'`curl -s http://x/ \\| grep ok` | `regex ^ok$ in stdout`',
			'`POST http://x/api` | `jsonpath $.items[*].up expect true in body`',
			"`cat /proc/loadavg 'it'\\''s'` | `range [0,2.5] in stdout`",
		]);
	});

	it('escapes learner text: HTML, pipes in table cells, Markdown syntax, and long fences', () => {
		const sneaky: Activity = {
			type: 'action',
			name: 'kill|restart *all*',
			provider: { type: 'process', path: 'sh', arguments: ['-c', 'curl -s http://x | grep ok'] },
		};
		const markdown = renderReport(
			[
				journal({
					title: '<script>alert(1)</script> | [link](http://evil)',
					run: [ran(sneaky, 1, 2, { status: 0, stdout: 'has ``` fences\n<script>x</script>', stderr: '\u001b[31mred\u001b[0m\r\n' })],
				}),
			],
			'markdown',
		);

		expect(markdown.split('\n')[0]).toBe('# \\<script\\>alert(1)\\</script\\> \\| \\[link\\](http://evil)');
		expect(markdown).toContain("| 1 | action | kill\\|restart \\*all\\* | `sh -c 'curl -s http://x \\| grep ok'` | ✔ succeeded |");
		expect(markdown).toContain('````text\nhas ``` fences\n<script>x</script>\n````');
		expect(markdown).toContain('**1. kill\\|restart \\*all\\***, stderr:\n\n```text\nred\n```');
		expect(markdown).not.toContain('<script>alert');
	});

	it('keeps long outputs bounded and says how much was left out', () => {
		const manyLines = Array.from({ length: 100 }, (_, index) => `line ${index + 1}`).join('\n');
		const markdown = renderReport(
			[
				journal({
					run: [
						ran(stopWeb, 1, 2, { status: 0, stdout: manyLines, stderr: 'E'.repeat(5000) }),
						ran(healthProbe, 2, 3, http(200, { items: 'x'.repeat(3000) })),
					],
				}),
			],
			'markdown',
		);

		const lines = manyLines.split('\n');
		const keptStdout = lines.slice(0, 40).join('\n');
		expect(markdown).toContain(
			`\`\`\`text\n${keptStdout}\n\`\`\`\n\n_Truncated: ${(manyLines.length - keptStdout.length).toLocaleString('en')} more characters are in the journal._`,
		);
		expect(markdown).toContain(
			`**1. stop-web**, stderr:\n\n\`\`\`text\n${'E'.repeat(2000)}\n\`\`\`\n\n_Truncated: 3,000 more characters are in the journal._`,
		);
		expect(markdown).not.toContain('line 41');
		const body = JSON.stringify({ items: 'x'.repeat(3000) }, null, 2);
		expect(markdown).toContain(`_Truncated: ${(body.length - 2000).toLocaleString('en')} more characters are in the journal._`);
	});

	it('several journals: a summary table, then one numbered section each', () => {
		const markdown = renderReport([notMetBefore, completed], 'markdown');

		expect(markdown.split('\n').slice(0, 8)).toEqual([
			'# Chaos Toolkit report: 2 journals',
			'',
			'## Summary',
			'',
			'| # | Experiment | Started | Status | Deviated | Before | After | Verdict | Duration |',
			'| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
			'| 1 | The shop survives losing its web container | 2024-05-01T10:00:00.000000+00:00 | completed | no | not met | not checked | ✘ NOT MET BEFORE | 2 s |',
			'| 2 | The shop survives losing its web container | 2024-05-01T10:00:00.000000+00:00 | completed | no | met | met | ✔ HELD | 4 s |',
		]);
		expect(markdown).toContain('\n## 1. The shop survives losing its web container\n');
		expect(markdown).toContain('\n## 2. The shop survives losing its web container\n');
		expect(markdown).toContain('\n### Steady-state hypothesis: The shop answers\n\n#### Before the method: not met\n');
		expect(markdown.match(/^### Method$/gm)).toHaveLength(2);
	});

	it('continuous checks: how many ran, which missed, and one timeline lane for them', () => {
		const check = (from: number, status: number) => {
			const met = status === 200;
			return state(met, ran(healthProbe, from, from + 0.2, http(status), { tolerance_met: met }));
		};
		const markdown = renderReport(
			[
				journal({
					steady_states: {
						before: state(true, ran(healthProbe, 0, 0.5, http(200), { tolerance_met: true })),
						after: state(true, ran(healthProbe, 3, 3.5, http(200), { tolerance_met: true })),
						during: [check(1, 200), check(2, 502), check(2.8, 200)],
					},
					run: [ran(stopWeb, 1, 3, { status: 0, stdout: '', stderr: '' })],
				}),
			],
			'markdown',
		);

		expect(markdown).toContain(
			'**Verdict, HELD: • the steady state held.** The hypothesis was met before, during and after the method. However, it was not met in 1 of 3 checks during the method.',
		);
		expect(tableRow(markdown, '**Continuous checks**')).toBe('| **Continuous checks** | 3 checks, 1 not met |');
		expect(markdown).toContain('### During the method: 3 checks, 1 not met\n\n| Check | At | Probe not within tolerance | Result |');
		expect(markdown).toContain('| 2 | +2.00 s | service-answers-200 | HTTP 502 |');
		expect(markdown).toContain(
			`During             3 checks             |${'·'.repeat(10)}██${'·'.repeat(8)}▒▒${'·'.repeat(6)}██${'·'.repeat(10)}|  ✘ 1 not met`,
		);
	});

	it("reads the reference tool's timestamps, which have no offset and are UTC", () => {
		const reference = journal({
			start: '2024-05-01T10:00:00.000000',
			end: '2024-05-01T10:00:02.000000',
			duration: 2,
			run: [
				{
					...ran(stopWeb, 0, 0, { status: 0, stdout: '', stderr: '' }),
					start: '2024-05-01T10:00:01.250000',
					end: '2024-05-01T10:00:01.750000',
					duration: 0.5,
				},
			],
		});

		expect(renderReport([reference], 'markdown')).toContain(
			'| 1 | action | stop-web | `docker stop web` | ✔ succeeded | +1.25 s | 500 ms | exit status 0 |',
		);
	});

	it('refuses to make a report of nothing', () => {
		expect(() => renderReport([], 'markdown')).toThrow('chaos report needs at least one journal: pass the journal file(s) written by chaos run');
	});
});

describe('renderReport as HTML', () => {
	/** The elements a report is made of: none loads anything or runs anything. */
	const REPORT_ELEMENTS = new Set([
		'html',
		'head',
		'meta',
		'title',
		'style',
		'body',
		'main',
		'section',
		'h1',
		'h2',
		'h3',
		'h4',
		'p',
		'div',
		'span',
		'table',
		'thead',
		'tbody',
		'tr',
		'th',
		'td',
		'code',
		'pre',
		'ul',
		'li',
		'a',
	]);

	/** Nothing may load from elsewhere or run: only our own elements, links only within the page, no CSS imports. */
	function expectStandalone(html: string) {
		expect(html.startsWith('<!DOCTYPE html>\n<html lang="en">')).toBe(true);
		const tags = html.slice('<!DOCTYPE html>'.length).match(/<\/?[a-zA-Z][^>]*>/g) ?? [];
		expect(new Set(tags.map((tag) => /^<\/?([a-zA-Z0-9]+)/.exec(tag)?.[1]?.toLowerCase())).difference(REPORT_ELEMENTS)).toEqual(new Set());
		expect(tags.filter((tag) => /\s(src|srcset|action|formaction|on\w+)=/i.test(tag))).toEqual([]);
		expect(html.match(/href="[^"]*"/g) ?? []).toEqual(html.match(/href="#journal-\d+"/g) ?? []);
		expect(html).not.toMatch(/url\(|@import/i);
		expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`);
		expect(html).toContain('@media (prefers-color-scheme: dark)');
		expect(html).toContain('@media print');
	}

	it('a completed run: a standalone page with the verdict, tables and a timeline positioned by time', () => {
		const html = renderReport([completed], 'html');

		expectStandalone(html);
		expect(html).toContain('<title>Chaos report: The shop survives losing its web container</title>');
		expect(html).toContain('<h1>The shop survives losing its web container</h1>');
		expect(html).toContain(
			'<div class="verdict tone-good">\n<p class="verdict-headline tone-good"><span class="badge">✔ HELD</span>The steady state held.</p>\n<p>The hypothesis was met before and after the method.</p>\n</div>',
		);
		expect(html).toContain('<tr><th scope="row">Status</th><td>completed</td></tr>');
		expect(html).toContain('<h2>Steady-state hypothesis: The shop answers</h2>');
		expect(html).toContain(
			'<tr><td>1</td><td>service-answers-200</td><td><code>GET http://localhost:8080/health</code></td><td><code>200</code></td><td>HTTP 200</td><td><span class="tone-good">✔ yes</span></td><td>500 ms</td></tr>',
		);
		expect(html).toContain('<p class="output-label">1. stop-web, stdout:</p>\n<pre>web</pre>');
		// The method ran from 1 s to 2 s of a 4 s run.
		expect(timelineRow(html, 'Method', 'stop-web')).toBe(
			'<div class="tl-row"><span class="tl-lane">Method</span><span class="tl-name">stop-web</span><span class="tl-track"><span class="tl-bar tone-good" style="left:25.00%;width:25.00%"></span></span><span class="tl-label tone-good">✔ succeeded, 1 s</span></div>',
		);
		expect(timelineRow(html, 'Rollbacks', 'start-web')).toContain('style="left:75.00%;width:25.00%"');
		expect(html).toMatch(/<span class="tl-bar tone-good" style="left:25\.00%;width:25\.00%" title="[^"]*stop-web[^"]*">/);
		expect(html).toContain(`<p class="caption">${journalTimeline(completed).caption}</p>`);
	});

	it('a deviated run: a red verdict and bar, each also labelled in words', () => {
		const html = renderReport([deviated], 'html');

		expectStandalone(html);
		expect(html).toContain(
			'<p class="verdict-headline tone-bad"><span class="badge">✘ DEVIATED</span>Deviated: the hypothesis failed after the method.</p>',
		);
		expect(html).toContain('<td>HTTP 503</td><td><span class="tone-bad">✘ no</span></td>');
		expect(timelineRow(html, 'Hypothesis after', 'service-answers-200')).toContain(
			'<span class="tl-bar tone-bad" style="left:50.00%;width:12.50%"></span></span><span class="tl-label tone-bad">✘ tolerance not met, 500 ms</span>',
		);
	});

	it('a probe that raised: the error in the table and the traceback below it', () => {
		const html = renderReport([probeRaised], 'html');

		expectStandalone(html);
		expect(html).toContain(
			'<span class="badge">✘ FAILED</span>Failed: a steady-state probe raised an error before the method, so the experiment proved nothing.',
		);
		expect(html).toContain('<td>failed: chaoslib.exceptions.ActivityFailed: failed to connect to URL: http://localhost:8080/health</td>');
		expect(html).toContain(
			'<pre>Traceback (most recent call last):\n  File &#34;chaoslib/provider/http.py&#34;, line 98, in run_http_activity\nchaoslib.exceptions.ActivityFailed',
		);
	});

	it('a steady state not met before the method', () => {
		const html = renderReport([notMetBefore], 'html');

		expectStandalone(html);
		expect(html).toContain(
			'<span class="badge">✘ NOT MET BEFORE</span>The steady state was not met before the method, so the experiment proved nothing.',
		);
		expect(html).toContain('graders read steady_states.before.steady_state_met.');
	});

	it('escapes everything that comes from the journal', () => {
		const evil = '<script>alert("x")</script>';
		const sneaky: Activity = { type: 'action', name: `a'${evil}`, provider: { type: 'http', url: `http://x/"><img src=x onerror=alert(1)>` } };
		const html = renderReport(
			[
				journal({
					title: evil,
					run: [ran(sneaky, 1, 2, http(200, `</pre>${evil}`), { status: 'failed', exception: [`Exception: ${evil}\n`] })],
				}),
			],
			'html',
		);

		expectStandalone(html);
		expect(html).not.toContain('<img');
		expect(html).toContain('<title>Chaos report: &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;</title>');
		expect(html).toContain('<h1>&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;</h1>');
		expect(html).toContain('<span class="tl-name">a&#39;&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;</span>');
		expect(html).toContain('<code>GET http://x/&#34;&#62;&#60;img src=x onerror=alert(1)&#62;</code>');
		expect(html).toContain('<pre>&#60;/pre&#62;&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;</pre>');
		expect(html).toContain('<td>failed: Exception: &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;</td>');
	});

	it('keeps long outputs bounded', () => {
		const html = renderReport([journal({ run: [ran(stopWeb, 1, 2, { status: 0, stdout: 'y'.repeat(10_000), stderr: '' })] })], 'html');

		expect(html).toContain(`<pre>${'y'.repeat(2000)}</pre>\n<p class="truncated">Truncated: 8,000 more characters are in the journal.</p>`);
		expect(html).not.toContain('y'.repeat(2001));
	});

	it('several journals: a summary table linking to one section each', () => {
		const html = renderReport([completed, deviated], 'html');

		expectStandalone(html);
		expect(html).toContain('<h1>Chaos Toolkit report: 2 journals</h1>\n<h2>Summary</h2>');
		expect(html).toContain(
			'<tr><td><a href="#journal-1">1</a></td><td>The shop survives losing its web container</td><td>2024-05-01T10:00:00.000000+00:00</td><td>completed</td><td>no</td><td>met</td><td>met</td><td><span class="tone-good">✔ HELD</span></td><td>4 s</td></tr>',
		);
		expect(html).toContain('<td><span class="tone-bad">✘ DEVIATED</span></td>');
		expect(html).toContain('<section class="journal" id="journal-1">\n<h2>1. The shop survives losing its web container</h2>');
		expect(html).toContain('<section class="journal" id="journal-2">\n<h2>2. The shop survives losing its web container</h2>');
		expect(html.match(/<h3>Method<\/h3>/g)).toHaveLength(2);
	});
});
