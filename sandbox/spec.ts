import type { SandboxIdentity } from './labels.ts';

/** What a learner's sandbox is made of, with image references already resolved to engine tags. */
export interface SandboxSpec extends SandboxIdentity {
	containers: ContainerSpec[];
}

/**
 * `workstation`: where the learner's terminal opens. `service`: the system under test. `helper`: a
 * platform-owned container the learner reaches over the network but never controls (the fault agent).
 */
export type ContainerRole = 'workstation' | 'service' | 'helper';

export interface ContainerSpec {
	/** The container's name inside the sandbox: its hostname and its DNS name on the sandbox network. */
	name: string;
	/** An engine image reference, e.g. `steady-state/lab-steady-state-redis:1a2b3c4d5e6f`. */
	image: string;
	role: ContainerRole;
	user?: string;
	workdir?: string;
	command?: string[];
	env: Record<string, string>;
	/** A command run inside the container until it exits 0; the sandbox is ready when every one has. */
	ready?: { exec: string[]; timeoutSeconds: number };
	resources: ResourceLimits;
	readOnlyRoot: boolean;
	/** Writable in-memory mounts: absolute path to mount options (e.g. `uid=1000,gid=1000,mode=0755`). */
	tmpfs: Record<string, string>;
	/**
	 * Helpers only: a host folder holding the platform's socket for this one sandbox, mounted at
	 * CHANNEL_MOUNT. It is the helper's only way to the platform, and no other container gets it.
	 */
	channel?: string;
	/** What the platform does when the main process ends by itself; absent means it stays down. */
	restart?: RestartSpec;
}

/**
 * `on-failure`: restarted after `delaySeconds` when it exits non-zero (killed, crashed); `always`:
 * also after a clean exit. Never after a deliberate stop. See RestartSupervisor.
 */
export interface RestartSpec {
	policy: 'never' | 'on-failure' | 'always';
	delaySeconds: number;
}

/** Where a helper finds its sandbox's channel to the platform. */
export const CHANNEL_MOUNT = '/run/steady-state';

export interface ResourceLimits {
	cpus: number;
	memoryMb: number;
	pids: number;
}
