import type { Page } from '@playwright/test';
import { kernelHasNetem } from '../src/testing/kernel.ts';
import { expect, test, type LabPage } from './fixtures.ts';

/**
 * Every fault family, used the way the course teaches it: from Chaos Toolkit experiments typed into
 * the lab terminal and run with `chaos run`. Network faults go through the Toxiproxy API of the
 * proxy the lab puts between the storefront and Redis (http provider); state and resource faults go
 * through the `faults` command (process provider) and the fault API (http provider), and so do
 * interface faults, which need the kernel's netem. The journal says what each activity got back,
 * and the platform's fault log says what really happened.
 */

/** An experiment as YAML lines, written to a file in the learner's home by typing a printf. */
async function write(lab: LabPage, file: string, lines: string[]) {
	for (const line of lines) if (line.includes("'")) throw new Error(`a line may not hold a single quote: ${line}`);
	await lab.run(`printf '%s\\n' ${lines.map((line) => `'${line}'`).join(' ')} > ${file} && echo "written-${file}"`, `written-${file}`);
}

/** Writes an experiment, runs it with `chaos run` in the terminal, and waits for it to exit 0. */
async function runExperiment(lab: LabPage, name: string, lines: string[], timeout = 120_000) {
	await write(lab, `${name}.yaml`, lines);
	await lab.run(`chaos run --journal-path ${name}-journal.json ${name}.yaml; echo "exit-$?-${name}"`, `exit-0-${name}`, timeout);
}

interface LogEntry {
	id: number;
	kind: string;
	target: string;
	outcome: string;
	message: string;
	parameters: { type?: string; stream?: string };
}

/**
 * The platform's fault log for the lab, as the lab page reads it, newest first. It is the learner's
 * record across sandboxes, so a test reads only what came after `since` (an entry id).
 */
async function faultLog(page: Page, since = 0): Promise<LogEntry[]> {
	const { faults } = (await (await page.request.get('/api/labs/steady-state/faults')).json()) as { faults: LogEntry[] };
	return faults.filter((entry) => entry.id > since);
}

/** The id of the newest entry in the log, or 0 for an empty log. */
async function newestFault(page: Page): Promise<number> {
	return (await faultLog(page))[0]?.id ?? 0;
}

const HYPOTHESIS = [
	'steady-state-hypothesis:',
	'  title: The storefront answers 200',
	'  probes:',
	'    - {type: probe, name: storefront-health, tolerance: 200, provider: {type: http, url: "http://storefront:8080/health", timeout: 5}}',
];
const JSON_HEADERS = 'headers: {Content-Type: application/json}';
const faultApi = (name: string, body: string, extra = '') =>
	`  - {type: action, name: ${name}, provider: {type: http, method: POST, url: "http://faults/faults", ${JSON_HEADERS}, arguments: ${body}}${extra}}`;
const faultsCommand = (name: string, args: string, extra = '') => `  - {type: action, name: ${name}, provider: {type: process, path: faults, arguments: [${args}]}${extra}}`;

