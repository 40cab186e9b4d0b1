import type Docker from 'dockerode';
import { isConflict, isNotFound, type Engine } from './engine.ts';
import { hangUpShells, runCommand, ShellSession, type ExecOptions, type ExecResult, type ShellOptions } from './exec.ts';
import { hardenedHostConfig } from './hardening.ts';
import { containerName, LABELS, labelFilter, networkName, sandboxLabels, type SandboxIdentity } from './labels.ts';
import { runInNetworkNamespace } from './netns.ts';
import type { ContainerRole, ContainerSpec, SandboxSpec } from './spec.ts';

export type SandboxState = 'creating' | 'ready' | 'destroying' | 'destroyed';

export interface SandboxProgress {
	step: 'network' | 'containers' | 'start' | 'ready';
	message: string;
}

export interface CreateOptions {
	signal?: AbortSignal;
	onProgress?: (progress: SandboxProgress) => void;
}

/** A container that did not pass its readiness command in time. Its sandbox is already removed. */
export class ContainerNotReadyError extends Error {
	readonly container: string;
	readonly output: string;
	constructor(container: string, timeoutSeconds: number, output: string) {
		const detail = output.trim() ? `; its readiness check said: ${output.trim().slice(-500)}` : '';
		super(`The ${container} container was not ready within ${timeoutSeconds} s${detail}`);
		this.name = 'ContainerNotReadyError';
		this.container = container;
		this.output = output;
	}
}

/** What the sandbox keeps about each container once it exists. */
export type MemberSpec = Pick<ContainerSpec, 'name' | 'role' | 'user' | 'workdir'>;

interface Member {
	spec: MemberSpec;
	container: Docker.Container;
}

/**
 * One learner's sandbox: its own internal network and the lab's containers, hardened and labelled.
 * The lifecycle is creating -> ready -> destroying -> destroyed; `destroy()` is idempotent and
 * safe to call from any state, and a sandbox that fails to become ready is removed before the
 * error reaches the caller.
 */
export class Sandbox implements AsyncDisposable {
	private currentState: SandboxState;
	private readonly members: Map<string, Member>;
	private readonly shells = new Set<ShellSession>();
	private destroying: Promise<void> | undefined;
	private readonly engine: Engine;
	readonly identity: SandboxIdentity;

	private constructor(engine: Engine, identity: SandboxIdentity, members: Map<string, Member>, state: SandboxState) {
		this.engine = engine;
		this.identity = identity;
		this.members = members;
		this.currentState = state;
	}

	get state(): SandboxState {
		return this.currentState;
	}

	get id(): string {
		return this.identity.sandboxId;
	}

	static async create(engine: Engine, spec: SandboxSpec, options: CreateOptions = {}): Promise<Sandbox> {
		if (!/^[a-z0-9]{1,12}$/.test(spec.sandboxId)) {
			// The id names the network's bridge interface, which Linux limits to 15 characters.
			throw new Error(`Sandbox ids are 1 to 12 lowercase letters or digits; got "${spec.sandboxId}"`);
		}
		const report = options.onProgress ?? (() => undefined);
		const { containers, ...identity } = spec;
		const sandbox = new Sandbox(engine, identity, new Map(), 'creating');
		try {
			options.signal?.throwIfAborted();
			report({ step: 'network', message: 'Creating the sandbox network' });
			const network = networkName(spec.sandboxId);
			await engine.createNetwork(networkOptions(identity));

			options.signal?.throwIfAborted();
			report({ step: 'containers', message: `Creating ${containers.length} containers` });
			const created = await Promise.all(
				containers.map(async (containerSpec) => ({
					spec: containerSpec,
					container: await engine.createContainer(containerOptions(identity, containerSpec, network)),
				})),
			);
			for (const member of created) sandbox.members.set(member.spec.name, member);

			options.signal?.throwIfAborted();
			report({ step: 'start', message: 'Starting containers' });
			await Promise.all(created.map(({ container }) => container.start()));

			report({ step: 'ready', message: 'Waiting for the lab to be ready' });
			await Promise.all(created.map(({ spec: containerSpec, container }) => waitUntilReady(container, containerSpec, options.signal)));
			sandbox.currentState = 'ready';
			return sandbox;
		} catch (error) {
			await removeSandboxObjects(engine, identity.platformId, identity.sandboxId);
			sandbox.currentState = 'destroyed';
			throw error;
		}
	}

