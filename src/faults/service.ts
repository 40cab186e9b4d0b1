import type Docker from 'dockerode';
import { isNotFound, isNotModified, type Engine } from '../../sandbox/engine.ts';
import { containerName, LABELS } from '../../sandbox/labels.ts';
import type { Sandbox } from '../../sandbox/sandbox.ts';
import type { RestartEvent } from '../../sandbox/supervisor.ts';
import { isLabError, LabError } from '../platform/errors.ts';
import type { FaultOutcome, FaultRecord, Store } from '../store/store.ts';
import { checkNetemEnded, checkNetemInstalled, describeNetem, endNetemCommand, netemCommand } from './netem.ts';
import { recordProxyEvent } from './proxy-log.ts';
import { cpuWorkerBound, NETEM_KINDS, parametersOf, parseFaultRequest, UNDO_KINDS, type FaultKind, type FaultRequest, type NetemRequest, type PressureKind } from './schema.ts';

/**
 * State and resource faults in a learner's own sandbox, and the fault log the platform keeps of them.
 *
 * Everything a learner asks for goes through `apply`, which only ever touches members of the one
 * sandbox it is given: state faults through the engine on that member's container, process and
 * pressure faults by exec inside the member as its own user, with no privileges, so pressure stays
 * within the member's own cgroup limits, and interface faults from a short-lived helper in the
 * member's network namespace, so the member never holds NET_ADMIN. Every request is logged,
 * whatever became of it.
 *
 * The learner's workstation is protected from kill, stop, restart and pause: it runs their
 * terminal, so those faults would only cut them off from the lab. Platform-owned helpers (role
 * `helper`) accept no faults at all.
 */

/** A refused or failed fault: a LabError for the API, carrying the log entry that records it. */
export class FaultError extends LabError {
	readonly record: FaultRecord;
	constructor(error: LabError, record: FaultRecord) {
		super(error.status, error.message, error.fix);
		this.record = record;
	}
}

export interface FaultServiceOptions {
	store: Store;
	engine: Engine;
	/** Told about deliberate stops, so the lab's restart policy leaves a stopped container down. */
	restarts?: { expectStop(sandboxId: string, name: string): void };
}

/** Pressure processes carry this in their environment, so a revert finds them, also after a platform restart. */
const PRESSURE_MARKER = 'STEADY_FAULT_PRESSURE';

/** Faults that would take the learner's terminal away with the workstation. */
const WORKSTATION_PROTECTED: ReadonlySet<FaultKind> = new Set(['kill', 'stop', 'restart', 'pause']);

/** Platform waiting for a fault's own exec; the processes it starts run on in the background. */
const EXEC_TIMEOUT_MS = 15_000;

/** Log kinds that put netem on a member's interface or take it off. */
const NETEM_LOG_KINDS: ReadonlySet<string> = new Set([...NETEM_KINDS, 'end-netem']);

interface Target {
	name: string;
	container: Docker.Container;
	info: Docker.ContainerInspectInfo;
}

export class FaultService {
	private readonly store: Store;
	private readonly engine: Engine;
	private readonly restarts: FaultServiceOptions['restarts'];

	constructor(options: FaultServiceOptions) {
		this.store = options.store;
		this.engine = options.engine;
		this.restarts = options.restarts;
	}

	/**
	 * Applies one fault to a member of the sandbox. The sandbox's identity (learner, lab) is what the
	 * log is kept under, so a request can never be logged against someone else. Resolves with the
	 * `applied` entry; a refusal or failure rejects with a FaultError (a LabError) after logging it.
	 */
	async apply(sandbox: Sandbox, input: unknown): Promise<FaultRecord> {
		let described = describeRaw(input);
		try {
			const request = parseFaultRequest(input);
			described = { kind: request.kind, target: request.target, parameters: parametersOf(request) };
			const target = await this.resolve(sandbox, request.target);
			guardRole(sandbox, request.kind, target);
			const message = await this.perform(sandbox, request, target);
			return this.record(sandbox, described, UNDO_KINDS.has(request.kind) ? 'reverted' : 'applied', message);
		} catch (error) {
			const refusal = isLabError(error) ? error : engineFailure(described.kind, described.target, error);
			throw new FaultError(refusal, this.record(sandbox, described, refusal.status < 500 ? 'refused' : 'failed', refusal.message));
		}
	}

