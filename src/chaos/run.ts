import { hostname, arch, release, type } from 'node:os';
import { exceptionLines, ActivityFailed } from './errors.ts';
import type { Logger } from './log.ts';
import { runProvider } from './providers/index.ts';
import { substitute, substituteActivity } from './substitute.ts';
import { checkTolerance } from './tolerance.ts';
import {
	isRef,
	type Activity,
	type ActivityOrRef,
	type DryRun,
	type Experiment,
	type HypothesisStrategy,
	type Journal,
	type JournalStatus,
	type RollbackStrategy,
	type RunEntry,
	type Scope,
	type SteadyState,
} from './types.ts';

/** The reference library version our journals claim to match; graders that check it see a familiar value. */
export const CHAOSLIB_VERSION = '1.45.0';

export interface RunOptions {
	scope: Scope;
	hypothesisStrategy: HypothesisStrategy;
	/** Seconds between two continuous hypothesis checks (not counting the checks' own time). */
	hypothesisFrequency: number;
	/** One failed continuous check ends the run `failed`. */
	failFast: boolean;
	rollbackStrategy: RollbackStrategy;
	dry?: DryRun;
	/** false turns TLS verification off for every http activity (--no-verify-tls). */
	verifyTls: boolean;
	log: Logger;
	/** Aborted on Ctrl-C: the running activity is stopped and the run ends `interrupted`. */
	signal?: AbortSignal;
	env?: Record<string, string | undefined>;
	cwd?: string;
}

/** Thrown through the run when the learner interrupts it; never recorded as an activity failure. */
class Interrupted extends Error {
	constructor() {
		super('The run was interrupted');
		this.name = 'Interrupted';
	}
}

const ENDED: ReadonlyArray<JournalStatus | undefined> = ['aborted', 'failed', 'interrupted'];

/**
 * Runs an experiment the way the reference Chaos Toolkit does: hypothesis before, method (with the
 * hypothesis checked during it for the continuous strategies), hypothesis after, then rollbacks as
 * the strategy allows. `experiment` must have passed validation; it is copied into the journal as
 * given, with the title substituted.
 */
export async function runExperiment(experiment: Experiment, options: RunOptions): Promise<Journal> {
	const runner = new ExperimentRun(experiment, options);
	return runner.run();
}

class ExperimentRun {
	private readonly experiment: Experiment;
	private readonly options: RunOptions;
	private readonly log: Logger;
	private readonly byName = new Map<string, Activity>();
	private status: JournalStatus | undefined;
	private deviated = false;
	private readonly states: Journal['steady_states'] = { before: null, after: null, during: [] };
	private runs: RunEntry[] = [];
	private rollbackRuns: RunEntry[] = [];

	constructor(experiment: Experiment, options: RunOptions) {
		this.experiment = experiment;
		this.options = options;
		this.log = options.log;
		// Refs resolve by name across the whole experiment; the first declaration of a name wins.
		const declared = [...(experiment['steady-state-hypothesis']?.probes ?? []), ...experiment.method, ...(experiment.rollbacks ?? [])];
		for (const activity of declared) {
			if (!isRef(activity) && !this.byName.has(activity.name)) this.byName.set(activity.name, activity);
		}
	}

	async run(): Promise<Journal> {
		const { experiment, options, log } = this;
		const title = substitute(experiment.title, options.scope);
		log.info(`Running experiment: ${title}`);
		const started = performance.now();
		const start = timestamp();
		if (options.dry) log.warning('Dry mode enabled');
		// Controls are Python extensions in the reference tool; saying so beats silently skipping them.
		if (usesControls(experiment)) log.warning('This experiment declares controls; they are Python extensions of the reference tool, and this runner does not run them.');
		log.info(`Steady-state strategy: ${options.hypothesisStrategy}`);
		log.info(`Rollbacks strategy: ${options.rollbackStrategy}`);

		const probes = experiment['steady-state-hypothesis']?.probes ?? [];
		const withHypothesis = probes.length > 0;
		if (!withHypothesis) log.info("No steady state hypothesis defined. That's ok, just exploring.");

		const strategy = options.hypothesisStrategy;
		const before = strategy === 'default' || strategy === 'before-method-only' || strategy === 'continuously';
		const during = strategy === 'during-method-only' || strategy === 'continuously';
		const after = strategy === 'default' || strategy === 'after-method-only' || strategy === 'continuously';

		try {
			let proceed = true;
			if (withHypothesis && before) proceed = await this.gateHypothesis();
			if (proceed) {
				const continuous = withHypothesis && during ? this.startContinuousHypothesis() : undefined;
				try {
					await this.runMethod();
				} finally {
					await continuous?.stop();
				}
				if (!(this.status === 'interrupted' || this.status === 'aborted') && withHypothesis && after) await this.deviationHypothesis();
			}
		} catch (error) {
			if (!(error instanceof Interrupted)) throw error;
			this.status = 'interrupted';
			log.warning('Received a termination signal (Ctrl-C)...');
		}

		await this.runRollbacks();

		// Like the reference: anything that did not end otherwise completed.
		const status: JournalStatus = this.status ?? 'completed';
		log.info(`Experiment ended with status: ${this.deviated ? 'deviated' : status}`);
		if (this.deviated) log.info('The steady-state has deviated, a weakness may have been discovered');
		return {
			'chaoslib-version': CHAOSLIB_VERSION,
			platform: platformName(),
			node: hostname(),
			experiment: { ...experiment, title: title as string, dry: options.dry ?? null },
			start,
			status,
			deviated: this.deviated,
			steady_states: this.states,
			run: this.runs,
			rollbacks: this.rollbackRuns,
			end: timestamp(),
			duration: (performance.now() - started) / 1000,
		};
	}

