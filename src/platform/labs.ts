import { randomBytes } from 'node:crypto';
import { probeEngine, type Engine, type EngineStatus } from '../../sandbox/engine.ts';
import type { ImageBuilder, ImageProgress } from '../../sandbox/images.ts';
import { removeUnknownSandboxes } from '../../sandbox/reconcile.ts';
import { removeSandboxObjects, Sandbox, type SandboxProgress } from '../../sandbox/sandbox.ts';
import type { FaultChannels } from '../faults/channel.ts';
import type { FaultService } from '../faults/service.ts';
import { containerSpecs, labImageTags, memberSpecs, type Lab, type LabCatalog } from '../labs/catalog.ts';
import type { CheckResultRecord, FaultRecord, SandboxRecord, SandboxRecordState, Store } from '../store/store.ts';
import type { TerminalSession } from '../terminal/terminal-session.ts';
import type { Terminals } from '../terminal/terminals.ts';
import type { TicketGrant } from '../terminal/tickets.ts';
import { runTaskCheck } from './checks.ts';
import { LabError } from './errors.ts';
import { JournalReader, learnerWorkstation, requireJournalName, type JournalDocument, type JournalEntry } from './journals.ts';

/** Where a learner's lab is: the state of their latest sandbox ('stopped' when they never had one). */
export type LabPhase = SandboxRecordState;

/** What a start is doing: preparing images, then the sandbox's own steps. */
export type StartStep = 'images' | SandboxProgress['step'];

/** Everything the lab panel shows, in one object, so a page load and a live update look the same. */
export interface LabStatus {
	lab: string;
	phase: LabPhase;
	/** What a start is doing right now, in words and as a step. */
	progress?: string;
	step?: StartStep;
	/** Why the last start failed, or why the lab stopped on its own. */
	error?: string;
	engine: EngineStatus;
	results: Record<string, { passed: boolean; message: string; checkedAt: string }>;
	/** Tasks whose check is running now. */
	checking: string[];
}

interface Launch {
	controller: AbortController;
	done: Promise<void>;
}

export interface LabServiceOptions {
	engine: Engine;
	store: Store;
	catalog: LabCatalog;
	images: ImageBuilder;
	terminals: Terminals;
	/** Each sandbox's channel to the platform, through which its fault agent asks for faults. */
	channels: FaultChannels;
	faults: FaultService;
	platformId: string;
	log: (message: string) => void;
}

/**
 * A learner's labs: starting and stopping sandboxes, running checks, and telling the page. The store
 * holds the truth about which sandboxes should exist; the engine is brought in line with it at
 * start-up (`recover`), so a crash never leaves orphans behind.
 */
export class LabService {
	private readonly sandboxes = new Map<string, Sandbox>();
	private readonly launches = new Map<string, Launch>();
	private readonly progress = new Map<string, { message: string; step: StartStep }>();
	private readonly checking = new Map<string, Set<string>>();
	private readonly listeners = new Map<string, Set<(status: LabStatus) => void>>();
	private readonly journalReader = new JournalReader();
	private engineStatus: { at: number; status: EngineStatus } | undefined;
	private recovering: Promise<void> | undefined;
	private readonly options: LabServiceOptions;

	constructor(options: LabServiceOptions) {
		this.options = options;
	}

	async engine(): Promise<EngineStatus> {
		const cached = this.engineStatus;
		if (cached && Date.now() - cached.at < 2000) return cached.status;
		const status = await probeEngine(this.options.engine);
		this.engineStatus = { at: Date.now(), status };
		return status;
	}

	async status(learnerId: string, labId: string): Promise<LabStatus> {
		this.lab(labId);
		const record = this.options.store.latestSandbox(learnerId, labId);
		const results = Object.fromEntries(
			this.options.store.latestCheckResults(learnerId, labId).map((result) => [result.taskId, { passed: result.passed, message: result.message, checkedAt: result.checkedAt }]),
		);
		const phase: LabPhase = record?.state ?? 'stopped';
		const progress = record && phase === 'starting' ? this.progress.get(record.id) : undefined;
		return {
			lab: labId,
			phase,
			progress: progress?.message,
			step: progress?.step,
			error: record?.error ?? undefined,
			engine: await this.engine(),
			results,
			checking: [...(this.checking.get(key(learnerId, labId)) ?? [])],
		};
	}

