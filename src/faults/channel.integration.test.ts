import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEngine } from '../../sandbox/engine.ts';
import { containerName } from '../../sandbox/labels.ts';
import { removeUnknownSandboxes } from '../../sandbox/reconcile.ts';
import { Sandbox } from '../../sandbox/sandbox.ts';
import { containerSpecs } from '../labs/catalog.ts';
import { Store } from '../store/store.ts';
import { loadLab } from '../testing/lab-fixture.ts';
import { CHANNEL_SOCKET, FaultChannels } from './channel.ts';
import { FaultService } from './service.ts';

/**
 * The whole path a learner's fault takes, on real containers: the workstation calls the fault agent
 * by name (`http://faults/`, or the `faults` command), the agent forwards over the sandbox's own
 * channel, and the platform acts on that sandbox and no other.
 */
const engine = connectEngine();
const platformId = `test${randomBytes(4).toString('hex')}`;
let store: Store;
let root: string;
let channels: FaultChannels;
let sandbox: Sandbox;
let neighbour: Sandbox;

beforeAll(async () => {
	const { lab, tags } = await loadLab();
	root = await mkdtemp(path.join(tmpdir(), 'steady-channels-'));
	store = new Store(path.join(root, 'steady.db'));
	channels = new FaultChannels({ root, faults: new FaultService({ store, engine }), log: () => undefined });
	store.ensureLearner('ada', 'Ada');
	store.ensureLearner('bob', 'Bob');
	const create = async (learnerId: string) => {
		const sandboxId = randomBytes(6).toString('hex');
		const channel = await channels.prepare(sandboxId);
		const created = await Sandbox.create(engine, { platformId, sandboxId, learnerId, labId: lab.id, containers: containerSpecs(lab, tags, channel) });
		await channels.listen(created);
		return created;
	};
	[sandbox, neighbour] = await Promise.all([create('ada'), create('bob')]);
});

afterAll(async () => {
	await Promise.all([sandbox?.destroy(), neighbour?.destroy()]);
	await removeUnknownSandboxes(engine, platformId, () => false);
	await channels?.closeAll();
	store?.close();
	if (root) await rm(root, { recursive: true, force: true });
});

function learnerShell(owner: Sandbox, command: string) {
	return owner.exec('workstation', ['bash', '-c', command], { timeoutMs: 30_000 });
}

async function state(owner: Sandbox, name: string) {
	return (await engine.getContainer(containerName(owner.id, name)).inspect()).State;
}

