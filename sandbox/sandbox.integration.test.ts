import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containerSpecs, LabCatalog, memberSpecs, type Lab } from '../src/labs/catalog.ts';
import { loadLab } from '../src/testing/lab-fixture.ts';
import { projectRoot } from '../src/testing/platform-process.ts';
import { connectEngine } from './engine.ts';
import { ImageBuilder } from './images.ts';
import { LABELS, labelFilter } from './labels.ts';
import { listLabelledSandboxes, removeUnknownSandboxes } from './reconcile.ts';
import { ContainerNotReadyError, Sandbox } from './sandbox.ts';
import type { ContainerSpec, SandboxSpec } from './spec.ts';

// Real engine, real lab images (built by the integration setup), a platform id of our own.
const engine = connectEngine();
const platformId = `test${randomBytes(4).toString('hex')}`;
let lab: Lab;
let tags: Record<string, string>;
let channel: string;

function newSpec(containers?: ContainerSpec[]): SandboxSpec {
	return {
		platformId,
		sandboxId: randomBytes(6).toString('hex'),
		learnerId: 'learner-1',
		labId: lab.id,
		containers: containers ?? containerSpecs(lab, tags, channel),
	};
}

async function shell(sandbox: Sandbox, command: string) {
	return sandbox.exec('workstation', ['bash', '-c', command], { timeoutMs: 20_000 });
}

beforeAll(async () => {
	({ lab, tags, channel } = await loadLab());
});

afterAll(async () => {
	await removeUnknownSandboxes(engine, platformId, () => false);
});