	subscribe(learnerId: string, labId: string, listener: (status: LabStatus) => void): () => void {
		const listenerKey = key(learnerId, labId);
		const set = this.listeners.get(listenerKey) ?? new Set();
		set.add(listener);
		this.listeners.set(listenerKey, set);
		return () => {
			set.delete(listener);
			if (set.size === 0) this.listeners.delete(listenerKey);
		};
	}

	/** Starts the learner's sandbox for a lab in the background; a lab already starting or running is left as it is. */
	async start(learnerId: string, labId: string): Promise<LabStatus> {
		const lab = this.lab(labId);
		await this.requireEngine();
		await this.recover();
		const current = this.options.store.latestSandbox(learnerId, labId);
		if (current && (current.state === 'starting' || current.state === 'running')) return this.status(learnerId, labId);
		if (current?.state === 'stopping') throw new LabError(409, 'The lab is still stopping; start it again in a moment.');

		const record = this.options.store.insertSandbox({ id: randomBytes(6).toString('hex'), learnerId, labId });
		const controller = new AbortController();
		const done = this.launch(record, lab, controller.signal).finally(() => this.launches.delete(record.id));
		this.launches.set(record.id, { controller, done });
		await this.emit(learnerId, labId);
		return this.status(learnerId, labId);
	}

	/** Stops the learner's sandbox for a lab, cancelling a start in progress. Stopping a stopped lab is fine. */
	async stop(learnerId: string, labId: string): Promise<LabStatus> {
		this.lab(labId);
		const record = this.options.store.latestSandbox(learnerId, labId);
		if (!record || record.state === 'stopped' || record.state === 'failed') return this.status(learnerId, labId);
		const launch = this.launches.get(record.id);
		if (launch) {
			launch.controller.abort();
			await launch.done;
		}
		this.options.store.setSandboxState(record.id, 'stopping');
		await this.emit(learnerId, labId);
		await this.options.terminals.endSandbox(record.id);
		const sandbox = this.sandboxes.get(record.id);
		this.sandboxes.delete(record.id);
		// Removing the containers reverts every fault in them; the channel goes with them.
		if (sandbox) {
			if (sandbox.state === 'ready') this.options.faults.recordStopped(sandbox);
			await sandbox.destroy();
		}
		else await removeSandboxObjects(this.options.engine, this.options.platformId, record.id);
		await this.options.channels.close(record.id);
		this.options.store.setSandboxState(record.id, 'stopped');
		await this.emit(learnerId, labId);
		return this.status(learnerId, labId);
	}

	async runCheck(learnerId: string, labId: string, taskId: string): Promise<CheckResultRecord> {
		const lab = this.lab(labId);
		const task = lab.manifest.tasks.find((candidate) => candidate.id === taskId);
		if (!task) throw new LabError(404, `Lab "${labId}" has no task "${taskId}".`, `Its tasks are: ${lab.manifest.tasks.map((t) => t.id).join(', ')}.`);
		const sandbox = this.runningSandbox(learnerId, labId);
		if (!sandbox) throw new LabError(409, 'The lab is not running.', 'Start the lab, do the task, then check it.');
		const checkingKey = key(learnerId, labId);
		const running = this.checking.get(checkingKey) ?? new Set<string>();
		if (running.has(taskId)) throw new LabError(409, 'This task is already being checked; wait for the result.');
		running.add(taskId);
		this.checking.set(checkingKey, running);
		await this.emit(learnerId, labId);
		try {
			const outcome = await runTaskCheck(sandbox, lab, task);
			return this.options.store.addCheckResult({ learnerId, labId, taskId, ...outcome });
		} finally {
			running.delete(taskId);
			await this.emit(learnerId, labId);
		}
	}

