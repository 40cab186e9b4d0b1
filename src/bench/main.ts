import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { connectEngine, probeEngine, type Engine } from '../../sandbox/engine.ts';
import { listLabelledSandboxes, removeUnknownSandboxes } from '../../sandbox/reconcile.ts';
import type { ContainerSpec } from '../../sandbox/spec.ts';
import type { LabStatus, StartStep } from '../platform/labs.ts';
import { loadLab } from '../testing/lab-fixture.ts';
import { PlatformProcess, projectRoot } from '../testing/platform-process.ts';
import { prepareSiteAndImages } from '../testing/prepare.ts';
import { measureChaosRun } from './chaos-run.ts';
import { measurePageWeights, type PageWeight } from './page-weight.ts';
import { startDirectLab, stopDirectLab, type DirectLab } from './direct.ts';
import { PlatformClient, type LabEvents, type PlatformTerminal } from './platform-client.ts';
import { describeMachine, formatReport, saveReport, type Comparison } from './report.ts';
import { Stopwatch } from './stats.ts';
import { typeAndTime, type BenchTerminal } from './terminal.ts';

/**
 * `npm run bench`: how much the platform adds to what a learner waits for, measured against the
 * same work done straight on the Docker API in the same run (these machines are noisy, so only the
 * ratio means anything):
 *  - lab start: from the start request to the first byte of the shell in the terminal;
 *  - keystroke echo: from a key sent to its echo coming back;
 *  - `chaos run` of a two-probe experiment, process start to exit, against a plain Node script that
 *    makes the same probe calls.
 * Platform and baseline measurements alternate, so drift and noise hit both alike.
 */

const LAB = 'steady-state';
const START_TIMEOUT_MS = 120_000;
const FIRST_BYTE_TIMEOUT_MS = 30_000;
/** Uncounted first runs: the platform's first start also hashes every image context, once per process. */
const WARMUP_STARTS = 1;
const WARMUP_KEYS = 20;
const KEYS_PER_BLOCK = 50;
const WARMUP_CHAOS_RUNS = 2;
const RESULTS_DIR = path.join(projectRoot, '.data', 'bench');

interface Settings {
	starts: number;
	keys: number;
	chaosRuns: number;
}

class Interrupted extends Error {
	constructor(signal: string) {
		super(`Interrupted (${signal})`);
		this.name = 'Interrupted';
	}
}

function readSettings(env: NodeJS.ProcessEnv): Settings {
	const read = (name: string, fallback: number, minimum: number) => {
		const text = env[name];
		if (text === undefined || text === '') return fallback;
		const value = Number(text);
		if (!Number.isInteger(value) || value < minimum) {
			throw new Error(`${name}=${text} is not allowed: give a whole number of at least ${minimum} (the default is ${fallback}), or leave it unset.`);
		}
		return value;
	};
	return { starts: read('BENCH_STARTS', 10, 10), keys: read('BENCH_KEYS', 500, 500), chaosRuns: read('BENCH_CHAOS_RUNS', 20, 10) };
}

async function main(): Promise<number> {
	let settings: Settings;
	try {
		settings = readSettings(process.env);
	} catch (error) {
		console.error(`npm run bench: ${(error as Error).message}`);
		return 1;
	}
	const engine = connectEngine();
	const engineStatus = await probeEngine(engine);
	if (!engineStatus.ok) {
		console.error(`npm run bench needs the Docker engine: ${engineStatus.problem} ${engineStatus.fix}`);
		return 1;
	}
	const began = performance.now();
	const loadAtStart = os.loadavg()[0] ?? 0;
	await prepareSiteAndImages('bench');
	const specs = (await loadLab(LAB)).containers;

	// From here on the run creates engine objects: an interrupt stops the run and removes them.
	const abort = new AbortController();
	let interrupts = 0;
	const baselineId = `bench-baseline-${randomBytes(4).toString('hex')}`;
	const labelledIds = [baselineId];
	const onSignal = (signal: NodeJS.Signals) => {
		interrupts += 1;
		if (interrupts === 1) {
			console.log(`\n${signal}: stopping the run and removing what it created (again to quit at once)...`);
			abort.abort(new Interrupted(signal));
			return;
		}
		const filters = labelledIds.map((id) => `--filter label=dev.steady-state.platform=${id}`);
		console.error(`Quit without cleaning up; find what is left with \`docker ps -a ${filters.join(' ')}\` and \`docker network ls\` (same filters).`);
		process.exit(130);
	};
	process.on('SIGINT', onSignal);
	process.on('SIGTERM', onSignal);

	let platform: PlatformProcess | undefined;
	let comparisons: Comparison[] | undefined;
	let pageWeights: PageWeight[] | undefined;
	let failure: unknown;
	try {
		console.log('Starting a platform server with its own database');
		platform = await PlatformProcess.start();
		labelledIds.push(platform.platformId());
		console.log('Weighing the pages a learner downloads');
		pageWeights = await measurePageWeights(platform.url);
		comparisons = await measure(engine, platform, specs, baselineId, settings, abort.signal);
	} catch (error) {
		failure = error;
	} finally {
		if (failure && !(failure instanceof Interrupted) && platform) console.error(`Platform log (last lines):\n${platform.log.trimEnd().split('\n').slice(-15).join('\n')}`);
		try {
			await cleanUp(engine, platform, labelledIds);
		} catch (error) {
			failure ??= error;
		}
	}
	if (failure instanceof Interrupted || abort.signal.aborted) return 130;
	if (failure || !comparisons) {
		console.error(`npm run bench failed: ${describeError(failure)}`);
		return 1;
	}

	const result = {
		at: new Date().toISOString(),
		durationSeconds: (performance.now() - began) / 1000,
		settings: {
			lab: LAB,
			starts: settings.starts,
			keys: settings.keys,
			chaosRuns: settings.chaosRuns,
			warmupStarts: WARMUP_STARTS,
			warmupKeys: WARMUP_KEYS,
			keysPerBlock: KEYS_PER_BLOCK,
			warmupChaosRuns: WARMUP_CHAOS_RUNS,
		},
		machine: describeMachine(engineStatus, loadAtStart),
		comparisons,
		pageWeights,
	};
	const file = await saveReport(result, RESULTS_DIR);
	console.log(`\n${formatReport(result)}\n\nSaved to ${path.relative(process.cwd(), file)}`);
	return 0;
}


