import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEngine } from '../../sandbox/engine.ts';
import { removeUnknownSandboxes } from '../../sandbox/reconcile.ts';
import { Sandbox } from '../../sandbox/sandbox.ts';
import { containerSpecs } from '../labs/catalog.ts';
import { Store } from '../store/store.ts';
import { loadLab } from '../testing/lab-fixture.ts';
import { FaultChannels } from './channel.ts';
import { FaultService } from './service.ts';

/**
 * Network faults on real containers: the steady-state lab puts its fault proxy `redis` between the
 * storefront and Redis (faults:26379). Everything here is done and measured from the learner's
 * workstation, with curl against the Toxiproxy API, as a learner would.
 */
const engine = connectEngine();
const platformId = `test${randomBytes(4).toString('hex')}`;
const store = new Store(':memory:');
let root: string;
let channels: FaultChannels;
let sandbox: Sandbox;

beforeAll(async () => {
	const { lab, tags } = await loadLab();
	root = await mkdtemp(path.join(tmpdir(), 'steady-network-'));
	channels = new FaultChannels({ root, faults: new FaultService({ store, engine }), log: () => undefined });
	store.ensureLearner('ada', 'Ada');
	const sandboxId = randomBytes(6).toString('hex');
	const channel = await channels.prepare(sandboxId);
	sandbox = await Sandbox.create(engine, { platformId, sandboxId, learnerId: 'ada', labId: lab.id, containers: containerSpecs(lab, tags, channel) });
	await channels.listen(sandbox);
});

afterAll(async () => {
	await sandbox?.destroy();
	await removeUnknownSandboxes(engine, platformId, () => false);
	await channels?.closeAll();
	if (root) await rm(root, { recursive: true, force: true });
	store.close();
});

async function learnerShell(command: string) {
	const result = await sandbox.exec('workstation', ['bash', '-c', command], { timeoutMs: 60_000 });
	return { ...result, stdout: result.stdout.trim() };
}

/** Times, in seconds and sorted, of `count` requests for the storefront's visit counter (one Redis round trip or more each). */
async function storefrontTimes(count = 7): Promise<number[]> {
	const { stdout } = await learnerShell(`for i in $(seq ${count}); do curl -s -o /dev/null -w '%{time_total}\\n' --max-time 5 http://storefront:8080/; done`);
	return stdout.split('\n').map(Number).sort((a, b) => a - b);
}

const median = (times: number[]) => times[Math.floor(times.length / 2)] ?? Number.NaN;

/** The median time, in seconds, of `count` requests for the storefront's visit counter. */
async function storefrontSeconds(count = 7): Promise<number> {
	return median(await storefrontTimes(count));
}

const toxiproxy = (method: string, route: string, body?: unknown) =>
	learnerShell(`curl -s -w '\\n%{http_code}' -X ${method} http://faults:8474${route}${body === undefined ? '' : ` -H 'Content-Type: application/json' -d '${JSON.stringify(body)}'`}`).then(({ stdout }) => {
		const lines = stdout.split('\n');
		return { status: Number(lines.at(-1)), body: lines.slice(0, -1).join('\n') };
	});

describe('the fault proxy between the storefront and Redis', () => {
	it('is there from the start, named as the lab names it', async () => {
		const proxies = JSON.parse((await toxiproxy('GET', '/proxies')).body);
		expect(proxies.redis).toMatchObject({ name: 'redis', listen: '0.0.0.0:26379', upstream: 'redis:6379', enabled: true, toxics: [] });
		expect((await learnerShell('redis-cli -h faults -p 26379 ping')).stdout).toBe('PONG');
	});

	it('latency measured from the workstation rises by at least the configured amount, and falls back after removal', async () => {
		const before = await storefrontTimes();
		const added = await toxiproxy('POST', '/proxies/redis/toxics', { name: 'slow', type: 'latency', stream: 'downstream', attributes: { latency: 300, jitter: 0 } });
		expect(added.status).toBe(200);

		// Every request now waits at least the configured 300 ms. The fastest request rises by that much
		// over the fastest before, less a few milliseconds of noise: the fastest of seven is the steadiest
		// measure of the fixed overhead on a busy machine, where medians have moved by tens of ms.
		const during = await storefrontTimes();
		// Removed before judging, so a failed measurement leaves no toxic behind for the tests after it.
		const removed = await toxiproxy('DELETE', '/proxies/redis/toxics/slow');
		expect(during[0]).toBeGreaterThanOrEqual(0.3);
		expect((during[0] ?? 0) - (before[0] ?? 0)).toBeGreaterThanOrEqual(0.3 - 0.005);

		expect(removed.status).toBe(204);
		const after = await storefrontSeconds();
		expect(after).toBeLessThan(median(before) + 0.15);
	});

	it('a disabled proxy makes Redis unreachable for the storefront, and enabling it restores it', async () => {
		expect((await toxiproxy('POST', '/proxies/redis', { enabled: false })).status).toBe(200);
		expect((await learnerShell('redis-cli -h faults -p 26379 ping; echo "exit-$?"')).stdout).not.toContain('PONG');
		expect((await learnerShell("curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://storefront:8080/health")).stdout).toBe('503');
		// Redis itself is fine: only the way to it is cut.
		expect((await learnerShell('redis-cli -h redis ping')).stdout).toBe('PONG');

		expect((await toxiproxy('POST', '/proxies/redis', { enabled: true })).status).toBe(200);
		const healthy = await learnerShell(
			"for i in $(seq 20); do c=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://storefront:8080/health); [ \"$c\" = 200 ] && break; sleep 0.5; done; echo $c",
		);
		expect(healthy.stdout).toBe('200');
	});

	it('every change is in the platform\'s fault log, under this learner and lab', () => {
		const log = store.faultLog('ada', sandbox.identity.labId).map((entry) => `${entry.kind} ${entry.target} ${entry.outcome}`);
		expect(log).toEqual(expect.arrayContaining(['toxic-add redis applied', 'toxic-remove redis reverted', 'proxy-disable redis applied', 'proxy-enable redis reverted']));
	});

	it('leaves the learner\'s shell without capabilities', async () => {
		expect((await learnerShell('grep -E "^Cap(Eff|Prm|Bnd):" /proc/self/status')).stdout.split('\n').map((line) => line.split(/\s+/)[1])).toEqual([
			'0000000000000000',
			'0000000000000000',
			'0000000000000000',
		]);
	});
});