test('network faults through the lab\'s fault proxy, from an experiment: latency, then an outage, each undone', async ({ lab, page }) => {
	test.setTimeout(300_000);
	await lab.open();
	await lab.start();
	const since = await newestFault(page);
	const proxy = 'http://faults:8474/proxies/redis';
	await runExperiment(lab, 'network', [
		'title: The storefront rides out a slow Redis and an outage',
		'description: Latency and then an outage through the fault proxy between the storefront and Redis',
		...HYPOTHESIS,
		'method:',
		`  - {type: action, name: add-latency, provider: {type: http, method: POST, url: "${proxy}/toxics", ${JSON_HEADERS}, arguments: {name: slow, type: latency, stream: downstream, attributes: {latency: 300, jitter: 0}}}}`,
		'  - {type: probe, name: visits-while-slow, provider: {type: http, url: "http://storefront:8080/", timeout: 5}}',
		`  - {type: action, name: remove-latency, provider: {type: http, method: DELETE, url: "${proxy}/toxics/slow"}}`,
		`  - {type: action, name: cut-redis-off, provider: {type: http, method: POST, url: "${proxy}", ${JSON_HEADERS}, arguments: {enabled: false}}}`,
		'  - {type: probe, name: health-during-outage, provider: {type: http, url: "http://storefront:8080/health", timeout: 5}}',
		`  - {type: action, name: restore-redis, provider: {type: http, method: POST, url: "${proxy}", ${JSON_HEADERS}, arguments: {enabled: true}}, pauses: {after: 2}}`,
		'rollbacks:',
		'  - {type: action, name: reset-proxies, provider: {type: http, method: POST, url: "http://faults:8474/reset"}}',
	]);
	// What each activity got back: the toxic made (200), the slow probe, the toxic gone (204), the
	// proxy disabled (200), the storefront degraded (503) and the proxy enabled again (200).
	await lab.run(
		'jq -r \'"net-" + .status + "-" + ([.run[].output.status | tostring] | join(",")) + "-" + (.run[1].duration >= 0.3 | tostring)\' network-journal.json',
		'net-completed-200,200,204,200,503,200-true',
	);

	const entries = (await faultLog(page, since)).map((entry) => `${entry.kind} ${entry.target} ${entry.outcome}`);
	expect(entries).toEqual(expect.arrayContaining(['toxic-add redis applied', 'toxic-remove redis reverted', 'proxy-disable redis applied', 'proxy-enable redis reverted', 'proxy-reset * reverted']));

	// The page shows the same log, and draws the faults on the run's timeline.
	const faults = lab.panel.locator('fault-log');
	const table = faults.getByRole('table', { name: 'Faults in this lab' });
	await expect(table.locator('tbody tr[data-outcome="applied"]').filter({ hasText: 'toxic-add' })).toHaveCount(1, { timeout: 15_000 });
	await expect(table.locator('tbody tr').filter({ hasText: 'proxy-disable' })).toContainText('redis');
	const runs = lab.panel.locator('journal-timeline');
	await expect(runs.locator('[data-role="runs-caption"]')).toContainText(/\d+ faults during this run/, { timeout: 30_000 });
	// And what the platform's own probe saw of the storefront meanwhile, as a lane of its own.
	await expect(runs.locator('[data-role="runs-caption"]')).toContainText("The platform's probe of http://storefront:8080/health saw it");
	await expect(runs.locator('[data-role="runs-health-key"]')).toBeVisible();

	// "Undo all faults" in the page: a fault made in the terminal is undone, and the page says so.
	await lab.run('faults pause redis', 'Paused redis');
	await faults.getByRole('button', { name: 'Undo all faults' }).click();
	await expect(faults.getByRole('status')).toContainText('Unpaused redis', { timeout: 20_000 });
	await lab.run('curl -s -o /dev/null -w "health-%{http_code}" http://storefront:8080/health', 'health-200', 30_000);
	await lab.stop();
});