async function measure(
	engine: Engine,
	platform: PlatformProcess,
	specs: ContainerSpec[],
	baselineId: string,
	settings: Settings,
	signal: AbortSignal,
): Promise<Comparison[]> {
	const client = new PlatformClient(platform.url);
	// The first answer sets the session cookie, as the lesson page's first request does.
	await client.call<LabStatus>('GET', `/api/labs/${LAB}`, signal);
	const events = await client.followLab(LAB, signal);
	const platformLeg = async () => {
		const lab = await startThroughPlatform(client, events, signal);
		await stopThroughPlatform(client, lab.terminal, signal);
		return lab.watch;
	};
	const baselineLeg = async () => {
		const watch = new Stopwatch();
		const lab = await startDirectLab(engine, baselineId, specs, watch, signal);
		await stopDirectLab(engine, lab);
		return watch;
	};
	try {
		for (let run = 1; run <= WARMUP_STARTS; run++) {
			const [platformWatch, baselineWatch] = [await platformLeg(), await baselineLeg()];
			console.log(`lab start warm-up ${run}/${WARMUP_STARTS} (not counted): platform ${ms(platformWatch.total)}, baseline ${ms(baselineWatch.total)}`);
		}
		const starts: Comparison = { metric: 'lab start', tail: 'p95', platform: [], baseline: [], platformPhases: [], baselinePhases: [] };
		for (let run = 1; run <= settings.starts; run++) {
			// Alternate which goes first, so neither always runs right after the other's teardown.
			const platformFirst = run % 2 === 1;
			const first = await (platformFirst ? platformLeg() : baselineLeg());
			const second = await (platformFirst ? baselineLeg() : platformLeg());
			const [platformWatch, baselineWatch] = platformFirst ? [first, second] : [second, first];
			starts.platform.push(platformWatch.total);
			starts.baseline.push(baselineWatch.total);
			starts.platformPhases?.push(platformWatch);
			starts.baselinePhases?.push(baselineWatch);
			console.log(`lab start ${run}/${settings.starts}: platform ${ms(platformWatch.total)}, baseline ${ms(baselineWatch.total)}`);
		}
		const echo = await measureEcho(engine, client, events, specs, baselineId, settings.keys, signal);
		const chaosRun = await measureChaosRun(settings.chaosRuns, WARMUP_CHAOS_RUNS, signal);
		return [starts, echo, chaosRun];
	} finally {
		events.close();
	}
}

/**
 * The platform's start steps (from the status stream) and the phase each one ends, so the
 * platform's start splits into the same phases as the baseline's.
 */
const PROGRESS_ENDS: [StartStep, string][] = [
	['network', 'request'],
	['containers', 'network'],
	['start', 'create'],
	['ready', 'start'],
];

/**
 * Starts the lab as the page does and opens its terminal. Laps: up to each progress step on the
 * event stream (request, network, create, start), status `running` (ready), ticket, socket open,
 * shell attached (`ready` message), first output byte.
 */
