import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLab } from '../src/testing/lab-fixture.ts';
import { connectEngine } from './engine.ts';
import { containerName } from './labels.ts';
import { removeUnknownSandboxes } from './reconcile.ts';
import { Sandbox } from './sandbox.ts';
import type { ContainerSpec } from './spec.ts';
import { RestartSupervisor, type RestartEvent } from './supervisor.ts';

// Real engine, the steady-state lab's images, and a restart policy set per container by the test.
const engine = connectEngine();
const platformId = `test${randomBytes(4).toString('hex')}`;
const events: RestartEvent[] = [];
const logged: string[] = [];
const wanted = new Set<string>();
let supervisor: RestartSupervisor;
let sandbox: Sandbox;

async function state(name: string) {
	const info = await engine.getContainer(containerName(sandbox.id, name)).inspect();
	return { running: info.State.Running, exitCode: info.State.ExitCode, startedAt: Date.parse(info.State.StartedAt) };
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
	const deadline = performance.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value !== undefined) return value;
		if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

beforeAll(async () => {
	const fixture = await loadLab();
	// redis comes back when it fails, after 1 s; storefront stays down, whatever happens to it.
	const containers: ContainerSpec[] = fixture.containers.map((spec) => {
		if (spec.name === 'redis') return { ...spec, restart: { policy: 'on-failure', delaySeconds: 1 } };
		if (spec.name === 'storefront') return { ...spec, restart: { policy: 'never', delaySeconds: 1 } };
		return spec;
	});
	sandbox = await Sandbox.create(engine, { platformId, sandboxId: randomBytes(6).toString('hex'), learnerId: 'learner-1', labId: fixture.lab.id, containers });
	wanted.add(sandbox.id);
	supervisor = new RestartSupervisor({ engine, platformId, wanted: (id) => wanted.has(id), onRestart: (event) => events.push(event), log: (line) => logged.push(line) });
	await supervisor.start();
});

afterAll(async () => {
	await supervisor?.close();
	await sandbox?.destroy();
	await removeUnknownSandboxes(engine, platformId, () => false);
});

describe('the restart supervisor', () => {
	it('starts a killed container again after the lab\'s delay, and says so', async () => {
		const before = await state('redis');
		const killedAt = performance.now();
		await engine.getContainer(containerName(sandbox.id, 'redis')).kill({ signal: 'SIGKILL' });
		expect((await state('redis')).running).toBe(false);

		const event = await waitFor('the restart event', async () => events.find((candidate) => candidate.container === 'redis'));
		const waited = performance.now() - killedAt;
		expect(event).toMatchObject({ sandboxId: sandbox.id, learnerId: 'learner-1', labId: 'steady-state', policy: 'on-failure', exitCode: 137, delaySeconds: 1, outcome: 'restarted' });
		expect(event.message).toContain('exited with code 137');
		// The delay is honoured: not restarted at once.
		expect(waited).toBeGreaterThanOrEqual(900);
		const after = await state('redis');
		expect(after.running).toBe(true);
		expect(after.startedAt).toBeGreaterThan(before.startedAt);
		// It is the real redis again, answering.
		const ping = await sandbox.exec('redis', ['redis-cli', 'ping'], { timeoutMs: 10_000 });
		expect(ping.stdout.trim()).toBe('PONG');
	});

	it('leaves a deliberately stopped container down', async () => {
		events.length = 0;
		supervisor.expectStop(sandbox.id, 'redis');
		await engine.getContainer(containerName(sandbox.id, 'redis')).stop({ t: 0 });
		await new Promise((resolve) => setTimeout(resolve, 3000));

		expect((await state('redis')).running).toBe(false);
		expect(events).toEqual([]);
		await engine.getContainer(containerName(sandbox.id, 'redis')).start();
	});

	it('leaves a container whose policy is never down after a kill', async () => {
		events.length = 0;
		await engine.getContainer(containerName(sandbox.id, 'storefront')).kill({ signal: 'SIGKILL' });
		await new Promise((resolve) => setTimeout(resolve, 3000));

		expect((await state('storefront')).running).toBe(false);
		expect(events).toEqual([]);
	});

	it('does not restart into a sandbox the platform no longer wants', async () => {
		events.length = 0;
		wanted.delete(sandbox.id);
		await engine.getContainer(containerName(sandbox.id, 'redis')).kill({ signal: 'SIGKILL' });
		await new Promise((resolve) => setTimeout(resolve, 3000));

		expect((await state('redis')).running).toBe(false);
		expect(events).toEqual([]);
		expect(logged).toEqual([]);
	});
});