	/**
	 * Undoes every fault that is still in effect: unpauses paused members, starts stopped ones and
	 * ends running pressure. Each undo is logged as `reverted` (or `failed`); one member that cannot
	 * be reverted does not stop the others.
	 */
	async revertAll(sandbox: Sandbox): Promise<FaultRecord[]> {
		if (sandbox.state !== 'ready') return [];
		const netem = this.netemInEffect(sandbox);
		const perMember = await Promise.all(sandbox.containerNames().map((name) => this.revertMember(sandbox, name, netem.has(name))));
		return perMember.flat();
	}

	/**
	 * Everything `revertAll` undoes, and the sandbox's fault proxies too: the lab page's "undo all
	 * faults". The proxies live in the helper's agent, which resets them on SIGHUP and logs that itself.
	 */
	async resetAll(sandbox: Sandbox): Promise<FaultRecord[]> {
		if (sandbox.state !== 'ready') throw new LabError(409, `The sandbox is ${sandbox.state}; there are no faults to undo.`, 'Start the lab first.');
		const helpers = sandbox.containerNames(['helper']);
		const proxies = await Promise.all(
			helpers.map(async (name) => {
				try {
					await this.engine.getContainer(containerName(sandbox.id, name)).kill({ signal: 'SIGHUP' });
					return [];
				} catch (error) {
					return [this.record(sandbox, { kind: 'proxy-reset', target: '*', parameters: {} }, 'failed', `Could not reset the fault proxies: ${messageOf(error)}`)];
				}
			}),
		);
		return [...proxies.flat(), ...(await this.revertAll(sandbox))];
	}

	/** A restart the lab's policy made (or failed to make), for the log: evidence of recovery. */
	recordRestart(event: RestartEvent): FaultRecord {
		return this.store.addFault({
			sandboxId: event.sandboxId,
			learnerId: event.learnerId,
			labId: event.labId,
			kind: 'auto-restart',
			target: event.container,
			parameters: { policy: event.policy, exitCode: event.exitCode, delaySeconds: event.delaySeconds },
			outcome: event.outcome === 'restarted' ? 'reverted' : 'failed',
			message: event.message,
		});
	}

	/** A change the sandbox's fault agent made to its proxies, as it reported it; checked before it is kept. */
	recordProxyEvent(sandbox: Sandbox, body: unknown): FaultRecord {
		return recordProxyEvent(this.store, sandbox.identity, body);
	}

	/** The lab was stopped: its containers, and every fault in them, are gone. */
	recordStopped(sandbox: Sandbox): FaultRecord {
		return this.record(sandbox, { kind: 'reset', target: '*', parameters: {} }, 'reverted', 'The lab stopped: its containers were removed, and every fault in them with them.');
	}

	/** The learner's fault log for one lab, newest first. Read-only: only this service writes it. */
	log(learnerId: string, labId: string): FaultRecord[] {
		return this.store.faultLog(learnerId, labId);
	}

	private async revertMember(sandbox: Sandbox, name: string, carriesNetem: boolean): Promise<FaultRecord[]> {
		const records: FaultRecord[] = [];
		const note = (kind: string, outcome: FaultOutcome, message: string) =>
			records.push(this.record(sandbox, { kind, target: name, parameters: {} }, outcome, message));
		let target: Target;
		try {
			target = await this.resolve(sandbox, name);
		} catch (error) {
			note('revert', 'failed', `Could not find ${name} to revert it: ${messageOf(error)}`);
			return records;
		}
		if (target.info.Config.Labels[LABELS.role] === 'helper') return records;
		const step = async (kind: string, work: () => Promise<string | undefined>) => {
			try {
				const message = await work();
				if (message) note(kind, 'reverted', message);
			} catch (error) {
				note(kind, 'failed', `Could not revert ${name}: ${messageOf(error)}`);
			}
		};
		const state = target.info.State;
		if (state.Paused) {
			await step('unpause', async () => {
				await target.container.unpause();
				return `Unpaused ${name}.`;
			});
		} else if (!state.Running) {
			await step('start', async () => {
				await target.container.start().catch(ignoreNotModified);
				// A started member has no pressure left to end.
				return `Started ${name} again.`;
			});
			return records;
		}
		if (carriesNetem) await step('end-netem', () => this.endNetem(sandbox, name));
		await step('pressure', async () => {
			const ended = await this.endPressure(sandbox, name, ['cpu', 'memory']);
			for (const kind of ['cpu', 'memory'] as const) {
				const count = ended.filter((line) => line === kind).length;
				if (count > 0) note(kind, 'reverted', `Ended the ${kind === 'cpu' ? 'CPU' : 'memory'} pressure in ${name} (${plural(count, 'process', 'processes')}).`);
			}
			return undefined;
		});
		return records;
	}

