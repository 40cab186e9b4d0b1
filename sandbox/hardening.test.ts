import { describe, expect, it } from 'vitest';
import { hardenedHostConfig, networkHelperHostConfig } from './hardening.ts';
import { networkName } from './labels.ts';
import type { ContainerSpec } from './spec.ts';

const NETWORK = networkName('a1b2c3d4e5f6');

function spec(overrides: Partial<ContainerSpec> = {}): ContainerSpec {
	return {
		name: 'workstation',
		image: 'steady-state/workstation:abc',
		role: 'workstation',
		user: '1000:1000',
		workdir: '/home/learner',
		env: {},
		resources: { cpus: 0.5, memoryMb: 128, pids: 256 },
		readOnlyRoot: true,
		tmpfs: { '/tmp': '', '/run': '' },
		...overrides,
	};
}

/** The options of each tmpfs mount, as a list. */
function tmpfsOptions(config: ReturnType<typeof hardenedHostConfig>): Record<string, string[]> {
	return Object.fromEntries(Object.entries(config.Tmpfs ?? {}).map(([mount, options]) => [mount, options.split(',')]));
}

describe('hardenedHostConfig gives a learner\'s container', () => {
	const config = hardenedHostConfig(spec(), NETWORK);

	it('no capabilities at all', () => {
		expect(config.CapDrop).toEqual(['ALL']);
		expect(config.CapAdd ?? []).toEqual([]);
	});

	it('no privilege escalation, and the engine\'s default seccomp and AppArmor profiles', () => {
		expect(config.SecurityOpt).toContain('no-new-privileges:true');
		expect(config.SecurityOpt?.filter((option: string) => /^(seccomp|apparmor|label)[=:]/.test(option))).toEqual([]);
	});

	it('no privileged mode', () => {
		expect(config.Privileged).toBe(false);
	});

	it('a process limit from the spec, so a fork bomb stops there', () => {
		expect(config.PidsLimit).toBe(256);
		expect(hardenedHostConfig(spec({ resources: { cpus: 0.5, memoryMb: 128, pids: 64 } }), NETWORK).PidsLimit).toBe(64);
	});

	it('a memory limit equal to its memory+swap limit, so it cannot swap', () => {
		expect(config.Memory).toBe(128 * 1024 * 1024);
		expect(config.MemorySwap).toBe(config.Memory);
	});

	it('a CPU limit in billionths of a CPU', () => {
		expect(config.NanoCpus).toBe(500_000_000);
		expect(hardenedHostConfig(spec({ resources: { cpus: 1.25, memoryMb: 64, pids: 32 } }), NETWORK).NanoCpus).toBe(1_250_000_000);
	});

	it('a bounded number of open files, and no core dumps', () => {
		expect(config.Ulimits).toEqual(
			expect.arrayContaining([
				{ Name: 'nofile', Soft: expect.any(Number), Hard: expect.any(Number) },
				{ Name: 'core', Soft: 0, Hard: 0 },
			]),
		);
		const nofile = config.Ulimits?.find((limit) => limit.Name === 'nofile');
		expect(nofile?.Hard).toBeGreaterThan(0);
		expect(nofile?.Soft).toBeLessThanOrEqual(nofile?.Hard ?? 0);
	});

	it('an init process as PID 1', () => {
		expect(config.Init).toBe(true);
	});

	it('capped logs', () => {
		expect(config.LogConfig?.Config?.['max-size']).toMatch(/^\d+[kmg]$/);
	});

	it('a read-only root file system when the spec asks, and a writable one only when it does not', () => {
		expect(config.ReadonlyRootfs).toBe(true);
		expect(hardenedHostConfig(spec({ readOnlyRoot: false }), NETWORK).ReadonlyRootfs).toBe(false);
	});

	it('its sandbox\'s own network, never the host\'s', () => {
		expect(config.NetworkMode).toBe(NETWORK);
		expect(config.NetworkMode).not.toBe('host');
	});

	it('its own process, IPC, UTS and cgroup namespaces', () => {
		expect(config.PidMode ?? '').toBe('');
		expect(config.IpcMode).toBe('private');
		expect(config.UTSMode ?? '').toBe('');
		expect(config.UsernsMode ?? '').toBe('');
		expect((config as { CgroupnsMode?: string }).CgroupnsMode).toBe('private');
	});

	it('no host paths, volumes or devices: nothing of the host (and no Docker socket) inside', () => {
		expect(config.Binds).toEqual([]);
		expect(config.Mounts).toEqual([]);
		expect(config.VolumesFrom ?? []).toEqual([]);
		expect(config.Devices ?? []).toEqual([]);
		expect(JSON.stringify(config)).not.toContain('docker.sock');
	});

	it('no restart by the engine: the platform decides when a sandbox runs', () => {
		expect(config.RestartPolicy).toEqual({ Name: 'no' });
	});
});