	/** The terminal for a ticket's sandbox, if that sandbox still runs and belongs to the ticket's learner. */
	async terminalFor(grant: TicketGrant, size: { cols: number; rows: number }): Promise<TerminalSession | undefined> {
		const sandbox = this.runningSandbox(grant.learnerId, grant.labId);
		if (!sandbox || sandbox.id !== grant.sandboxId) return undefined;
		const lab = this.lab(grant.labId);
		return this.options.terminals.forSandbox(sandbox, lab.workstation, size);
	}

	/** The faults this learner caused in this lab (applied, refused, failed, reverted), newest first. */
	faultLog(learnerId: string, labId: string): FaultRecord[] {
		this.lab(labId);
		return this.options.channels.faultLog(learnerId, labId);
	}

	/** Undoes every fault in the learner's running sandbox, proxies included; answers with what was undone. */
	async resetFaults(learnerId: string, labId: string): Promise<FaultRecord[]> {
		this.lab(labId);
		const sandbox = this.runningSandbox(learnerId, labId);
		if (!sandbox) throw new LabError(409, 'The lab is not running, so it has no faults to undo.', 'Start the lab first.');
		return this.options.faults.resetAll(sandbox);
	}

	/** Whether a sandbox is one the platform keeps running (not starting, stopping or gone). */
	isLive(sandboxId: string): boolean {
		return this.sandboxes.get(sandboxId)?.state === 'ready';
	}

	/** The Chaos Toolkit journals in the learner's running workstation, newest first. */
	async journals(learnerId: string, labId: string): Promise<JournalEntry[]> {
		return this.journalReader.list(this.runningWorkstation(learnerId, labId));
	}

	/** One journal from the learner's running workstation, by its path relative to their home. */
	async journal(learnerId: string, labId: string, name: string): Promise<JournalDocument> {
		this.lab(labId);
		requireJournalName(name);
		return this.journalReader.read(this.runningWorkstation(learnerId, labId), name);
	}

	/** The running sandbox of a learner's lab, for issuing a terminal ticket. */
	runningSandboxId(learnerId: string, labId: string): string | undefined {
		return this.runningSandbox(learnerId, labId)?.id;
	}

	/**
	 * Brings the engine in line with the store, once per engine availability: sandboxes recorded as
	 * running are adopted if all their containers still run; everything else labelled with this
	 * platform's id is removed.
	 */
	recover(): Promise<void> {
		this.recovering ??= this.reconcile().catch((error: unknown) => {
			this.recovering = undefined;
			throw error;
		});
		return this.recovering;
	}

	/** Builds every image the labs need, reporting progress; lab starts share the same builds. */
	async prepareImages(): Promise<void> {
		const recipes = new Set(this.options.catalog.list().flatMap((lab) => Object.values(lab.containerImages)));
		for (const recipe of recipes) await this.options.images.ensure(recipe);
	}

	/** Ends terminals and leaves sandboxes running for the next start to adopt. */
	async shutdown(): Promise<void> {
		for (const launch of this.launches.values()) launch.controller.abort();
		await Promise.allSettled([...this.launches.values()].map((launch) => launch.done));
		await this.options.terminals.endAll('The platform is restarting; reload the page in a moment.');
		// The sandboxes stay for the next start to adopt, and with them their channel folders.
		await this.options.channels.closeAll();
	}

	private async reconcile(): Promise<void> {
		const { store, engine, platformId } = this.options;
		const adopted = new Set<string>();
		for (const record of store.liveSandboxes()) {
			if (this.sandboxes.has(record.id)) {
				adopted.add(record.id);
				continue;
			}
			const lab = this.options.catalog.get(record.labId);
			const sandbox =
				record.state === 'running' && lab
					? await Sandbox.adopt(engine, identityOf(record, platformId), memberSpecs(lab))
					: undefined;
			if (sandbox) {
				await this.options.channels.listen(sandbox);
				this.sandboxes.set(record.id, sandbox);
				adopted.add(record.id);
				this.options.log(`Adopted the running sandbox ${record.id} (${record.labId}) of learner ${record.learnerId}`);
			} else {
				await removeSandboxObjects(engine, platformId, record.id);
				await this.options.channels.close(record.id);
				store.setSandboxState(record.id, 'stopped', 'The lab stopped while the platform was not running; start it again.');
			}
		}
		const removed = await removeUnknownSandboxes(engine, platformId, (sandboxId) => adopted.has(sandboxId));
		for (const orphan of removed) {
			await this.options.channels.close(orphan.sandboxId).catch(() => undefined);
			this.options.log(`Removed the orphaned sandbox ${orphan.sandboxId} (${orphan.containers} containers, ${orphan.networks} networks)`);
		}
	}