test('state and resource faults from an experiment, through the faults command and the fault API; killed Redis comes back by the lab\'s policy', async ({ lab, page }) => {
	test.setTimeout(300_000);
	await lab.open();
	await lab.start();
	const since = await newestFault(page);
	await runExperiment(lab, 'state', [
		'title: The storefront comes back from every state and resource fault',
		'description: Each fault from the faults command or the fault API, and each one undone',
		...HYPOTHESIS,
		'method:',
		faultsCommand('kill-redis', 'kill, redis', ', pauses: {after: 6}'),
		'  - {type: probe, name: redis-back-after-kill, provider: {type: process, path: redis-cli, arguments: [-h, redis, ping]}}',
		faultsCommand('kill-redis-server', 'kill-process, redis, redis-server', ', pauses: {after: 6}'),
		'  - {type: probe, name: redis-back-after-process-kill, provider: {type: process, path: redis-cli, arguments: [-h, redis, ping]}}',
		faultApi('stop-storefront', '{kind: stop, target: storefront}'),
		faultsCommand('start-storefront', 'start, storefront'),
		faultsCommand('restart-redis', 'restart, redis'),
		faultApi('pause-redis', '{kind: pause, target: redis}'),
		faultsCommand('unpause-redis', 'unpause, redis'),
		faultsCommand('cpu-in-redis', 'cpu, redis, --seconds, "60"'),
		faultApi('memory-in-redis', '{kind: memory, target: redis, megabytes: 32, seconds: 60}'),
		faultsCommand('end-cpu', 'end-pressure, redis, --only, cpu'),
		faultApi('end-memory', '{kind: end-pressure, target: redis, pressure: memory}', ', pauses: {after: 3}'),
		'rollbacks:',
		faultsCommand('undo-everything', 'reset'),
	], 180_000);
	// Every process activity exited 0 and every fault API call answered 201; both pings said PONG.
	await lab.run(
		'jq -r \'"state-" + .status + "-" + ([.run[].output.status | tostring] | join(",")) + "-" + (.run[1].output.stdout + .run[3].output.stdout | gsub("[^A-Z]"; ""))\' state-journal.json',
		'state-completed-0,0,0,0,201,0,0,201,0,0,201,0,201-PONGPONG',
	);

	const entries = (await faultLog(page, since)).map((entry) => `${entry.kind} ${entry.target} ${entry.outcome}`);
	expect(entries).toEqual(
		expect.arrayContaining([
			'kill redis applied',
			'auto-restart redis reverted',
			'kill-process redis applied',
			'stop storefront applied',
			'start storefront reverted',
			'restart redis applied',
			'pause redis applied',
			'unpause redis reverted',
			'cpu redis applied',
			'memory redis applied',
			'end-pressure redis reverted',
		]),
	);
	// Both kills were followed by the policy's restart.
	expect(entries.filter((entry) => entry === 'auto-restart redis reverted')).toHaveLength(2);
	await lab.stop();
});