	/**
	 * The hypothesis before the method. A probe that raised fails the run and skips the method.
	 * A probe that only missed its tolerance also skips the method but, as the reference tool
	 * behaves (see the compat notes), leaves the run `completed` and not deviated: graders must
	 * read `steady_states.before.steady_state_met`.
	 */
	private async gateHypothesis(): Promise<boolean> {
		const state = await this.hypothesis();
		this.states.before = state;
		if (state.steady_state_met) return true;
		const last = state.probes[state.probes.length - 1];
		if (last?.status === 'failed') this.status = 'failed';
		this.log.critical(`Steady state probe '${last?.activity.name}' is not in the given tolerance so failing this experiment`);
		return false;
	}

	private async deviationHypothesis(): Promise<void> {
		const state = await this.hypothesis();
		this.states.after = state;
		if (state.steady_state_met) return;
		this.deviated = true;
		this.status = 'failed';
		const last = state.probes[state.probes.length - 1];
		this.log.critical(`Steady state probe '${last?.activity.name}' is not in the given tolerance so failing this experiment`);
	}

	/** Runs the hypothesis probes in order, stopping at the first that fails or misses its tolerance. */
	private async hypothesis(): Promise<SteadyState> {
		const hypothesis = this.experiment['steady-state-hypothesis'];
		this.log.info(`Steady state hypothesis: ${hypothesis?.title ?? ''}`);
		const state: SteadyState = { steady_state_met: false, probes: [] };
		for (const probe of hypothesis?.probes ?? []) {
			const { entry, activity } = await this.execute(probe);
			state.probes.push(entry);
			if (entry.status === 'failed') {
				entry.tolerance_met = false;
				this.log.warning('Probe terminated unexpectedly, so its tolerance could not be validated');
				return state;
			}
			entry.tolerance_met = true;
			// No tolerance is checked in a dry run: nothing ran to produce an output.
			if (this.options.dry) continue;
			if (isAlwaysTruthyProbeTolerance(activity.tolerance)) {
				this.log.warning(
					`Probe '${activity.name}': its probe tolerance passes whenever that probe runs, because an http or process result is a mapping and the reference counts any non-empty mapping as true; to check what it returned, use a regex, jsonpath or range tolerance with a "target".`,
				);
			}
			// Only reachable with --no-validation: the reference treats a missing tolerance as not met.
			const outcome =
				activity.tolerance === undefined
					? { met: false, message: 'this hypothesis probe has no "tolerance"; add one (e.g. "tolerance": 200)' }
					: await checkTolerance(activity.tolerance, entry.output, {
							scope: this.options.scope,
							runProbe: (toleranceProbe) => this.call(toleranceProbe),
						});
			if (outcome.message) this.log.warning(`Probe '${activity.name}': ${outcome.message}`);
			if (!outcome.met) {
				entry.tolerance_met = false;
				return state;
			}
		}
		state.steady_state_met = true;
		this.log.info('Steady state hypothesis is met!');
		return state;
	}