	/**
	 * Finds a member's container, checking with the engine that it really is this sandbox's. A name
	 * that is not a member is refused: 403 when the engine knows it (another sandbox's container, or
	 * anything else outside this sandbox), 404 otherwise; both name the valid targets.
	 */
	private async resolve(sandbox: Sandbox, name: string): Promise<Target> {
		if (sandbox.state !== 'ready') throw new LabError(409, `The sandbox is ${sandbox.state}; faults need a running lab.`, 'Start the lab, then try again.');
		const members = sandbox.containerNames();
		// The platform's helper is a member but never a target, so it is not offered as one.
		const choices = `Your sandbox's containers: ${sandbox.containerNames(['workstation', 'service']).join(', ')}.`;
		if (!members.includes(name)) {
			// Only looked up to tell "someone else's" from "nothing": the engine object is never acted on.
			const found = await this.engine
				.getContainer(name)
				.inspect()
				.catch(() => undefined);
			// The engine also matches short id prefixes; only an exact name or a long id counts as naming a container.
			const named = found && (found.Name === `/${name}` || (name.length >= 12 && found.Id.startsWith(name)));
			if (named && found.Config.Labels[LABELS.sandbox] === sandbox.id) {
				const member = found.Config.Labels[LABELS.container] ?? '';
				throw new LabError(400, `"${name}" is the engine's name for your ${member} container.`, `Name it as your sandbox does: "${member}".`);
			}
			if (named) throw new LabError(403, `"${name}" is not a container of your sandbox; faults only reach your own sandbox.`, choices);
			throw new LabError(404, `Your sandbox has no container "${name}".`, choices);
		}
		const container = this.engine.getContainer(containerName(sandbox.id, name));
		const info = await container.inspect().catch((error: unknown) => {
			if (isNotFound(error)) throw new LabError(409, `The ${name} container is gone.`, 'Reset the lab to get a fresh sandbox.');
			throw error;
		});
		const labels = info.Config.Labels;
		if (labels[LABELS.sandbox] !== sandbox.id || labels[LABELS.platform] !== sandbox.identity.platformId || labels[LABELS.container] !== name) {
			// Never expected: the engine name belongs to this sandbox by construction. Refuse rather than touch it.
			throw new LabError(403, `The container found for "${name}" does not belong to your sandbox; it was left alone.`, choices);
		}
		return { name, container, info };
	}

