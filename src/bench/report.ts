import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatPageWeights, type PageWeight } from './page-weight.ts';
import { ratio, summarize, type Stopwatch, type Summary } from './stats.ts';

/** One metric, measured through the platform and straight on the engine in the same run. */
export interface Comparison {
	metric: string;
	/** The tail percentile this metric is judged by. */
	tail: 'p95' | 'p99';
	platform: number[];
	baseline: number[];
	/** Where the time of each measurement went, phase by phase, for metrics that have phases. */
	platformPhases?: Stopwatch[];
	baselinePhases?: Stopwatch[];
}

export interface Machine {
	cpus: number;
	cpuModel: string;
	memoryGiB: number;
	os: string;
	node: string;
	engine: string;
	/** 1-minute load average at the start and end of the run: a busy machine shows here. */
	loadAverage: { start: number; end: number };
}

export interface BenchResult {
	at: string;
	durationSeconds: number;
	/** How the run was made (counts, warm-ups, block sizes), so runs are only compared like for like. */
	settings: Record<string, number | string>;
	machine: Machine;
	comparisons: Comparison[];
	/** What each kind of page makes the browser download. */
	pageWeights?: PageWeight[];
}

export function describeMachine(engine: { version: string; apiVersion: string }, loadAtStart: number): Machine {
	const cpus = os.cpus();
	return {
		cpus: cpus.length,
		cpuModel: cpus[0]?.model.trim() ?? 'unknown',
		memoryGiB: Math.round(os.totalmem() / 2 ** 30),
		os: `${os.type()} ${os.release()}`,
		node: process.version,
		engine: `Docker Engine ${engine.version} (API ${engine.apiVersion})`,
		loadAverage: { start: loadAtStart, end: os.loadavg()[0] ?? 0 },
	};
}

const ms = (value: number) => value.toFixed(1);
const times = (value: number | undefined) => (value === undefined ? 'n/a' : `${value.toFixed(2)}x`);

/** The results as a person reads them: one row per metric, then where the lab start time goes. */
export function formatReport(result: BenchResult): string {
	const { machine } = result;
	const lines = [
		`Steady State benchmark, ${result.at}, ${result.durationSeconds.toFixed(0)} s (${Object.entries(result.settings).map(([key, value]) => `${key} ${value}`).join(', ')})`,
		`Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}, ${machine.engine}, load ${machine.loadAverage.start.toFixed(2)} -> ${machine.loadAverage.end.toFixed(2)}`,
		'All times in milliseconds. Ratio = ours / baseline, measured in the same run, interleaved. Baselines: lab start and',
		'keystroke echo straight on the Docker API; chaos run a plain Node script making the same probe calls.',
		'',
	];
	const rows = [['metric', 'n', 'ours p50', 'ours tail', 'baseline p50', 'baseline tail', 'ratio p50', 'ratio tail']];
	for (const comparison of result.comparisons) {
		const platform = summarize(comparison.platform);
		const baseline = summarize(comparison.baseline);
		const tail = comparison.tail;
		rows.push([
			comparison.metric,
			String(platform.n),
			ms(platform.p50),
			`${ms(platform[tail])} (${tail})`,
			ms(baseline.p50),
			`${ms(baseline[tail])} (${tail})`,
			times(ratio(platform.p50, baseline.p50)),
			times(ratio(platform[tail], baseline[tail])),
		]);
	}
	lines.push(...alignColumns(rows));
	for (const comparison of result.comparisons) {
		if (!comparison.platformPhases || !comparison.baselinePhases) continue;
		lines.push('', `Where the ${comparison.metric} time goes (p50 of each phase, in order):`);
		lines.push(`  platform: ${formatPhases(comparison.platformPhases)}`);
		lines.push(`  baseline: ${formatPhases(comparison.baselinePhases)}`);
	}
	if (result.pageWeights) lines.push('', ...formatPageWeights(result.pageWeights));
	return lines.join('\n');
}

function formatPhases(watches: Stopwatch[]): string {
	return Object.entries(phaseSummaries(watches))
		.map(([phase, summary]) => `${phase} ${ms(summary.p50)}`)
		.join(' | ');
}

function phaseSummaries(watches: Stopwatch[]): Record<string, Summary> {
	const samples = new Map<string, number[]>();
	for (const watch of watches) {
		for (const [phase, duration] of watch.laps) samples.set(phase, [...(samples.get(phase) ?? []), duration]);
	}
	return Object.fromEntries([...samples].map(([phase, values]) => [phase, summarize(values)]));
}

function alignColumns(rows: string[][]): string[] {
	const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
	return rows.map((row) =>
		row
			.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
			.join('  '),
	);
}

/** Writes the results, raw samples included, to `<dir>/latest.json` for comparison with later runs. */
export async function saveReport(result: BenchResult, dir: string): Promise<string> {
	const round = (value: number) => Math.round(value * 1000) / 1000;
	const roundSummary = (summary: Summary) => Object.fromEntries(Object.entries(summary).map(([key, value]) => [key, round(value)]));
	const json = {
		at: result.at,
		durationSeconds: round(result.durationSeconds),
		settings: result.settings,
		machine: result.machine,
		pageWeights: result.pageWeights,
		metrics: result.comparisons.map((comparison) => {
			const platform = summarize(comparison.platform);
			const baseline = summarize(comparison.baseline);
			const phases = (watches: Stopwatch[] | undefined) =>
				watches && Object.fromEntries(Object.entries(phaseSummaries(watches)).map(([phase, summary]) => [phase, roundSummary(summary)]));
			return {
				metric: comparison.metric,
				unit: 'ms',
				tail: comparison.tail,
				ratio: {
					p50: round(ratio(platform.p50, baseline.p50) ?? Number.NaN),
					[comparison.tail]: round(ratio(platform[comparison.tail], baseline[comparison.tail]) ?? Number.NaN),
				},
				platform: { ...roundSummary(platform), phases: phases(comparison.platformPhases), samples: comparison.platform.map(round) },
				baseline: { ...roundSummary(baseline), phases: phases(comparison.baselinePhases), samples: comparison.baseline.map(round) },
			};
		}),
	};
	await mkdir(dir, { recursive: true });
	const file = path.join(dir, 'latest.json');
	await writeFile(file, `${JSON.stringify(json, null, '\t')}\n`);
	return file;
}
