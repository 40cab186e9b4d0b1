import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEngine } from '../../sandbox/engine.ts';
import { containerName, labelFilter, LABELS } from '../../sandbox/labels.ts';
import { removeUnknownSandboxes } from '../../sandbox/reconcile.ts';
import { Sandbox } from '../../sandbox/sandbox.ts';
import { isLabError } from '../platform/errors.ts';
import { Store } from '../store/store.ts';
import { kernelHasNetem } from '../testing/kernel.ts';
import { loadLab } from '../testing/lab-fixture.ts';
import { FaultError, FaultService } from './service.ts';

// State and resource faults against a real steady-state sandbox (workstation, storefront, redis).
const engine = connectEngine();
const platformId = `test${randomBytes(4).toString('hex')}`;
const store = new Store(':memory:');
const faults = new FaultService({ store, engine });
let sandbox: Sandbox;
/** Another learner's sandbox on the same platform, whose container a request must never reach. */
let neighbour: Sandbox;

beforeAll(async () => {
	const fixture = await loadLab();
	store.ensureLearner('ada', 'Ada');
	store.ensureLearner('bob', 'Bob');
	const identity = { platformId, labId: fixture.lab.id };
	[sandbox, neighbour] = await Promise.all([
		Sandbox.create(engine, { ...identity, sandboxId: randomBytes(6).toString('hex'), learnerId: 'ada', containers: fixture.containers }),
		Sandbox.create(engine, {
			...identity,
			sandboxId: randomBytes(6).toString('hex'),
			learnerId: 'bob',
			containers: fixture.containers.filter((container) => container.name === 'redis'),
		}),
	]);
});

afterAll(async () => {
	await Promise.all([sandbox?.destroy(), neighbour?.destroy()]);
	await removeUnknownSandboxes(engine, platformId, () => false);
	store.close();
});

function inspect(owner: Sandbox, name: string) {
	return engine.getContainer(containerName(owner.id, name)).inspect();
}

/** The refusal `apply` rejects with, for asserting on its status, message, fix and log entry. */
async function refusal(request: unknown, owner = sandbox): Promise<FaultError> {
	const error = await faults.apply(owner, request).then(
		() => undefined,
		(failure: unknown) => failure,
	);
	if (!(error instanceof FaultError)) throw new Error(`expected a refusal, got ${String(error)}`);
	expect(isLabError(error)).toBe(true);
	return error;
}

async function stats(name: string) {
	return engine.getContainer(containerName(sandbox.id, name)).stats({ stream: false });
}

/** CPU seconds per second the container used over about `ms`, from the engine's cgroup statistics. */
async function cpuRate(name: string, ms: number): Promise<number> {
	const first = await stats(name);
	const start = performance.now();
	await new Promise((resolve) => setTimeout(resolve, ms));
	const second = await stats(name);
	const elapsed = (performance.now() - start) * 1e6;
	return (second.cpu_stats.cpu_usage.total_usage - first.cpu_stats.cpu_usage.total_usage) / elapsed;
}

async function memoryMb(name: string): Promise<number> {
	return (await stats(name)).memory_stats.usage / (1024 * 1024);
}

/** Polls until `probe` says yes, failing with what it last saw after `ms`. */
async function eventually<T>(probe: () => Promise<T>, accept: (value: T) => boolean, ms = 10_000): Promise<T> {
	const deadline = performance.now() + ms;
	let value = await probe();
	while (!accept(value) && performance.now() < deadline) {
		await new Promise((resolve) => setTimeout(resolve, 200));
		value = await probe();
	}
	return value;
}

