import type { Readable } from 'node:stream';
import { isConflict, isNotFound, isNotModified, type Engine } from './engine.ts';
import { containerName, LABELS } from './labels.ts';
import type { RestartSpec } from './spec.ts';

/**
 * Carries out each lab's restart policy: when a sandbox container's main process ends on its own
 * (a kill fault, a crash, the kernel's OOM killer), the container is started again after the lab's
 * delay, as an orchestrator would. The engine's own restart policy cannot do this: `docker kill`
 * switches it off for that container, and the kill is exactly what learners practise recovery on.
 *
 * The policy is read from the container's label, so sandboxes adopted after a platform restart are
 * supervised too. A deliberate stop (a `stop` fault, announced with `expectStop`) and a sandbox the
 * platform no longer wants are left down. Events come from the engine's event stream, resumed from
 * the last one seen when the stream breaks, so a short engine hiccup loses nothing.
 */

export interface RestartEvent {
	sandboxId: string;
	learnerId: string;
	labId: string;
	/** The member name inside the sandbox, e.g. `redis`. */
	container: string;
	policy: RestartSpec['policy'];
	exitCode: number;
	/** Seconds waited before the restart: the lab's delay, longer for a container that keeps dying. */
	delaySeconds: number;
	outcome: 'restarted' | 'failed';
	message: string;
}

export interface RestartSupervisorOptions {
	engine: Engine;
	platformId: string;
	/** Whether the platform still wants this sandbox; a sandbox being removed is never restarted into. */
	wanted: (sandboxId: string) => boolean;
	onRestart: (event: RestartEvent) => void;
	log: (message: string) => void;
}

/** A container that dies again this soon after its restart is crash-looping; its delay doubles. */
const CRASH_LOOP_MS = 10_000;
const MAX_DELAY_SECONDS = 30;
/** How long an announced stop waits for its `die` event. */
const EXPECTED_STOP_MS = 30_000;

interface DieEvent {
	id: string;
	exitCode: number;
	labels: Record<string, string>;
	timeNano: number;
}

export class RestartSupervisor {
	private readonly options: RestartSupervisorOptions;
	private stream: Readable | undefined;
	private closed = false;
	private reconnectTimer: NodeJS.Timeout | undefined;
	private readonly timers = new Set<NodeJS.Timeout>();
	/** Engine container name → when a deliberate stop of it was announced. */
	private readonly expectedStops = new Map<string, number>();
	/** Engine container name → the last restart, for crash-loop back-off. */
	private readonly lastRestart = new Map<string, { at: number; delaySeconds: number }>();
	/** Engine time (ns) of the last event seen: where a broken stream resumes. */
	private lastEventNano = 0;
	private outage = false;
	private readonly pending = new Set<Promise<void>>();

	constructor(options: RestartSupervisorOptions) {
		this.options = options;
	}

	/** Starts watching; resolves once the first subscription is made (or has failed and will be retried). */
	async start(): Promise<void> {
		this.lastEventNano = Date.now() * 1e6;
		await this.subscribe();
	}

	/** The next time this member dies, it was asked for: leave it down. */
	expectStop(sandboxId: string, name: string): void {
		this.expectedStops.set(containerName(sandboxId, name), Date.now());
	}

	async close(): Promise<void> {
		this.closed = true;
		clearTimeout(this.reconnectTimer);
		for (const timer of this.timers) clearTimeout(timer);
		this.timers.clear();
		this.stream?.destroy();
		await Promise.allSettled([...this.pending]);
	}

	private async subscribe(): Promise<void> {
		if (this.closed) return;
		const { engine, platformId } = this.options;
		try {
			const since = Math.floor(this.lastEventNano / 1e9);
			const stream = (await engine.getEvents({
				since,
				filters: { type: ['container'], event: ['die'], label: [`${LABELS.platform}=${platformId}`, LABELS.restart] },
			})) as Readable;
			if (this.closed) {
				stream.destroy();
				return;
			}
			if (this.outage) this.options.log('Restart supervisor: watching the engine again.');
			this.outage = false;
			this.stream = stream;
			let buffered = '';
			stream.on('data', (chunk: Buffer) => {
				buffered += chunk.toString('utf8');
				let newline = buffered.indexOf('\n');
				while (newline >= 0) {
					this.receive(buffered.slice(0, newline));
					buffered = buffered.slice(newline + 1);
					newline = buffered.indexOf('\n');
				}
			});
			const reconnect = () => {
				if (this.stream === stream) this.stream = undefined;
				this.scheduleReconnect();
			};
			stream.once('end', reconnect);
			stream.once('error', reconnect);
			stream.once('close', reconnect);
		} catch (error) {
			if (!this.outage) this.options.log(`Restart supervisor: cannot watch the engine (${(error as Error).message}); retrying.`);
			this.outage = true;
			this.scheduleReconnect();
		}
	}