	private async perform(sandbox: Sandbox, request: FaultRequest, target: Target): Promise<string> {
		const { container, info, name } = target;
		const state = info.State;
		switch (request.kind) {
			case 'kill': {
				requireRunning(name, state, 'kill its main process');
				await container.kill({ signal: request.signal });
				const [policy, delay] = (info.Config.Labels[LABELS.restart] ?? 'never').split(':');
				const after =
					policy === 'never'
						? 'The lab does not restart it; `start` it (or reset the lab) to bring it back.'
						: `The lab's restart policy (${policy}) brings it back after ${delay} s${policy === 'on-failure' ? ' if it exited with an error' : ''}.`;
				return `Sent ${request.signal} to the main process of ${name}. ${after}`;
			}
			case 'stop':
				// Announced even when already down, so a restart the policy has scheduled does not undo it.
				this.restarts?.expectStop(sandbox.id, name);
				if (!state.Running) return `${name} was already stopped.`;
				await container.stop().catch(ignoreNotModified);
				return `Stopped ${name}.`;
			case 'start':
				if (state.Running) return `${name} was already running.`;
				await container.start().catch(ignoreNotModified);
				return `Started ${name}.`;
			case 'restart':
				await container.restart();
				return `Restarted ${name}.`;
			case 'pause':
				if (state.Paused) return `${name} was already paused.`;
				if (!state.Running) throw new LabError(409, `${name} is not running, so it cannot be paused.`, `Start ${name} first.`);
				await container.pause();
				return `Paused ${name}: its processes are frozen until it is unpaused.`;
			case 'unpause':
				if (!state.Paused) return `${name} was not paused.`;
				await container.unpause();
				return `Unpaused ${name}.`;
			case 'kill-process':
				requireRunning(name, state, 'kill a process in it');
				return this.killProcess(sandbox, name, request.process, request.signal);
			case 'cpu': {
				requireRunning(name, state, 'put it under CPU pressure');
				const limit = cpuWorkerBound(info.HostConfig.NanoCpus ?? 0);
				if (request.workers > limit) {
					throw new LabError(400, `At most ${limit} CPU ${limit === 1 ? 'worker' : 'workers'} for ${name} (its CPU limit is ${cpuLimitText(info)}); ${request.workers} asked.`, `Ask for ${limit === 1 ? '1 worker' : `1 to ${limit} workers`}.`);
				}
				await this.startPressure(sandbox, name, 'cpu', [String(request.workers), String(request.seconds)]);
				return `Started ${plural(request.workers, 'CPU worker', 'CPU workers')} in ${name} for ${request.seconds} s, within its limit of ${cpuLimitText(info)}.`;
			}
			case 'memory': {
				requireRunning(name, state, 'put it under memory pressure');
				const limitMb = Math.floor((info.HostConfig.Memory ?? 0) / (1024 * 1024));
				if (limitMb > 0 && request.megabytes >= limitMb) {
					throw new LabError(400, `Memory pressure in ${name} must stay below its limit of ${limitMb} MB; ${request.megabytes} MB asked.`, `Ask for less than ${limitMb} megabytes, e.g. ${Math.floor(limitMb / 2)}.`);
				}
				await this.startPressure(sandbox, name, 'memory', [String(request.megabytes), String(request.seconds)]);
				return `Holding ${request.megabytes} MB in ${name} for ${request.seconds} s (its limit is ${limitMb} MB; near it, the kernel may kill a process in ${name}).`;
			}
			case 'delay':
			case 'loss':
			case 'corrupt':
			case 'duplicate':
				requireRunning(name, state, 'change its network interface');
				await this.installNetem(sandbox, name, request);
				return describeNetem(request, name);
			case 'end-netem':
				requireRunning(name, state, 'change its network interface');
				return (await this.endNetem(sandbox, name)) ?? `There was no interface fault on ${name} to end.`;
			case 'end-pressure': {
				requireRunning(name, state, 'end pressure in it');
				const kinds: PressureKind[] = request.pressure ? [request.pressure] : ['cpu', 'memory'];
				const ended = await this.endPressure(sandbox, name, kinds);
				const what = request.pressure === 'cpu' ? 'CPU pressure' : request.pressure === 'memory' ? 'memory pressure' : 'pressure';
				return ended.length === 0 ? `There was no ${what} in ${name} to end.` : `Ended the ${what} in ${name} (${plural(ended.length, 'process', 'processes')}).`;
			}
		}
	}

	private async killProcess(sandbox: Sandbox, name: string, processName: string, signal: string): Promise<string> {
		// /proc/<pid>/comm holds at most 15 characters of the name.
		const comm = processName.slice(0, 15);
		const result = await sandbox.exec(name, ['sh', '-c', KILL_PROCESS_SCRIPT, 'kill-process', comm, signal.replace(/^SIG/, '')], { timeoutMs: EXEC_TIMEOUT_MS });
		if (result.exitCode !== 0) throw new Error(`the kill script in ${name} ended with ${result.exitCode ?? 'a timeout'}: ${result.stderr.trim()}`);
		const lines = result.stdout.split('\n');
		const killed = lines.filter((line) => line.startsWith('killed ')).length;
		const denied = lines.filter((line) => line.startsWith('denied ')).length;
		if (killed === 0 && denied > 0) {
			throw new LabError(403, `Processes named "${processName}" in ${name} belong to another user; ${name}'s own user may not signal them.`, 'Pick a process the container\'s service runs, e.g. its main command.');
		}
		if (killed === 0) {
			const seen = [...new Set(lines.filter((line) => line.startsWith('seen ')).map((line) => line.slice('seen '.length)))].sort();
			throw new LabError(404, `No process named "${processName}" runs in ${name}.`, `Processes in ${name}: ${seen.join(', ') || 'none'}.`);
		}
		return `Sent ${signal} to ${plural(killed, 'process', 'processes')} named ${processName} in ${name}.`;
	}