	/**
	 * Takes over a sandbox that a previous platform process created (after a restart). Returns
	 * undefined when any of its containers is missing, or the workstation or a helper is not running;
	 * the caller then removes it. A service that is down stays adopted: the learner may have stopped
	 * it with a fault, and starting it is theirs to do.
	 */
	static async adopt(engine: Engine, identity: SandboxIdentity, containers: MemberSpec[]): Promise<Sandbox | undefined> {
		const members = new Map<string, Member>();
		for (const containerSpec of containers) {
			const container = engine.getContainer(containerName(identity.sandboxId, containerSpec.name));
			const info = await container.inspect().catch(() => undefined);
			if (!info || info.Config.Labels[LABELS.platform] !== identity.platformId) return undefined;
			if (!info.State.Running && containerSpec.role !== 'service') return undefined;
			members.set(containerSpec.name, { spec: containerSpec, container });
		}
		const sandbox = new Sandbox(engine, identity, members, 'ready');
		// Shells of the previous process lost their terminal; hang them up as a closed terminal would.
		await Promise.all(
			[...members.values()]
				.filter(({ spec: containerSpec }) => containerSpec.role === 'workstation')
				.map(({ spec: containerSpec, container }) => hangUpShells(container, containerSpec.user).catch(() => undefined)),
		);
		return sandbox;
	}

	/** Every container of the sandbox, or only those of some roles (e.g. what a learner may act on). */
	containerNames(roles?: readonly ContainerRole[]): string[] {
		return [...this.members.entries()].filter(([, member]) => !roles || roles.includes(member.spec.role)).map(([name]) => name);
	}

	/** Runs a command to completion in one of the sandbox's containers, as that container's user unless told otherwise. */
	async exec(name: string, argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
		const member = this.member(name);
		return runCommand(member.container, argv, {
			user: member.spec.user,
			workdir: member.spec.workdir,
			...options,
		});
	}

	/**
	 * Runs a command beside a member, in its network namespace, from a helper with NET_ADMIN made for
	 * that one command (see `runInNetworkNamespace`). The member itself gains nothing.
	 */
	async runInNetworkOf(name: string, image: string, argv: string[], options: { timeoutMs: number }): Promise<ExecResult> {
		this.member(name);
		return runInNetworkNamespace(this.engine, this.identity, { member: name, image, argv, timeoutMs: options.timeoutMs });
	}

	/** Opens an interactive shell; the sandbox tracks it and hangs it up at teardown. */
	async openShell(name: string, sessionId: string, argv: string[], options: Omit<ShellOptions, 'user' | 'workdir'>): Promise<ShellSession> {
		const member = this.member(name);
		const shell = await ShellSession.open(member.container, argv, sessionId, {
			user: member.spec.user,
			workdir: member.spec.workdir,
			...options,
		});
		this.shells.add(shell);
		void shell.exited.then(() => this.shells.delete(shell));
		if (this.currentState !== 'ready') {
			await shell.end();
			throw new Error('The sandbox is being removed');
		}
		return shell;
	}

	/** Ends every shell, then removes the containers and the network. Idempotent and lock-protected. */
	destroy(): Promise<void> {
		this.destroying ??= (async () => {
			this.currentState = 'destroying';
			await Promise.all([...this.shells].map((shell) => shell.end()));
			this.shells.clear();
			await removeSandboxObjects(this.engine, this.identity.platformId, this.identity.sandboxId);
			this.currentState = 'destroyed';
		})();
		return this.destroying;
	}

	async [Symbol.asyncDispose](): Promise<void> {
		await this.destroy();
	}

	private member(name: string): Member {
		const member = this.members.get(name);
		if (!member) throw new Error(`No container named "${name}" in sandbox ${this.id}; it has: ${this.containerNames().join(', ')}`);
		if (this.currentState !== 'ready') throw new Error(`Sandbox ${this.id} is ${this.currentState}`);
		return member;
	}
}