describe('a learner sandbox', () => {
	let sandbox: Sandbox;
	let other: Sandbox;
	let hostService: Server;

	beforeAll(async () => {
		[sandbox, other] = await Promise.all([Sandbox.create(engine, newSpec()), Sandbox.create(engine, newSpec())]);
		// A service of the test's own, on every host address, standing in for anything on the host.
		hostService = createServer((_req, res) => res.end('host')).listen(0, '0.0.0.0');
		await new Promise((resolve) => hostService.once('listening', resolve));
	});

	afterAll(async () => {
		hostService.close();
		await Promise.all([sandbox.destroy(), other.destroy()]);
	});

	it('labels every container and its network with platform, sandbox, learner and lab', async () => {
		const containers = await engine.listContainers({ all: true, filters: labelFilter(platformId, sandbox.id) });
		expect(containers.map((container) => container.Labels[LABELS.container]).sort()).toEqual(['faults', 'redis', 'storefront', 'workstation']);
		for (const container of containers) {
			expect(container.Labels).toMatchObject({
				[LABELS.platform]: platformId,
				[LABELS.sandbox]: sandbox.id,
				[LABELS.learner]: 'learner-1',
				[LABELS.lab]: 'steady-state',
			});
		}
		const networks = await engine.listNetworks({ filters: labelFilter(platformId, sandbox.id) });
		expect(networks).toHaveLength(1);
		const network = await engine.getNetwork(networks[0]?.Id ?? '').inspect();
		expect(network.Internal).toBe(true);
	});

	it('runs every container with the hardening profile', async () => {
		const containers = await engine.listContainers({ filters: labelFilter(platformId, sandbox.id) });
		for (const summary of containers) {
			const info = await engine.getContainer(summary.Id).inspect();
			const host = info.HostConfig;
			expect(host.CapDrop).toEqual(['ALL']);
			expect(host.CapAdd ?? []).toEqual([]);
			expect(host.Privileged).toBe(false);
			expect(host.SecurityOpt).toContain('no-new-privileges:true');
			expect(host.PidsLimit).toBeGreaterThan(0);
			expect(host.Memory).toBeGreaterThan(0);
			expect(host.MemorySwap).toBe(host.Memory);
			expect(host.NanoCpus).toBeGreaterThan(0);
			expect(host.ReadonlyRootfs).toBe(true);
			expect(host.Init).toBe(true);
			expect(host.NetworkMode).toMatch(/^ss-/);
			// The one host path in a sandbox: the fault helper's channel folder, and only in the helper.
			const binds = info.Mounts.filter((mount) => mount.Type === 'bind');
			if (summary.Labels[LABELS.container] === 'faults') expect(binds.map((mount) => [mount.Source, mount.Destination])).toEqual([[channel, '/run/steady-state']]);
			else expect(binds).toEqual([]);
		}
	});

	it('gives the learner no capabilities, no Docker socket and their own uid', async () => {
		const result = await shell(sandbox, 'id -u; grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status; ls /var/run/docker.sock /run/docker.sock 2>&1; true');
		expect(result.stdout).toMatch(/^1000\n/);
		for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) expect(result.stdout).toContain(`${set}:\t0000000000000000`);
		expect(result.stdout).not.toMatch(/^\/(var\/)?run\/docker\.sock$/m);
		expect(result.stdout).toContain('No such file or directory');
	});

	it('reaches its own services by name', async () => {
		const result = await shell(sandbox, 'curl -sS -m 5 http://storefront:8080/health && redis-cli -h redis ping');
		expect(result.exitCode).toBe(0);
		expect(result.stdout).toContain('"status": "ok"');
		expect(result.stdout).toContain('PONG');
	});

	it('cannot reach the host: the gateway address answers nothing, not even a service on 0.0.0.0', async () => {
		const port = (hostService.address() as AddressInfo).port;
		const result = await shell(sandbox, `gw=$(ip route | awk '/default/ {print $3}'); curl -sS -m 3 -o /dev/null "http://$gw:${port}/"; echo "exit=$?"`);
		expect(result.stdout).toMatch(/exit=(7|28)\b/);
	});

	it('has no way out to other networks', async () => {
		// 198.51.100.1 is a documentation address: it is never routed, so nothing leaves the bridge.
		const result = await shell(sandbox, 'curl -sS -m 3 -o /dev/null http://198.51.100.1/; echo "exit=$?"; getent hosts deb.debian.org || echo "no dns"');
		expect(result.stdout).toMatch(/exit=(7|28)\b/);
		expect(result.stdout).toContain('no dns');
	});

	it("cannot reach another learner's sandbox", async () => {
		const otherIp = await other.exec('storefront', ['sh', '-c', "hostname -i | awk '{print $1}'"]).then((result) => result.stdout.trim());
		expect(otherIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
		const result = await shell(sandbox, `curl -sS -m 3 -o /dev/null http://${otherIp}:8080/health; echo "exit=$?"`);
		expect(result.stdout).toMatch(/exit=(7|28)\b/);
	});

	it('stops a fork bomb at the process limit', async () => {
		// dash, unlike bash, does not retry a failed fork, so the limit shows at once.
		const result = await shell(sandbox, 'sh -c \'i=0; while [ $i -lt 400 ]; do sleep 30 >/dev/null 2>&1 & i=$((i+1)); done\' 2>&1 | tail -n 1; pkill -x sleep; true');
		expect(result.stdout).toContain('Cannot fork');
	});
});