async function startThroughPlatform(
	client: PlatformClient,
	events: LabEvents,
	signal: AbortSignal,
): Promise<{ watch: Stopwatch; terminal: PlatformTerminal }> {
	const running = events.nextPhase('running', START_TIMEOUT_MS, signal);
	// If the POST itself fails, that error is the one to report.
	running.catch(() => undefined);
	const mark = events.count;
	const watch = new Stopwatch();
	await client.call<LabStatus>('POST', `/api/labs/${LAB}/sandbox`, signal);
	const runningAt = await running;
	let next = 0;
	for (const { status, at } of events.since(mark)) {
		const step = PROGRESS_ENDS.findIndex(([name], index) => index >= next && status.step === name);
		if (step < 0) continue;
		watch.lap(PROGRESS_ENDS[step]?.[1] ?? '', at);
		next = step + 1;
	}
	watch.lap('ready', runningAt);
	const ticket = await client.terminalTicket(LAB, signal);
	watch.lap('ticket');
	const terminal = await client.connectTerminal(ticket, signal);
	watch.lap('socket');
	try {
		const firstByte = await terminal.output.firstOutput(FIRST_BYTE_TIMEOUT_MS, signal);
		watch.lap('shell', terminal.readyAt ?? firstByte);
		watch.lap('first byte', firstByte);
	} catch (error) {
		await stopThroughPlatform(client, terminal, signal).catch(() => undefined);
		throw error;
	}
	return { watch, terminal };
}

async function stopThroughPlatform(client: PlatformClient, terminal: PlatformTerminal, signal: AbortSignal): Promise<void> {
	terminal.close();
	const status = await client.call<LabStatus>('DELETE', `/api/labs/${LAB}/sandbox`, signal);
	if (status.phase !== 'stopped') throw new Error(`The lab did not stop: it is ${status.phase}${status.error ? ` (${status.error})` : ''}`);
}

/**
 * Keystroke echo on one lab through the platform and one straight on the engine, both left at a
 * settled prompt, typed in alternating blocks after a few uncounted warm-up keys.
 */
async function measureEcho(
	engine: Engine,
	client: PlatformClient,
	events: LabEvents,
	specs: ContainerSpec[],
	baselineId: string,
	keys: number,
	signal: AbortSignal,
): Promise<Comparison> {
	console.log('keystroke echo: starting one lab each way');
	const throughPlatform = await startThroughPlatform(client, events, signal);
	let direct: DirectLab | undefined;
	try {
		direct = await startDirectLab(engine, baselineId, specs, new Stopwatch(), signal);
		const terminals: [BenchTerminal, BenchTerminal] = [throughPlatform.terminal, direct.terminal];
		for (const terminal of terminals) await terminal.output.settle(300, 15_000, signal);
		for (const terminal of terminals) await typeAndTime(terminal, WARMUP_KEYS, signal);
		const echo: Comparison = { metric: 'keystroke echo', tail: 'p99', platform: [], baseline: [] };
		for (let typed = 0, block = 0; typed < keys; typed += KEYS_PER_BLOCK, block++) {
			const count = Math.min(KEYS_PER_BLOCK, keys - typed);
			const platformFirst = block % 2 === 0;
			const first = await typeAndTime(platformFirst ? terminals[0] : terminals[1], count, signal);
			const second = await typeAndTime(platformFirst ? terminals[1] : terminals[0], count, signal);
			echo.platform.push(...(platformFirst ? first : second));
			echo.baseline.push(...(platformFirst ? second : first));
			if ((block + 1) % 2 === 0 || typed + count >= keys) console.log(`keystroke echo ${typed + count}/${keys} keys each way`);
		}
		return echo;
	} finally {
		await stopThroughPlatform(client, throughPlatform.terminal, signal).catch(() => undefined);
		if (direct) await stopDirectLab(engine, direct);
	}
}

/**
 * Stops the platform and removes everything labelled with this run's ids (the baseline's and the
 * platform's), then asks the engine again: the run is only clean when the label query comes back empty.
 */
async function cleanUp(engine: Engine, platform: PlatformProcess | undefined, ids: string[]): Promise<void> {
	const count = async () => {
		const sandboxes = (await Promise.all(ids.map((id) => listLabelledSandboxes(engine, id)))).flat();
		return {
			containers: sandboxes.reduce((sum, sandbox) => sum + sandbox.containers, 0),
			networks: sandboxes.reduce((sum, sandbox) => sum + sandbox.networks, 0),
		};
	};
	const leftover = await count();
	await platform?.dispose();
	for (const id of ids) await removeUnknownSandboxes(engine, id, () => false);
	const remaining = await count();
	const labels = ids.map((id) => `dev.steady-state.platform=${id}`).join(', ');
	const summary = `${leftover.containers} containers and ${leftover.networks} networks were left and removed; the label query now finds ${remaining.containers} containers and ${remaining.networks} networks`;
	if (remaining.containers + remaining.networks > 0) {
		throw new Error(`Cleanup incomplete (${labels}): ${summary}. Remove them with \`docker rm -f\` and \`docker network rm\`, filtering on those labels.`);
	}
	console.log(`Cleanup (${labels}): ${summary}.`);
}

/** An error in one line, with the low-level cause that fetch and ws keep apart (e.g. ECONNREFUSED). */
function describeError(error: unknown): string {
	if (!(error instanceof Error)) return String(error);
	const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
	return `${error.message}${cause}`;
}

function ms(value: number): string {
	return `${value.toFixed(1)} ms`;
}

process.exit(
	await main().catch((error: unknown) => {
		console.error(`npm run bench failed: ${describeError(error)}`);
		return 1;
	}),
);