/** The sandbox's own network, as the engine is asked for it. */
export function networkOptions(identity: SandboxIdentity): Docker.NetworkCreateOptions {
	const network = networkName(identity.sandboxId);
	return {
		Name: network,
		Driver: 'bridge',
		// Internal: the engine drops everything leaving the subnet, so there is no route out.
		Internal: true,
		CheckDuplicate: true,
		Options: {
			// The host gets no address on the bridge. Otherwise the gateway address is the host
			// itself, and every host service bound to 0.0.0.0 is one connect() away.
			'com.docker.network.bridge.inhibit_ipv4': 'true',
			// `ss-` and the 12-character sandbox id: findable in `ip link`, within the 15-character limit.
			'com.docker.network.bridge.name': network,
		},
		Labels: sandboxLabels(identity),
	};
}

/** One sandbox container, hardened and labelled, as the engine is asked for it. */
export function containerOptions(identity: SandboxIdentity, spec: ContainerSpec, network: string): Docker.ContainerCreateOptions {
	return {
		name: containerName(identity.sandboxId, spec.name),
		Hostname: spec.name,
		Image: spec.image,
		Cmd: spec.command,
		User: spec.user,
		WorkingDir: spec.workdir,
		Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
		Labels: { ...sandboxLabels(identity), [LABELS.container]: spec.name, [LABELS.role]: spec.role, ...restartLabel(spec) },
		// Quick stops: a lab's processes have nothing to flush, and teardown should not wait 10 s.
		StopTimeout: 2,
		HostConfig: hardenedHostConfig(spec, network),
		NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [spec.name] } } },
	};
}

/** The restart policy travels with the container, so a restarted platform supervises adopted sandboxes too. */
function restartLabel(spec: ContainerSpec): Record<string, string> {
	if (!spec.restart || spec.restart.policy === 'never') return {};
	return { [LABELS.restart]: `${spec.restart.policy}:${spec.restart.delaySeconds}` };
}

async function waitUntilReady(container: Docker.Container, spec: ContainerSpec, signal: AbortSignal | undefined): Promise<void> {
	const ready = spec.ready;
	if (!ready) return;
	const deadline = Date.now() + ready.timeoutSeconds * 1000;
	let delay = 50;
	let lastOutput = '';
	for (;;) {
		signal?.throwIfAborted();
		const remaining = deadline - Date.now();
		if (remaining <= 0) throw new ContainerNotReadyError(spec.name, ready.timeoutSeconds, lastOutput);
		const result = await runCommand(container, ready.exec, { timeoutMs: Math.min(remaining, 5000), signal });
		if (result.exitCode === 0) return;
		lastOutput = `${result.stdout}${result.stderr}`;
		const state = await container.inspect().then((info) => info.State);
		if (!state.Running) {
			throw new ContainerNotReadyError(spec.name, ready.timeoutSeconds, `the container exited with code ${state.ExitCode}. ${lastOutput}`);
		}
		await new Promise((resolve) => setTimeout(resolve, delay));
		delay = Math.min(delay * 2, 500);
	}
}

/**
 * Removes every container and network labelled with this sandbox id, found through the engine
 * rather than through memory, so it also cleans up after a crash. Objects already gone are fine.
 */
export async function removeSandboxObjects(engine: Engine, platformId: string, sandboxId: string): Promise<void> {
	const filters = labelFilter(platformId, sandboxId);
	const containers = await engine.listContainers({ all: true, filters });
	await Promise.all(
		containers.map((info) =>
			engine
				.getContainer(info.Id)
				.remove({ force: true, v: true })
				.catch((error: unknown) => {
					if (!isNotFound(error) && !isConflict(error)) throw error;
				}),
		),
	);
	const networks = await engine.listNetworks({ filters });
	await Promise.all(
		networks.map((info) =>
			engine
				.getNetwork(info.Id)
				.remove()
				.catch((error: unknown) => {
					if (!isNotFound(error)) throw error;
				}),
		),
	);
}