describe('sandbox lifecycle', () => {
	it('removes every container and the network of a sandbox that never becomes ready, before throwing', async () => {
		const specs = containerSpecs(lab, tags, channel).map((container) =>
			container.name === 'redis' ? { ...container, ready: { exec: ['false'], timeoutSeconds: 2 } } : container,
		);
		const spec = newSpec(specs);
		await expect(Sandbox.create(engine, spec)).rejects.toBeInstanceOf(ContainerNotReadyError);
		expect(await engine.listContainers({ all: true, filters: labelFilter(platformId, spec.sandboxId) })).toEqual([]);
		expect(await engine.listNetworks({ filters: labelFilter(platformId, spec.sandboxId) })).toEqual([]);
	});

	it('ends its shells at teardown and removes everything; destroying twice is fine', async () => {
		const sandbox = await Sandbox.create(engine, newSpec());
		const shellSession = await sandbox.openShell('workstation', 'session1', ['/bin/bash', '-l'], { cols: 80, rows: 24 });
		await sandbox.destroy();
		await expect(shellSession.exited).resolves.toBeDefined();
		await sandbox.destroy();
		expect(sandbox.state).toBe('destroyed');
		expect(await engine.listContainers({ all: true, filters: labelFilter(platformId, sandbox.id) })).toEqual([]);
	});

	it('hangs up a shell on end(), leaving the sandbox running', async () => {
		await using sandbox = await Sandbox.create(engine, newSpec());
		const session = await sandbox.openShell('workstation', 'hangme', ['/bin/bash', '-l'], { cols: 80, rows: 24 });
		session.write('sleep 300 &\n');
		await new Promise((resolve) => setTimeout(resolve, 500));
		await session.end();
		await session.exited;
		// The bracket keeps pgrep from matching this very command line.
		const left = await shell(sandbox, 'sleep 0.5; pgrep -c -f "[s]leep 300" || true');
		expect(left.stdout.trim()).toBe('0');
	});

	it('adopts a running sandbox after a restart and hangs up the shells the old process left', async () => {
		const spec = newSpec();
		const original = await Sandbox.create(engine, spec);
		const orphanShell = await original.openShell('workstation', 'oldsession', ['/bin/bash', '-l'], { cols: 80, rows: 24 });
		// The platform process "dies": its stream goes away but the engine keeps the shell running.
		orphanShell.output.destroy();
		const adopted = await Sandbox.adopt(engine, spec, memberSpecs(lab));
		expect(adopted?.state).toBe('ready');
		const shells = await adopted?.exec('workstation', ['sh', '-c', 'sleep 0.5; grep -lsz STEADY_SHELL_SESSION=oldsession /proc/[0-9]*/environ | wc -l']);
		expect(shells?.stdout.trim()).toBe('0');
		await adopted?.destroy();
	});

	it('adopts a sandbox whose service the learner stopped, but not one whose workstation is down', async () => {
		const spec = newSpec();
		const sandbox = await Sandbox.create(engine, spec);
		// A `stop` fault on redis is the learner's doing; the lab goes on without it.
		await engine.getContainer(`ss-${spec.sandboxId}-redis`).stop({ t: 0 });
		expect((await Sandbox.adopt(engine, spec, memberSpecs(lab)))?.state).toBe('ready');
		await engine.getContainer(`ss-${spec.sandboxId}-workstation`).stop({ t: 0 });
		expect(await Sandbox.adopt(engine, spec, memberSpecs(lab))).toBeUndefined();
		await sandbox.destroy();
	});

	it('reconciles: removes labelled sandboxes the store does not know, keeps the ones it does', async () => {
		const [kept, orphan] = await Promise.all([Sandbox.create(engine, newSpec()), Sandbox.create(engine, newSpec())]);
		const removed = await removeUnknownSandboxes(engine, platformId, (id) => id === kept.id);
		expect(removed.map((sandbox) => sandbox.sandboxId)).toContain(orphan.id);
		const remaining = (await listLabelledSandboxes(engine, platformId)).map((sandbox) => sandbox.sandboxId);
		expect(remaining).toContain(kept.id);
		expect(remaining).not.toContain(orphan.id);
		await kept.destroy();
	});

	it('refuses sandbox ids that cannot name a bridge interface', async () => {
		await expect(Sandbox.create(engine, { ...newSpec(), sandboxId: 'much-too-long-for-linux' })).rejects.toThrow(/1 to 12 lowercase/);
	});
});

describe('images', () => {
	it('reuses built images: a second ensure builds nothing', async () => {
		const catalog = await LabCatalog.load(projectRoot);
		const events: string[] = [];
		const images = new ImageBuilder(engine, catalog.recipes, { onProgress: (progress) => events.push(progress.message) });
		const tag = await images.ensure('lab-steady-state-redis');
		expect(tag).toBe(tags['lab-steady-state-redis']);
		expect(events.filter((message) => message.startsWith('Building'))).toEqual([]);
		expect(await images.currentTag('lab-steady-state-redis')).toBe(tag);
	});
});