	private scheduleReconnect(): void {
		if (this.closed || this.reconnectTimer) return;
		this.reconnectTimer = setTimeout(() => {
			this.reconnectTimer = undefined;
			void this.subscribe();
		}, 1000);
		this.reconnectTimer.unref();
	}

	private receive(line: string): void {
		let event: DieEvent;
		try {
			const raw = JSON.parse(line) as { id?: string; timeNano?: number; Actor?: { Attributes?: Record<string, string> } };
			const attributes = raw.Actor?.Attributes ?? {};
			event = { id: raw.id ?? '', exitCode: Number(attributes.exitCode ?? 0), labels: attributes, timeNano: raw.timeNano ?? 0 };
		} catch {
			return;
		}
		// A resumed stream repeats the events of the second it resumes from.
		if (event.timeNano <= this.lastEventNano) return;
		this.lastEventNano = event.timeNano;
		this.decide(event);
	}

	private decide(event: DieEvent): void {
		const { labels } = event;
		const sandboxId = labels[LABELS.sandbox];
		const member = labels[LABELS.container];
		const [policy, delay] = (labels[LABELS.restart] ?? '').split(':');
		if (!sandboxId || !member || (policy !== 'on-failure' && policy !== 'always')) return;
		const name = containerName(sandboxId, member);
		const announced = this.expectedStops.get(name);
		if (announced !== undefined) {
			this.expectedStops.delete(name);
			if (Date.now() - announced < EXPECTED_STOP_MS) return;
		}
		if (policy === 'on-failure' && event.exitCode === 0) return;
		if (!this.options.wanted(sandboxId)) return;

		const previous = this.lastRestart.get(name);
		const base = Number(delay) || 0;
		const looping = previous !== undefined && Date.now() - previous.at < CRASH_LOOP_MS;
		const delaySeconds = looping ? Math.min(MAX_DELAY_SECONDS, Math.max(1, previous.delaySeconds * 2)) : base;
		const timer = setTimeout(() => {
			this.timers.delete(timer);
			const work = this.restart(event, { sandboxId, member, name, policy, delaySeconds });
			this.pending.add(work);
			void work.finally(() => this.pending.delete(work));
		}, delaySeconds * 1000);
		this.timers.add(timer);
	}

	private async restart(
		event: DieEvent,
		target: { sandboxId: string; member: string; name: string; policy: 'on-failure' | 'always'; delaySeconds: number },
	): Promise<void> {
		if (this.closed || !this.options.wanted(target.sandboxId)) return;
		const container = this.options.engine.getContainer(event.id);
		const report = (outcome: RestartEvent['outcome'], message: string) =>
			this.options.onRestart({
				sandboxId: target.sandboxId,
				learnerId: event.labels[LABELS.learner] ?? '',
				labId: event.labels[LABELS.lab] ?? '',
				container: target.member,
				policy: target.policy,
				exitCode: event.exitCode,
				delaySeconds: target.delaySeconds,
				outcome,
				message,
			});
		try {
			const info = await container.inspect();
			// Someone (the learner's `start` or `restart`, a lab reset) was quicker: nothing to do.
			if (info.State.Running || info.State.Restarting) return;
			// Stopped on purpose while the restart was waiting: the stop wins.
			const announced = this.expectedStops.get(target.name);
			if (announced !== undefined && Date.now() - announced < EXPECTED_STOP_MS) {
				this.expectedStops.delete(target.name);
				return;
			}
			await container.start();
			this.lastRestart.set(target.name, { at: Date.now(), delaySeconds: target.delaySeconds });
			report('restarted', `The lab's restart policy (${target.policy}) started ${target.member} again ${target.delaySeconds} s after it exited with code ${event.exitCode}.`);
		} catch (error) {
			// Gone or going: the sandbox is being removed, which is not a failure of the policy.
			if (isNotFound(error) || isConflict(error) || isNotModified(error)) return;
			report('failed', `The lab's restart policy could not start ${target.member} again: ${(error as Error).message}`);
		}
	}
}
