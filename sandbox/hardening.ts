import type Docker from 'dockerode';
import path from 'node:path';
import { CHANNEL_MOUNT, type ContainerSpec } from './spec.ts';

/**
 * The one place that decides what a sandbox container may do. Every container a learner can reach
 * gets this profile (see the sandbox facts in the shared reference): no capabilities, no privilege
 * escalation, the engine's default seccomp profile (by not overriding it), bounded processes,
 * memory, CPU, open files and logs, and no host paths (but a helper's channel folder), host
 * network or Docker socket.
 */
export function hardenedHostConfig(spec: ContainerSpec, network: string): Docker.HostConfig {
	if (!network.startsWith('ss-')) {
		// Never `host`, `bridge`, `none` or `container:<id>`: only a sandbox's own network.
		throw new Error(`Sandbox containers join their sandbox's network (ss-...), not "${network}"`);
	}
	const memoryBytes = spec.resources.memoryMb * 1024 * 1024;
	return {
		NetworkMode: network,
		Privileged: false,
		CapDrop: ['ALL'],
		CapAdd: [],
		SecurityOpt: ['no-new-privileges:true'],
		// The sandbox sees its own processes, IPC and cgroup tree only.
		IpcMode: 'private',
		PidsLimit: spec.resources.pids,
		// Equal limits mean no swap: an allocation past the limit is OOM-killed instead of thrashing the host.
		Memory: memoryBytes,
		MemorySwap: memoryBytes,
		NanoCpus: Math.round(spec.resources.cpus * 1e9),
		// Under memory pressure the kernel should kill a sandbox process before the platform.
		OomScoreAdj: 500,
		Ulimits: [
			{ Name: 'nofile', Soft: 4096, Hard: 4096 },
			{ Name: 'core', Soft: 0, Hard: 0 },
		],
		// A real PID 1 reaps zombies and forwards signals, so `docker stop` is prompt.
		Init: true,
		LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
		ReadonlyRootfs: spec.readOnlyRoot,
		Tmpfs: Object.fromEntries(
			Object.entries(spec.tmpfs).map(([path, options]) => [path, tmpfsOptions(options)]),
		),
		Binds: channelBinds(spec),
		Mounts: [],
		// The engine forgets its own policy after `docker kill`, the very fault learners practise on,
		// so a lab's restart policy is carried out by the platform (RestartSupervisor), not here.
		RestartPolicy: { Name: 'no' },
		// The engine's DNS never answers for names outside the sandbox (or for a stopped container),
		// and glibc's default would wait 5 s twice per name before giving up.
		DnsOptions: ['timeout:1', 'attempts:1'],
		// Missing from @types/dockerode, but in the engine API since 1.41.
		...({ CgroupnsMode: 'private' } as Docker.HostConfig),
	};
}

/**
 * The one host path any sandbox container may see: a helper's channel folder, holding nothing but
 * the platform's socket for that sandbox. A workstation or service asking for one is a bug.
 */
function channelBinds(spec: ContainerSpec): string[] {
	if (!spec.channel) return [];
	if (spec.role !== 'helper') throw new Error(`Only a helper container gets the platform channel, not the ${spec.role} "${spec.name}"`);
	if (!path.isAbsolute(spec.channel)) throw new Error(`The channel folder must be an absolute path, not "${spec.channel}"`);
	return [`${spec.channel}:${CHANNEL_MOUNT}:rw`];
}

const TMPFS_DEFAULTS = 'rw,nosuid,nodev,size=64m';

/**
 * A lab's options come after the safe defaults, so a lab can resize, chown or allow `exec` on a
 * mount, but never turn `suid` or `dev` back on: those are dropped. The engine adds `noexec` unless
 * the lab asks for `exec`.
 */
function tmpfsOptions(options: string): string {
	const extra = options
		.split(',')
		.map((option) => option.trim())
		.filter((option) => option.length > 0 && option !== 'suid' && option !== 'dev');
	return [TMPFS_DEFAULTS, ...extra].join(',');
}

/**
 * The one container that holds a capability: a platform-owned helper that joins a member's network
 * namespace (`container:<member>`) to change its interface with `tc`, and exits. It gets NET_ADMIN
 * and nothing else, for one command, as the shared reference's facts ask: the learner's container
 * keeps no capabilities, and the helper runs no listener and nothing the learner chose but numbers
 * the platform has validated. It sees no host path, and is labelled as its sandbox's, so teardown
 * and the reconciler remove it with the rest.
 */
export function networkHelperHostConfig(memberContainer: string): Docker.HostConfig {
	if (!memberContainer.startsWith('ss-')) {
		throw new Error(`A network helper joins a sandbox member's namespace (ss-...), not "${memberContainer}"`);
	}
	const memoryBytes = 32 * 1024 * 1024;
	return {
		NetworkMode: `container:${memberContainer}`,
		Privileged: false,
		CapDrop: ['ALL'],
		CapAdd: ['NET_ADMIN'],
		SecurityOpt: ['no-new-privileges:true'],
		IpcMode: 'private',
		PidsLimit: 16,
		Memory: memoryBytes,
		MemorySwap: memoryBytes,
		NanoCpus: 250_000_000,
		Ulimits: [
			{ Name: 'nofile', Soft: 256, Hard: 256 },
			{ Name: 'core', Soft: 0, Hard: 0 },
		],
		LogConfig: { Type: 'json-file', Config: { 'max-size': '64k', 'max-file': '1' } },
		ReadonlyRootfs: true,
		Binds: [],
		Mounts: [],
		RestartPolicy: { Name: 'no' },
		...({ CgroupnsMode: 'private' } as Docker.HostConfig),
	};
}