test('every toxic, upstream and downstream, and the interface faults, from an experiment', async ({ lab, page }) => {
	test.setTimeout(300_000);
	await lab.open();
	await lab.start();
	const since = await newestFault(page);
	const toxics = `http://faults:8474/proxies/redis/toxics`;
	const toxic = (name: string, body: string) => [
		`  - {type: action, name: add-${name}, provider: {type: http, method: POST, url: "${toxics}", ${JSON_HEADERS}, arguments: {name: ${name}, ${body}}}}`,
		'  - {type: probe, name: visit-with-' + name + ', provider: {type: http, url: "http://storefront:8080/", timeout: 5}}',
		`  - {type: action, name: remove-${name}, provider: {type: http, method: DELETE, url: "${toxics}/${name}"}}`,
	];
	await runExperiment(lab, 'toxics', [
		'title: Every toxic and interface fault, each undone',
		'description: The fault proxy and the interface faults, from an experiment',
		...HYPOTHESIS,
		'method:',
		...toxic('slow', 'type: latency, stream: upstream, toxicity: 0.5, attributes: {latency: 200, jitter: 20}'),
		...toxic('narrow', 'type: bandwidth, attributes: {rate: 100}'),
		...toxic('lingering', 'type: slow_close, attributes: {delay: 100}'),
		...toxic('silent', 'type: timeout, attributes: {timeout: 1000}'),
		...toxic('reset', 'type: reset_peer, stream: upstream, attributes: {timeout: 100}'),
		...toxic('sliced', 'type: slicer, attributes: {average_size: 64, size_variation: 8, delay: 10}'),
		...toxic('capped', 'type: limit_data, attributes: {bytes: 1000}'),
		faultsCommand('interface-delay', 'delay, redis, --milliseconds, "200", --jitter, "20"'),
		faultApi('interface-loss', '{kind: loss, target: redis, percent: 5}'),
		'rollbacks:',
		faultsCommand('end-interface-fault', 'end-netem, redis'),
	]);
	// Every toxic was made (200) and removed (204).
	await lab.run(
		'jq -r \'"toxics-" + ([.run[] | select(.activity.name | test("^(add|remove)-")) | .output.status] | unique | map(tostring) | join(","))\' toxics-journal.json',
		'toxics-200,204',
	);
	const log = await faultLog(page, since);
	const added = log.filter((entry) => entry.kind === 'toxic-add').map((entry) => `${entry.parameters.type} ${entry.parameters.stream}`);
	expect(added.sort()).toEqual(['bandwidth downstream', 'latency upstream', 'limit_data downstream', 'reset_peer upstream', 'slicer downstream', 'slow_close downstream', 'timeout downstream']);
	expect(log.filter((entry) => entry.kind === 'toxic-remove')).toHaveLength(7);

	// The interface faults: applied where the kernel has netem; here and on many machines, the
	// platform tried, and says in the journal and the log why it could not and what to use instead.
	const delay = log.find((entry) => entry.kind === 'delay');
	const loss = log.find((entry) => entry.kind === 'loss');
	if (kernelHasNetem()) {
		expect([delay?.outcome, loss?.outcome]).toEqual(['applied', 'applied']);
		await lab.run('jq -r \'"netem-" + (.run[-2].output.status | tostring) + "-" + (.run[-1].output.status | tostring)\' toxics-journal.json', 'netem-0-201');
	} else {
		for (const entry of [delay, loss]) {
			expect(entry).toMatchObject({ target: 'redis', outcome: 'failed' });
			expect(entry?.message).toContain('needs the kernel\'s netem, and this machine\'s kernel has none');
		}
		await lab.run(
			'jq -r \'"netem-" + (.run[-2].output.status | tostring) + "-" + (.run[-1].output.status | tostring) + "-" + (.run[-2].output.stderr | test("http://faults:8474") | tostring)\' toxics-journal.json',
			'netem-1-501-true',
		);
	}
	expect(log.find((entry) => entry.kind === 'end-netem')).toMatchObject({ target: 'redis', outcome: 'reverted' });
	await lab.stop();
});

test('the platform\'s own probe records the lab\'s health, and a paused dependency shows in it', async ({ lab, page }) => {
	interface Sample {
		at: string;
		ok: boolean;
		status: number | null;
	}
	const series = async (since?: string): Promise<Sample[]> => {
		const response = await page.request.get(`/api/labs/steady-state/health${since ? `?since=${encodeURIComponent(since)}` : ''}`);
		expect(response.status()).toBe(200);
		return ((await response.json()) as { samples: Sample[] }).samples;
	};

	await lab.open();
	await lab.start();
	const started = new Date().toISOString();
	await expect.poll(async () => (await series(started)).filter((sample) => sample.ok).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);

	await lab.run('faults pause redis && echo "paused-$((2 * 21))"', 'paused-42');
	const paused = new Date().toISOString();
	await expect.poll(async () => (await series(paused)).filter((sample) => !sample.ok).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);

	await lab.run('faults unpause redis && echo "unpaused-$((2 * 21))"', 'unpaused-42');
	const unpaused = new Date().toISOString();
	await expect.poll(async () => (await series(unpaused)).filter((sample) => sample.ok).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);

	// The series is the platform's: the learner's own fault API has no way to write it.
	await lab.run('curl -s -o /dev/null -w "write-%{http_code}\\n" -X POST -H "Content-Type: application/json" -d \'{"samples":[]}\' http://faults/health-samples', 'write-404');
	const bad = await page.request.get('/api/labs/steady-state/health?since=yesterday');
	expect(bad.status()).toBe(400);
	await lab.stop();
});