	private async installNetem(sandbox: Sandbox, name: string, request: NetemRequest): Promise<void> {
		const result = await sandbox.runInNetworkOf(name, await this.helperImage(sandbox), netemCommand(request), { timeoutMs: EXEC_TIMEOUT_MS });
		checkNetemInstalled(request, name, result);
	}

	/** Takes netem off the member's interface; says so when there was some, undefined when there was none. */
	private async endNetem(sandbox: Sandbox, name: string): Promise<string | undefined> {
		const result = await sandbox.runInNetworkOf(name, await this.helperImage(sandbox), endNetemCommand(), { timeoutMs: EXEC_TIMEOUT_MS });
		return checkNetemEnded(name, result) ? `Took the interface fault off ${name}.` : undefined;
	}

	/** The fault helper's own image carries `tc`; the interface helper runs from it. */
	private async helperImage(sandbox: Sandbox): Promise<string> {
		const [helper] = sandbox.containerNames(['helper']);
		if (!helper) throw new Error(`Sandbox ${sandbox.id} has no fault helper, whose image carries tc`);
		return (await this.engine.getContainer(containerName(sandbox.id, helper)).inspect()).Image;
	}

	/**
	 * Members whose interface the log says carries netem: the newest netem entry for each is an
	 * install that took effect. Read from the log, so a restarted platform still undoes them.
	 */
	private netemInEffect(sandbox: Sandbox): Set<string> {
		const newest = new Map<string, FaultOutcome>();
		for (const entry of this.log(sandbox.identity.learnerId, sandbox.identity.labId)) {
			if (entry.sandboxId !== sandbox.id || !NETEM_LOG_KINDS.has(entry.kind) || newest.has(entry.target)) continue;
			if (entry.outcome === 'applied' || entry.outcome === 'reverted') newest.set(entry.target, entry.outcome);
		}
		return new Set([...newest].filter(([, outcome]) => outcome === 'applied').map(([target]) => target));
	}

	/** Starts pressure in the background inside the member; `timeout` ends it at its duration. */
	private async startPressure(sandbox: Sandbox, name: string, kind: PressureKind, args: string[]): Promise<void> {
		const script = kind === 'cpu' ? CPU_SCRIPT : MEMORY_SCRIPT;
		const result = await sandbox.exec(name, ['sh', '-c', script, `${kind}-pressure`, ...args], { timeoutMs: EXEC_TIMEOUT_MS });
		if (result.exitCode !== 0) throw new Error(`starting ${kind} pressure in ${name} ended with ${result.exitCode ?? 'a timeout'}: ${result.stderr.trim()}`);
	}

	/** Kills the member's pressure processes of those kinds; returns one line (its kind) per process ended. */
	private async endPressure(sandbox: Sandbox, name: string, kinds: PressureKind[]): Promise<string[]> {
		const result = await sandbox.exec(name, ['sh', '-c', END_PRESSURE_SCRIPT, 'end-pressure', ...kinds], { timeoutMs: EXEC_TIMEOUT_MS });
		if (result.exitCode !== 0) throw new Error(`ending pressure in ${name} ended with ${result.exitCode ?? 'a timeout'}: ${result.stderr.trim()}`);
		return result.stdout.split('\n').filter((line) => line.length > 0);
	}

	private record(sandbox: Sandbox, described: Described, outcome: FaultOutcome, message: string): FaultRecord {
		const { learnerId, labId } = sandbox.identity;
		return this.store.addFault({ sandboxId: sandbox.id, learnerId, labId, ...described, outcome, message });
	}
}

/**
 * Busy loops, one per worker, each in its own `sh`. GNU `timeout` signals its whole process group,
 * so nothing outlives the duration.
 */