describe('requests the platform refuses', () => {
	it('names the fault kinds for an unknown kind', async () => {
		const error = await refusal({ kind: 'explode', target: 'redis' });
		expect(error.status).toBe(400);
		expect(error.message).toBe('"explode" is not a fault kind.');
		expect(error.fix).toContain('kill, stop, start, restart, pause, unpause, kill-process, cpu, memory');
		expect(error.record).toMatchObject({ kind: 'explode', target: 'redis', outcome: 'refused', learnerId: 'ada', sandboxId: sandbox.id });
	});

	it('names the sandbox\'s containers for an unknown target', async () => {
		const error = await refusal({ kind: 'stop', target: 'database' });
		expect(error.status).toBe(404);
		expect(error.fix).toBe('Your sandbox\'s containers: workstation, storefront, redis.');
	});

	it('names the known fields for an unknown parameter', async () => {
		const error = await refusal({ kind: 'cpu', target: 'redis', threads: 2 });
		expect(error.status).toBe(400);
		expect(error.message).toContain('unknown field "threads"');
		expect(error.fix).toContain('kind, target, workers, seconds');
		expect(error.record.parameters).toEqual({ threads: 2 });
	});

	it('refuses another sandbox\'s container, logs it, and leaves that container alone', async () => {
		const other = containerName(neighbour.id, 'redis');
		const error = await refusal({ kind: 'kill', target: other });
		expect(error.status).toBe(403);
		expect(error.message).toContain('not a container of your sandbox');
		expect(faults.log('ada', sandbox.identity.labId)[0]).toMatchObject({ kind: 'kill', target: other, outcome: 'refused' });
		const byId = await refusal({ kind: 'pause', target: (await inspect(neighbour, 'redis')).Id.slice(0, 12) });
		expect(byId.status).toBe(403);
		expect((await inspect(neighbour, 'redis')).State).toMatchObject({ Running: true, Paused: false });
	});

	it('points from the engine\'s name of an own container to its name in the sandbox', async () => {
		const error = await refusal({ kind: 'stop', target: containerName(sandbox.id, 'redis') });
		expect(error.status).toBe(400);
		expect(error.fix).toBe('Name it as your sandbox does: "redis".');
		expect((await inspect(sandbox, 'redis')).State.Running).toBe(true);
	});

	it('protects the learner\'s workstation from faults that would end their terminal', async () => {
		const error = await refusal({ kind: 'pause', target: 'workstation' });
		expect(error.status).toBe(403);
		expect(error.message).toContain('runs your terminal');
		expect((await inspect(sandbox, 'workstation')).State.Paused).toBe(false);
	});
});

describe('state faults', () => {
	it('kill takes the container down, and start brings it back', async () => {
		const record = await faults.apply(sandbox, { kind: 'kill', target: 'redis' });
		expect(record).toMatchObject({ kind: 'kill', target: 'redis', parameters: { signal: 'SIGKILL' }, outcome: 'applied' });
		const state = (await inspect(sandbox, 'redis')).State;
		expect(state.Running).toBe(false);
		expect(state.ExitCode).toBe(137);

		const again = await refusal({ kind: 'kill', target: 'redis' });
		expect(again.status).toBe(409);

		await faults.apply(sandbox, { kind: 'start', target: 'redis' });
		expect((await inspect(sandbox, 'redis')).State.Running).toBe(true);
	});

	it('kill with a chosen signal: SIGTERM, not SIGKILL, reaches redis', async () => {
		await faults.apply(sandbox, { kind: 'kill', target: 'redis', signal: 'term' });
		const state = await eventually(async () => (await inspect(sandbox, 'redis')).State, (current) => !current.Running);
		expect(state.Running).toBe(false);
		// 0 when redis shuts down on SIGTERM, 143 (128 + 15) when it arrives before redis (just started
		// by the test before) has set up its handler; never SIGKILL's 137.
		expect([0, 143]).toContain(state.ExitCode);
		await faults.apply(sandbox, { kind: 'start', target: 'redis' });
	});

	it('stop and start, each idempotent', async () => {
		await faults.apply(sandbox, { kind: 'stop', target: 'redis' });
		expect((await inspect(sandbox, 'redis')).State.Running).toBe(false);
		expect((await faults.apply(sandbox, { kind: 'stop', target: 'redis' })).message).toBe('redis was already stopped.');

		await faults.apply(sandbox, { kind: 'start', target: 'redis' });
		expect((await inspect(sandbox, 'redis')).State.Running).toBe(true);
		expect((await faults.apply(sandbox, { kind: 'start', target: 'redis' })).message).toBe('redis was already running.');
	});

	it('pause freezes a member until revertAll unpauses it, and the revert is logged', async () => {
		await faults.apply(sandbox, { kind: 'pause', target: 'storefront' });
		expect((await inspect(sandbox, 'storefront')).State.Paused).toBe(true);

		const reverted = await faults.revertAll(sandbox);
		expect(reverted).toEqual([expect.objectContaining({ kind: 'unpause', target: 'storefront', outcome: 'reverted' })]);
		expect((await inspect(sandbox, 'storefront')).State.Paused).toBe(false);
		expect(faults.log('ada', sandbox.identity.labId).slice(0, 2).map((entry) => `${entry.kind} ${entry.outcome}`)).toEqual(['unpause reverted', 'pause applied']);
	});

	it('revertAll starts a member that a fault stopped', async () => {
		await faults.apply(sandbox, { kind: 'stop', target: 'redis' });
		const reverted = await faults.revertAll(sandbox);
		expect(reverted).toEqual([expect.objectContaining({ kind: 'start', target: 'redis', outcome: 'reverted' })]);
		expect((await inspect(sandbox, 'redis')).State.Running).toBe(true);
	});

	it('kill-process signals processes by name as the container\'s user, and says how many', async () => {
		await sandbox.exec('redis', ['sh', '-c', 'sleep 300 </dev/null >/dev/null 2>&1 & sleep 300 </dev/null >/dev/null 2>&1 &']);
		const record = await faults.apply(sandbox, { kind: 'kill-process', target: 'redis', process: 'sleep' });
		expect(record.message).toBe('Sent SIGKILL to 2 processes named sleep in redis.');
		const left = await sandbox.exec('redis', ['sh', '-c', 'cat /proc/[0-9]*/comm 2>/dev/null']);
		expect(left.stdout.split('\n')).not.toContain('sleep');
		expect((await inspect(sandbox, 'redis')).State.Running).toBe(true);

		const none = await refusal({ kind: 'kill-process', target: 'redis', process: 'nginx' });
		expect(none.status).toBe(404);
		expect(none.fix).toContain('redis-server');
	});
});