describe('the platform channel', () => {
	it('is mounted into a helper, and only its own folder', () => {
		const helper = hardenedHostConfig(spec({ name: 'faults', role: 'helper', channel: '/srv/steady/channels/a1b2c3d4e5f6' }), NETWORK);
		expect(helper.Binds).toEqual(['/srv/steady/channels/a1b2c3d4e5f6:/run/steady-state:rw']);
		expect(helper.CapDrop).toEqual(['ALL']);
		expect(helper.Privileged).toBe(false);
	});

	it('is refused for a workstation or a service, and as a relative path', () => {
		expect(() => hardenedHostConfig(spec({ channel: '/srv/steady/channels/x' }), NETWORK)).toThrow(/Only a helper/);
		expect(() => hardenedHostConfig(spec({ role: 'service', channel: '/srv/x' }), NETWORK)).toThrow(/Only a helper/);
		expect(() => hardenedHostConfig(spec({ role: 'helper', channel: 'channels/x' }), NETWORK)).toThrow(/absolute/);
	});
});

describe('the network helper, the one container with a capability', () => {
	const helper = networkHelperHostConfig('ss-a1b2c3d4e5f6-redis');

	it('joins a sandbox member\'s network namespace, and nothing else\'s', () => {
		expect(helper.NetworkMode).toBe('container:ss-a1b2c3d4e5f6-redis');
		expect(() => networkHelperHostConfig('platform-db')).toThrow(/sandbox member/);
		expect(() => networkHelperHostConfig('host')).toThrow(/sandbox member/);
	});

	it('holds NET_ADMIN and no other capability, unprivileged and without escalation', () => {
		expect(helper.CapDrop).toEqual(['ALL']);
		expect(helper.CapAdd).toEqual(['NET_ADMIN']);
		expect(helper.Privileged).toBe(false);
		expect(helper.SecurityOpt).toEqual(['no-new-privileges:true']);
	});

	it('sees no host path, has a read-only root, small limits and no restarts', () => {
		expect(helper.Binds).toEqual([]);
		expect(helper.Mounts).toEqual([]);
		expect(helper.ReadonlyRootfs).toBe(true);
		expect(helper.PidsLimit).toBeLessThanOrEqual(16);
		expect(helper.MemorySwap).toBe(helper.Memory);
		expect(helper.RestartPolicy).toEqual({ Name: 'no' });
		expect(JSON.stringify(helper)).not.toContain('docker.sock');
	});
});

describe('the tmpfs mounts of hardenedHostConfig', () => {
	it('are the ones the spec asks for, each without setuid or device files', () => {
		const mounts = tmpfsOptions(hardenedHostConfig(spec(), NETWORK));

		expect(Object.keys(mounts).sort()).toEqual(['/run', '/tmp']);
		for (const options of Object.values(mounts)) expect(options).toEqual(expect.arrayContaining(['nosuid', 'nodev']));
	});

	it('drop suid and dev even when the spec asks for them', () => {
		const mounts = tmpfsOptions(hardenedHostConfig(spec({ tmpfs: { '/tmp': 'suid,dev,size=8m', '/run': ' suid , dev ' } }), NETWORK));

		for (const options of Object.values(mounts)) {
			expect(options).not.toContain('suid');
			expect(options).not.toContain('dev');
			expect(options).toEqual(expect.arrayContaining(['nosuid', 'nodev']));
		}
		expect(mounts['/tmp']).toContain('size=8m');
	});

	it('keep exec and ownership options when the spec asks, after the safe defaults so they win', () => {
		const mounts = tmpfsOptions(hardenedHostConfig(spec({ tmpfs: { '/home/learner': 'uid=1000,gid=1000,mode=0755,exec,size=64m' } }), NETWORK));
		const options = mounts['/home/learner'] ?? [];

		expect(options).toEqual(expect.arrayContaining(['exec', 'uid=1000', 'gid=1000', 'mode=0755', 'nosuid', 'nodev']));
		expect(options.lastIndexOf('size=64m')).toBe(options.length - 1);
	});

	it('do not add exec where the spec did not ask for it', () => {
		const mounts = tmpfsOptions(hardenedHostConfig(spec({ tmpfs: { '/tmp': 'size=8m' } }), NETWORK));

		expect(mounts['/tmp']).not.toContain('exec');
	});
});