describe('the fault API inside a sandbox', () => {
	it('pauses a service of the learner\'s own sandbox, logs it, and a reset undoes it', async () => {
		const response = await learnerShell(
			sandbox,
			`curl -sS -w '\\n%{http_code}' -X POST -H 'Content-Type: application/json' -d '{"kind":"pause","target":"redis"}' http://faults/faults`,
		);
		const [body, status] = response.stdout.trim().split('\n');
		expect(status).toBe('201');
		expect(JSON.parse(body ?? '{}')).toMatchObject({ kind: 'pause', target: 'redis', outcome: 'applied' });
		expect((await state(sandbox, 'redis')).Paused).toBe(true);
		expect((await state(neighbour, 'redis')).Paused).toBe(false);

		const log = JSON.parse((await learnerShell(sandbox, 'curl -sS http://faults/faults')).stdout) as { faults: Array<{ kind: string; learnerId: string }> };
		expect(log.faults[0]).toMatchObject({ kind: 'pause', learnerId: 'ada' });

		const reset = await learnerShell(sandbox, `curl -sS -X POST -H 'Content-Type: application/json' -d '{}' http://faults/reset`);
		expect(JSON.parse(reset.stdout).reverted).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'unpause', target: 'redis', outcome: 'reverted' })]));
		expect((await state(sandbox, 'redis')).Paused).toBe(false);
	});

	it('refuses a container of another sandbox, by its engine name, and logs the refusal', async () => {
		const other = containerName(neighbour.id, 'redis');
		const response = await learnerShell(
			sandbox,
			`curl -sS -w '\\n%{http_code}' -X POST -H 'Content-Type: application/json' -d '{"kind":"stop","target":"${other}"}' http://faults/faults`,
		);
		const [body, status] = response.stdout.trim().split('\n');
		expect(status).toBe('403');
		expect(JSON.parse(body ?? '{}').record).toMatchObject({ outcome: 'refused' });
		expect((await state(neighbour, 'redis')).Running).toBe(true);
	});

	it('the faults command does the same from the learner\'s shell, with clear errors', async () => {
		const paused = await learnerShell(sandbox, 'faults pause redis');
		expect(paused.exitCode).toBe(0);
		expect((await state(sandbox, 'redis')).Paused).toBe(true);
		const unknown = await learnerShell(sandbox, 'faults pause nosuchthing');
		expect(unknown.exitCode).toBe(1);
		expect(unknown.stderr).toContain('redis');
		const reset = await learnerShell(sandbox, 'faults reset');
		expect(reset.exitCode).toBe(0);
		expect((await state(sandbox, 'redis')).Paused).toBe(false);
	});

	it('puts the fault proxy between the workstation and Redis: latency that comes and goes, and an outage', async () => {
		const api = (method: string, route: string, body?: string) =>
			learnerShell(sandbox, `curl -sS -o /dev/null -w '%{http_code}' -X ${method} ${body ? `-d '${body}'` : ''} http://faults:8474${route}`);
		// A proxy of the test's own: a lab's own proxies (if it declares any) are already there, by their names.
		expect((await api('POST', '/proxies', '{"name":"redis-direct","listen":"0.0.0.0:16379","upstream":"redis:6379"}')).stdout).toBe('201');
		/** One PING through the proxy from the learner's shell: its answer, and milliseconds from start to exit. */
		const ping = async () => {
			const { stdout } = await learnerShell(sandbox, 's=$(date +%s%N); redis-cli -h faults -p 16379 ping 2>&1; e=$(date +%s%N); echo "ms=$(( (e - s) / 1000000 ))"');
			return { answer: stdout.split('\n')[0] ?? '', ms: Number(/ms=(\d+)/.exec(stdout)?.[1]) };
		};
		expect((await ping()).answer).toBe('PONG');

		expect((await api('POST', '/proxies/redis-direct/toxics', '{"type":"latency","attributes":{"latency":1000}}')).stdout).toBe('200');
		const slow = await ping();
		expect(slow.answer).toBe('PONG');
		expect(slow.ms).toBeGreaterThanOrEqual(1000);

		expect((await api('DELETE', '/proxies/redis-direct/toxics/latency_downstream')).stdout).toBe('204');
		const fast = await ping();
		expect(fast.answer).toBe('PONG');
		expect(fast.ms).toBeLessThan(1000);

		expect((await api('POST', '/proxies/redis-direct', '{"enabled":false}')).stdout).toBe('200');
		expect((await ping()).answer).toMatch(/Connection refused|Could not connect/);
		expect((await api('POST', '/proxies/redis-direct', '{"enabled":true}')).stdout).toBe('200');
		expect((await ping()).answer).toBe('PONG');

		// Each change went to the learner's fault log, which they read through the fault API.
		const log = JSON.parse((await learnerShell(sandbox, 'curl -sS http://faults/faults')).stdout) as { faults: Array<{ kind: string; target: string; outcome: string; sandboxId: string }> };
		const proxyChanges = log.faults.filter((entry) => entry.target === 'redis-direct' && /^(proxy|toxic)-/.test(entry.kind)).reverse();
		expect(proxyChanges.map((entry) => `${entry.kind} ${entry.target} ${entry.outcome}`)).toEqual([
			'proxy-create redis-direct applied',
			'toxic-add redis-direct applied',
			'toxic-remove redis-direct reverted',
			'proxy-disable redis-direct applied',
			'proxy-enable redis-direct reverted',
		]);
		expect(proxyChanges.every((entry) => entry.sandboxId === sandbox.id)).toBe(true);
	});

	it('leaves the learner no way to the channel and the agent no privileges', async () => {
		const socket = await learnerShell(sandbox, 'ls /run/steady-state 2>&1; echo "exit=$?"');
		expect(socket.stdout).toMatch(/No such file or directory/);
		const forged = await learnerShell(
			sandbox,
			`curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d '{"kind":"proxy-reset","target":"*","parameters":{},"outcome":"reverted","message":"Forged."}' http://faults/proxy-events`,
		);
		expect(forged.stdout).toBe('404');
		const helper = await engine.getContainer(containerName(sandbox.id, 'faults')).inspect();
		expect(helper.HostConfig.CapDrop).toEqual(['ALL']);
		expect(helper.HostConfig.Privileged).toBe(false);
		expect(helper.HostConfig.Binds).toEqual([`${channels.folderFor(sandbox.id)}:/run/steady-state:rw`]);
		expect(JSON.stringify(helper.Mounts)).not.toContain('docker.sock');
		const workstation = await engine.getContainer(containerName(sandbox.id, 'workstation')).inspect();
		expect(workstation.HostConfig.Binds ?? []).toEqual([]);
	});
});

/** One request to a sandbox's channel socket, as the fault agent makes it. */
function postToChannel(owner: Sandbox, route: string, body: string): Promise<{ status: number; json: any }> {
	return new Promise((resolve, reject) => {
		const socketPath = path.join(channels.folderFor(owner.id), CHANNEL_SOCKET);
		const request = http.request({ socketPath, method: 'POST', path: route, headers: { 'content-type': 'application/json' } }, (response) => {
			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('end', () => resolve({ status: response.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) }));
		});
		request.on('error', reject);
		request.end(body);
	});
}

describe('proxy changes reported over the channel', () => {
	const event = {
		kind: 'toxic-add',
		target: 'redis',
		parameters: { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 1000, jitter: 100 } },
		outcome: 'applied',
		message: 'Added latency toxic latency_downstream on redis: 1000 ms ± 100 ms, downstream, toxicity 1.',
	};

	it('land in the log of the sandbox whose socket they came in on', async () => {
		const reply = await postToChannel(neighbour, '/proxy-events', JSON.stringify(event));
		expect(reply.status).toBe(201);
		expect(reply.json).toMatchObject({ ...event, sandboxId: neighbour.id, learnerId: 'bob', labId: neighbour.identity.labId });
		expect(store.faultLog('bob', neighbour.identity.labId)[0]).toEqual(reply.json);
		expect(store.faultLog('ada', sandbox.identity.labId).some((entry) => entry.id === reply.json.id)).toBe(false);
	});

	it('answer 400 naming the field for a bad body, and log nothing', async () => {
		const before = store.faultLog('bob', neighbour.identity.labId).length;
		const wrongKind = await postToChannel(neighbour, '/proxy-events', JSON.stringify({ ...event, kind: 'pause' }));
		expect(wrongKind.status).toBe(400);
		expect(wrongKind.json.error).toMatch(/^The proxy event was not logged: kind must be one of toxic-add, /);
		const otherSandbox = await postToChannel(neighbour, '/proxy-events', JSON.stringify({ ...event, sandboxId: sandbox.id }));
		expect(otherSandbox.status).toBe(400);
		expect(otherSandbox.json.error).toContain('unknown field sandboxId');
		expect((await postToChannel(neighbour, '/proxy-events', '{not json')).status).toBe(400);
		expect(store.faultLog('bob', neighbour.identity.labId)).toHaveLength(before);
	});
});