	private startContinuousHypothesis(): { stop: () => Promise<void> } {
		const { hypothesisFrequency: frequency, failFast } = this.options;
		const stopped = new AbortController();
		this.log.info(`Executing the steady-state hypothesis continuously every ${frequency} seconds`);
		const loop = (async () => {
			let iteration = 0;
			while (!stopped.signal.aborted && !ENDED.includes(this.status)) {
				iteration += 1;
				this.log.debug(`Steady state iteration ${iteration}`);
				const state = await this.hypothesis();
				this.states.during.push(state);
				if (!state.steady_state_met) {
					const last = state.probes[state.probes.length - 1];
					this.log.warning(`Continuous steady state probe '${last?.activity.name}' is not in the given tolerance`);
					if (failFast) {
						this.log.info('Terminating immediately the experiment');
						this.status = 'failed';
						break;
					}
				}
				await sleep(frequency, stopped.signal);
			}
		})().catch((error: unknown) => {
			// The reference marks the run aborted when its continuous checks crash.
			if (error instanceof Interrupted) return;
			this.status = 'aborted';
			this.log.critical(error instanceof Error ? error.message : String(error));
		});
		return {
			stop: async () => {
				stopped.abort();
				await loop;
				this.log.info('Continuous steady state hypothesis terminated');
			},
		};
	}

	private async runMethod(): Promise<void> {
		this.log.info("Playing your experiment's method now...");
		const method = this.experiment.method;
		if (method.length === 0) this.log.info("No declared activities, let's move on.");
		const pending: Array<Promise<RunEntry> | RunEntry> = [];
		try {
			for (const activity of method) {
				if (this.resolve(activity).background) {
					const background = this.execute(activity).then((result) => result.entry);
					// Observed below; this keeps an early rejection from being reported as unhandled meanwhile.
					background.catch(() => undefined);
					pending.push(background);
				} else {
					pending.push((await this.execute(activity)).entry);
				}
				// A failed continuous check (--fail-fast) ends the method after the current activity.
				if (ENDED.includes(this.status)) break;
			}
			this.runs = await Promise.all(pending);
		} catch (error) {
			// Background activities still running are waited for, so their processes never outlive the run.
			const settled = await Promise.allSettled(pending);
			this.runs = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
			if (error instanceof Interrupted) throw error;
			this.status = 'aborted';
			this.log.critical(`Experiment ran into an un expected fatal error, aborting now. ${error instanceof Error ? error.message : String(error)}`);
		}
	}

	private async runRollbacks(): Promise<void> {
		const { rollbackStrategy: strategy, log } = this.options;
		let play = false;
		if (strategy === 'always') {
			log.warning('Rollbacks were explicitly requested to be played');
			play = true;
		} else if (strategy === 'never') {
			log.warning('Rollbacks were explicitly requested to not be played');
		} else if (strategy === 'default') {
			play = this.status !== 'failed' && this.status !== 'interrupted';
		} else if (this.deviated) {
			log.warning('Rollbacks will be played only because the experiment deviated');
			play = true;
		} else {
			log.warning('Rollbacks were explicitly requested to be played only if the experiment deviated. Since this is not the case, we will not play them.');
		}
		if (!play) return;

		log.info("Let's rollback...");
		const rollbacks = this.experiment.rollbacks ?? [];
		if (rollbacks.length === 0) log.info('No declared rollbacks, let\'s move on.');
		const pending: Array<Promise<RunEntry> | RunEntry> = [];
		try {
			for (const rollback of rollbacks) {
				log.info(`Rollback: ${this.resolve(rollback).name}`);
				if (this.resolve(rollback).background) {
					const background = this.execute(rollback).then((result) => result.entry);
					background.catch(() => undefined);
					pending.push(background);
				} else {
					pending.push((await this.execute(rollback)).entry);
				}
			}
			this.rollbackRuns = await Promise.all(pending);
		} catch (error) {
			const settled = await Promise.allSettled(pending);
			this.rollbackRuns = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
			if (!(error instanceof Interrupted)) throw error;
			this.status = 'interrupted';
			log.warning('Received an exit signal. Terminating now without running the remaining rollbacks.');
		}
	}

	private resolve(activity: ActivityOrRef): Activity {
		if (!isRef(activity)) return activity;
		const found = this.byName.get(activity.ref);
		if (!found) throw new ActivityFailed(`could not find referenced activity '${activity.ref}'`);
		return found;
	}