const CPU_SCRIPT = `i=0
while [ "$i" -lt "$1" ]; do
  ${PRESSURE_MARKER}=cpu timeout -s KILL "$2" sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 &
  i=$((i + 1))
done`;

/**
 * \`tail\` keeps its whole input in memory while it waits for the last lines, and input without a
 * newline never lets it drop any; \`sleep\` holds the pipe open so tail keeps holding until the end.
 */
const MEMORY_SCRIPT = `${PRESSURE_MARKER}=memory timeout -s KILL "$2" sh -c '{ head -c "$1"M /dev/zero; exec sleep "$2"; } | tail >/dev/null' memory "$1" "$2" </dev/null >/dev/null 2>&1 &`;

/** Only the owner may read a process's environment; the exec runs as the user that started the pressure. */
const END_PRESSURE_SCRIPT = `for p in /proc/[0-9]*; do
  for kind in "$@"; do
    if grep -qsz "^${PRESSURE_MARKER}=$kind\\$" "$p/environ" && kill -KILL "\${p#/proc/}" 2>/dev/null; then echo "$kind"; fi
  done
done
exit 0`;

/** Needs only sh and /proc (the lab images have no procps); skips itself. */
const KILL_PROCESS_SCRIPT = `for p in /proc/[0-9]*; do
  pid=\${p#/proc/}
  [ "$pid" = "$$" ] && continue
  read -r name 2>/dev/null < "$p/comm" || continue
  if [ "$name" = "$1" ]; then
    if kill -s "$2" "$pid" 2>/dev/null; then echo "killed $pid"; else echo "denied $pid"; fi
  else
    echo "seen $name"
  fi
done
exit 0`;

interface Described {
	kind: string;
	target: string;
	parameters: Record<string, unknown>;
}

/** What the log keeps of a request that may not be valid at all: short strings, bounded parameters. */
function describeRaw(input: unknown): Described {
	const fields = typeof input === 'object' && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
	const { kind, target, ...rest } = fields;
	let parameters: Record<string, unknown> = rest;
	try {
		if (JSON.stringify(rest).length > 1000) parameters = { note: 'parameters too large to keep' };
	} catch {
		parameters = { note: 'parameters not representable as JSON' };
	}
	return {
		kind: typeof kind === 'string' ? kind.slice(0, 40) : '',
		target: typeof target === 'string' ? target.slice(0, 130) : '',
		parameters,
	};
}

function guardRole(sandbox: Sandbox, kind: FaultKind, target: Target): void {
	const role = target.info.Config.Labels[LABELS.role];
	const others = sandbox.containerNames().filter((name) => name !== target.name);
	if (role === 'helper') {
		throw new LabError(403, `${target.name} is run by the platform and takes no faults.`, `Target one of: ${others.join(', ')}.`);
	}
	if (role === 'workstation' && WORKSTATION_PROTECTED.has(kind)) {
		throw new LabError(403, `The ${kind} fault is not allowed on ${target.name}: it runs your terminal, and you would lose the lab.`, `Target one of: ${others.join(', ')}.`);
	}
}

function requireRunning(name: string, state: Docker.ContainerInspectInfo['State'], action: string): void {
	if (!state.Running) throw new LabError(409, `${name} is not running, so the platform cannot ${action}.`, `Start ${name} first.`);
	if (state.Paused) throw new LabError(409, `${name} is paused, so the platform cannot ${action}.`, `Unpause ${name} first.`);
}

function cpuLimitText(info: Docker.ContainerInspectInfo): string {
	const nanoCpus = info.HostConfig.NanoCpus ?? 0;
	return nanoCpus > 0 ? `${nanoCpus / 1e9} CPU` : 'none';
}

function ignoreNotModified(error: unknown): void {
	if (!isNotModified(error)) throw error;
}

function engineFailure(kind: string, target: string, error: unknown): LabError {
	return new LabError(502, `The ${kind || 'fault'} on ${target || 'the target'} failed: ${messageOf(error)}`, 'Try again; if it keeps failing, reset the lab.');
}

function messageOf(error: unknown): string {
	return error instanceof Error ? error.message : String(error);
}

function plural(count: number, one: string, many: string): string {
	return `${count} ${count === 1 ? one : many}`;
}
