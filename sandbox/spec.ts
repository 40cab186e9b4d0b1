import type { SandboxIdentity } from './labels.ts';

/** What a learner's sandbox is made of, with image references already resolved to engine tags. */
export interface SandboxSpec extends SandboxIdentity {
	containers: ContainerSpec[];
}

export type ContainerRole = 'workstation' | 'service';

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
}

export interface ResourceLimits {
	cpus: number;
	memoryMb: number;
	pids: number;
}