	/**
	 * One activity with its pauses, recorded as the reference tool records it. Only an
	 * ActivityFailed is the activity's failure; anything else is a fault in the run itself.
	 */
	private async execute(activityOrRef: ActivityOrRef): Promise<{ entry: RunEntry; activity: Activity }> {
		const activity = this.resolve(activityOrRef);
		const { dry, signal, log } = this.options;
		const pauses = substitute(activity.pauses ?? {}, this.options.scope);
		const skip = dry === 'activities' || (dry === 'probes' && activity.type === 'probe') || (dry === 'actions' && activity.type === 'action');
		const pausesApply = dry !== 'pause' && !skip;

		const before = Number(pauses.before ?? 0);
		if (before) {
			log.info(`Pausing before next activity for ${before}s...`);
			if (pausesApply) await this.pause(before);
		}
		const kind = activity.type === 'probe' ? 'Probe' : 'Action';
		log.info(`${kind}: ${activity.name}${activity.background ? ' [in background]' : ''}`);

		const started = performance.now();
		const start = timestamp();
		let output: unknown = null;
		let failure: unknown;
		try {
			if (!skip) output = await this.call(activity);
			log.debug(output === null ? '  => succeeded without any result value' : `  => succeeded with '${preview(output)}'`);
		} catch (error) {
			if (signal?.aborted) throw new Interrupted();
			if (!(error instanceof ActivityFailed)) throw error;
			failure = error;
			log.error(`  => failed: ${error.message}`);
		}
		const entry: RunEntry = {
			activity: structuredClone(activity),
			output,
			start,
			status: failure ? 'failed' : 'succeeded',
			end: timestamp(),
			duration: (performance.now() - started) / 1000,
		};
		if (failure) entry.exception = exceptionLines(failure);

		const after = Number(pauses.after ?? 0);
		if (after) {
			log.info(`Pausing after activity for ${after}s...`);
			if (pausesApply) await this.pause(after);
		}
		return { entry, activity };
	}

	/** Calls an activity's provider with configuration and secrets substituted; throws ActivityFailed. */
	private async call(activity: Activity): Promise<unknown> {
		const { signal, verifyTls, env, cwd } = this.options;
		if (signal?.aborted) throw new Interrupted();
		const prepared = substituteActivity(activity, this.options.scope);
		return runProvider(prepared.provider, { verifyTls, signal, env, cwd });
	}

	private async pause(seconds: number): Promise<void> {
		await sleep(seconds, this.options.signal);
		if (this.options.signal?.aborted) throw new Interrupted();
	}
}

/** The reference's trap: a probe tolerance calling http or process gets a dict back, which Python counts as true. */
function isAlwaysTruthyProbeTolerance(tolerance: unknown): boolean {
	if (typeof tolerance !== 'object' || tolerance === null || Array.isArray(tolerance)) return false;
	const { type, provider } = tolerance as { type?: unknown; provider?: { type?: unknown } };
	return type === 'probe' && (provider?.type === 'http' || provider?.type === 'process');
}

function usesControls(experiment: Experiment): boolean {
	const activities = [...(experiment['steady-state-hypothesis']?.probes ?? []), ...experiment.method, ...(experiment.rollbacks ?? [])];
	const declared = (controls: unknown) => Array.isArray(controls) && controls.length > 0;
	return (
		declared(experiment.controls) ||
		declared(experiment['steady-state-hypothesis']?.controls) ||
		activities.some((activity) => !isRef(activity) && declared(activity.controls))
	);
}

/** Resolves after `seconds`, or at once when `signal` aborts. */
function sleep(seconds: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve) => {
		if (signal?.aborted) return resolve();
		const timer = setTimeout(done, seconds * 1000);
		function done() {
			clearTimeout(timer);
			signal?.removeEventListener('abort', done);
			resolve();
		}
		signal?.addEventListener('abort', done, { once: true });
	});
}

/**
 * ISO 8601 with microseconds and an explicit UTC offset, as the reference writes timestamps
 * (`2026-11-25T10:00:00.123456+00:00`), so that tools parsing either journal agree.
 */
export function timestamp(): string {
	const now = performance.timeOrigin + performance.now();
	const wholeMs = Math.floor(now);
	const micros = Math.floor((now - wholeMs) * 1000);
	const iso = new Date(wholeMs).toISOString(); // 2026-11-25T10:00:00.123Z
	return `${iso.slice(0, 23)}${String(micros).padStart(3, '0')}+00:00`;
}

/** Like Python's platform.platform(): enough for a reader to know where a journal came from. */
function platformName(): string {
	return `${type()}-${release()}-${arch()}-with-node${process.versions.node}`;
}

function preview(value: unknown): string {
	const text = typeof value === 'string' ? value : JSON.stringify(value);
	return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