	private async launch(record: SandboxRecord, lab: Lab, signal: AbortSignal): Promise<void> {
		const { learnerId, labId } = record;
		const report = (step: StartStep, message: string) => {
			this.progress.set(record.id, { step, message });
			void this.emit(learnerId, labId);
		};
		const stopListening = this.options.images.onProgress((event: ImageProgress) => report('images', `Preparing lab images (first start only). ${event.message}`));
		try {
			report('images', 'Preparing lab images');
			const tags = await labImageTags(lab, (recipe) => abortable(this.options.images.ensure(recipe), signal));
			stopListening();
			const channel = await this.options.channels.prepare(record.id);
			const sandbox = await Sandbox.create(
				this.options.engine,
				{ ...identityOf(record, this.options.platformId), containers: containerSpecs(lab, tags, channel) },
				{ signal, onProgress: (event: SandboxProgress) => report(event.step, event.message) },
			);
			await this.options.channels.listen(sandbox);
			this.sandboxes.set(record.id, sandbox);
			this.options.store.setSandboxState(record.id, 'running');
		} catch (error) {
			if (signal.aborted) {
				this.options.store.setSandboxState(record.id, 'stopping');
			} else {
				const message = error instanceof Error ? error.message : String(error);
				this.options.log(`Starting lab ${labId} for ${learnerId} failed: ${error instanceof Error ? error.stack : message}`);
				// Sandbox.create has removed whatever it made before rethrowing.
				this.options.store.setSandboxState(record.id, 'failed', message);
			}
			await this.options.channels.close(record.id).catch(() => undefined);
		} finally {
			stopListening();
			this.progress.delete(record.id);
			await this.emit(learnerId, labId);
		}
	}

	private runningSandbox(learnerId: string, labId: string): Sandbox | undefined {
		const record = this.options.store.latestSandbox(learnerId, labId);
		if (!record || record.state !== 'running') return undefined;
		const sandbox = this.sandboxes.get(record.id);
		return sandbox?.state === 'ready' ? sandbox : undefined;
	}

	private runningWorkstation(learnerId: string, labId: string) {
		const lab = this.lab(labId);
		const sandbox = this.runningSandbox(learnerId, labId);
		if (!sandbox) throw new LabError(409, 'The lab is not running.', 'Start the lab, then run `chaos run experiment.json` in its terminal.');
		return learnerWorkstation(sandbox, lab);
	}

	private lab(labId: string): Lab {
		const lab = this.options.catalog.get(labId);
		if (!lab) throw new LabError(404, `There is no lab "${labId}".`, `Labs on this platform: ${this.options.catalog.ids().join(', ') || 'none'}.`);
		return lab;
	}

	private async requireEngine(): Promise<void> {
		this.engineStatus = undefined;
		const status = await this.engine();
		if (!status.ok) throw new LabError(503, status.problem, status.fix);
	}

	private async emit(learnerId: string, labId: string): Promise<void> {
		const listeners = this.listeners.get(key(learnerId, labId));
		if (!listeners?.size) return;
		const status = await this.status(learnerId, labId);
		for (const listener of listeners) {
			try {
				listener(status);
			} catch {
				// A listener that broke (a closed page) must not stop the lab.
			}
		}
	}
}

function key(learnerId: string, labId: string): string {
	return `${learnerId}\u0000${labId}`;
}

function identityOf(record: SandboxRecord, platformId: string) {
	return { platformId, sandboxId: record.id, learnerId: record.learnerId, labId: record.labId };
}

/** Stops waiting for `work` when the signal fires; the work itself (a shared image build) goes on. */
function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
	signal.throwIfAborted();
	return new Promise<T>((resolve, reject) => {
		const onAbort = () => reject(signal.reason);
		signal.addEventListener('abort', onAbort, { once: true });
		work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
	});
}