describe('resource faults', () => {
	it('CPU pressure shows in the target\'s cgroup statistics, within its limit, and ends on revert', async () => {
		const tooMany = await refusal({ kind: 'cpu', target: 'redis', workers: 2 });
		expect(tooMany.message).toContain('At most 1 CPU worker for redis (its CPU limit is 0.5 CPU)');

		const idle = await cpuRate('redis', 1000);
		await faults.apply(sandbox, { kind: 'cpu', target: 'redis', workers: 1, seconds: 60 });
		const busy = await cpuRate('redis', 2000);
		// The limit is half a CPU; a busy worker should use most of it, an idle Redis almost none.
		expect(busy).toBeGreaterThan(0.3);
		expect(busy).toBeLessThan(0.7);
		expect(idle).toBeLessThan(0.1);

		const reverted = await faults.revertAll(sandbox);
		expect(reverted).toEqual([expect.objectContaining({ kind: 'cpu', target: 'redis', outcome: 'reverted' })]);
		expect(await cpuRate('redis', 1000)).toBeLessThan(0.1);
	});

	it('memory pressure shows in the target\'s memory usage, is refused past its limit, and ends on revert', async () => {
		const tooMuch = await refusal({ kind: 'memory', target: 'redis', megabytes: 128 });
		expect(tooMuch.status).toBe(400);
		expect(tooMuch.message).toContain('below its limit of 128 MB');

		const before = await memoryMb('redis');
		await faults.apply(sandbox, { kind: 'memory', target: 'redis', megabytes: 64, seconds: 60 });
		const during = await eventually(() => memoryMb('redis'), (usage) => usage > before + 60);
		expect(during).toBeGreaterThan(before + 60);
		expect(during).toBeLessThan(128);

		const reverted = await faults.revertAll(sandbox);
		expect(reverted).toEqual([expect.objectContaining({ kind: 'memory', target: 'redis', outcome: 'reverted' })]);
		const after = await eventually(() => memoryMb('redis'), (usage) => usage < before + 20);
		expect(after).toBeLessThan(before + 20);
	});

	it('ends one kind of pressure singly, as a rollback would, and logs it as reverted', async () => {
		await faults.apply(sandbox, { kind: 'cpu', target: 'storefront', seconds: 60 });
		await faults.apply(sandbox, { kind: 'memory', target: 'storefront', megabytes: 16, seconds: 60 });
		const running = (kind: string) =>
			sandbox.exec('storefront', ['sh', '-c', `grep -lsz "^STEADY_FAULT_PRESSURE=${kind}$" /proc/[0-9]*/environ | wc -l`]).then((result) => Number(result.stdout.trim()));
		expect(await running('cpu')).toBeGreaterThan(0);

		const ended = await faults.apply(sandbox, { kind: 'end-pressure', target: 'storefront', pressure: 'cpu' });
		expect(ended).toMatchObject({ kind: 'end-pressure', outcome: 'reverted', parameters: { pressure: 'cpu' } });
		expect(ended.message).toMatch(/^Ended the CPU pressure in storefront \(\d+ process/);
		expect(await running('cpu')).toBe(0);
		// The other kind is untouched until it is ended too.
		expect(await running('memory')).toBeGreaterThan(0);
		expect((await faults.apply(sandbox, { kind: 'end-pressure', target: 'storefront' })).message).toContain('Ended the pressure in storefront');
		expect(await running('memory')).toBe(0);
		expect((await faults.apply(sandbox, { kind: 'end-pressure', target: 'storefront' })).message).toBe('There was no pressure in storefront to end.');
	});

	it('pressure ends on its own at its duration', async () => {
		await faults.apply(sandbox, { kind: 'cpu', target: 'storefront', seconds: 1 });
		const count = () => sandbox.exec('storefront', ['sh', '-c', 'grep -lsz "^STEADY_FAULT_PRESSURE=" /proc/[0-9]*/environ | wc -l']).then((result) => Number(result.stdout.trim()));
		expect(await count()).toBeGreaterThan(0);
		expect(await eventually(count, (processes) => processes === 0, 5000)).toBe(0);
		expect(await faults.revertAll(sandbox)).toEqual([]);
	});
});

describe('the fault log', () => {
	it('holds every request of the learner for the lab, newest first, and nothing of other learners', () => {
		const log = faults.log('ada', sandbox.identity.labId);
		expect(log.length).toBeGreaterThan(15);
		expect(log.map((entry) => entry.id)).toEqual([...log.map((entry) => entry.id)].sort((a, b) => b - a));
		expect(new Set(log.map((entry) => entry.outcome))).toEqual(new Set(['applied', 'refused', 'reverted']));
		expect(faults.log('bob', sandbox.identity.labId)).toEqual([]);
	});
});

/** Milliseconds of the median of five `redis-cli ping`s from the workstation, each on a new connection. */
async function redisPingMs(): Promise<number> {
	const { stdout } = await sandbox.exec('workstation', [
		'bash',
		'-c',
		'for i in 1 2 3 4 5; do s=$(date +%s%N); redis-cli -h redis ping >/dev/null; e=$(date +%s%N); echo $(((e - s) / 1000000)); done',
	]);
	const times = stdout.trim().split('\n').map(Number).sort((a, b) => a - b);
	return times[2] ?? Number.NaN;
}

/** Containers of the sandbox that are not its members: interface helpers that outlived their command. */
async function leftoverHelpers(): Promise<string[]> {
	const containers = await engine.listContainers({ all: true, filters: labelFilter(platformId, sandbox.id) });
	const members = new Set(sandbox.containerNames());
	return containers.map((info) => info.Labels[LABELS.container] ?? '').filter((name) => !members.has(name));
}

// After the fault log's own test, which counts the outcomes of the faults above.
describe('interface faults (netem), from a helper in the target\'s network namespace', () => {
	const hasNetem = kernelHasNetem();

	it(hasNetem ? 'delay what the target sends by at least the delay, until end-netem' : 'say that this kernel has no netem, in tc\'s words, and point to the proxy', async () => {
		if (hasNetem) {
			const before = await redisPingMs();
			const record = await faults.apply(sandbox, { kind: 'delay', target: 'redis', milliseconds: 300 });
			expect(record).toMatchObject({ kind: 'delay', outcome: 'applied', parameters: { milliseconds: 300, jitter: 0 } });
			expect(await redisPingMs()).toBeGreaterThanOrEqual(before + 300);
			expect((await faults.apply(sandbox, { kind: 'end-netem', target: 'redis' })).message).toBe('Took the interface fault off redis.');
			expect(await redisPingMs()).toBeLessThan(before + 150);
		} else {
			for (const request of [
				{ kind: 'delay', target: 'redis', milliseconds: 300, jitter: 50 },
				{ kind: 'loss', target: 'storefront', percent: 5 },
				{ kind: 'corrupt', target: 'redis', percent: 1 },
				{ kind: 'duplicate', target: 'redis', percent: 1 },
			]) {
				const error = await refusal(request);
				expect(error.status).toBe(501);
				expect(error.message).toContain(`The ${request.kind} fault on ${request.target}'s network interface needs the kernel's netem, and this machine's kernel has none`);
				// tc's own words: the helper ran tc on the target's interface, and the kernel answered.
				expect(error.message).toContain('Specified qdisc kind is unknown');
				expect(error.fix).toContain('http://faults:8474');
				expect(error.record).toMatchObject({ kind: request.kind, target: request.target, outcome: 'failed' });
			}
		}
		expect(await leftoverHelpers()).toEqual([]);
	});

	it('end-netem finds the target\'s own interface, and says when there is nothing on it to end', async () => {
		// A helper that did not see redis's interface would fail here ("Cannot find device"), not say "nothing".
		const record = await faults.apply(sandbox, { kind: 'end-netem', target: 'redis' });
		expect(record).toMatchObject({ kind: 'end-netem', outcome: 'reverted', message: 'There was no interface fault on redis to end.' });
		expect(await leftoverHelpers()).toEqual([]);
	});

	it('never gives the target, or the learner\'s workstation, a capability; the helper is refused for others\' containers', async () => {
		for (const name of ['redis', 'workstation']) {
			const { HostConfig } = await inspect(sandbox, name);
			expect(HostConfig.CapAdd ?? []).toEqual([]);
			expect(HostConfig.CapDrop).toEqual(['ALL']);
		}
		const { stdout } = await sandbox.exec('redis', ['sh', '-c', 'grep ^CapEff: /proc/1/status']);
		expect(stdout.trim()).toBe('CapEff:\t0000000000000000');
		const neighbours = await refusal({ kind: 'loss', target: containerName(neighbour.id, 'redis'), percent: 50 });
		expect(neighbours.status).toBe(403);
	});
});
