import { connectEngine, type Engine } from '../../sandbox/engine.ts';
import { runCommand } from '../../sandbox/exec.ts';
import { LABELS } from '../../sandbox/labels.ts';
import { PlatformClient } from '../bench/platform-client.ts';
import type { LabStatus } from '../platform/labs.ts';
import { PlatformProcess, projectRoot } from '../testing/platform-process.ts';
import { prepareSiteAndImages } from '../testing/prepare.ts';
import { LabCatalog, type Lab } from './catalog.ts';

/**
 * `npm run labs:verify`: proves every lab can be done, and that its checks mean something. For each
 * lab it starts a sandbox through a real platform, as a learner would; asserts that every task's
 * check fails on the starting state; runs each task's solution script as the learner in the
 * workstation; and asserts that every check then passes. A check that passes before the work is done,
 * or a solution that does not pass its check, fails the run.
 */

const START_TIMEOUT_MS = 180_000;
const SOLUTION_TIMEOUT_MS = 120_000;

interface Failure {
	lab: string;
	problem: string;
}

async function main(): Promise<number> {
	const only = process.argv.slice(2);
	const catalog = await LabCatalog.load(projectRoot);
	const labs = catalog.list().filter((lab) => only.length === 0 || only.includes(lab.id));
	const unknown = only.filter((id) => !catalog.get(id));
	if (unknown.length > 0) {
		console.error(`npm run labs:verify: no lab ${unknown.map((id) => `"${id}"`).join(', ')}. Labs: ${catalog.list().map((lab) => lab.id).join(', ')}.`);
		return 2;
	}
	await prepareSiteAndImages('labs:verify');
	const engine = connectEngine();
	const platform = await PlatformProcess.start();
	const failures: Failure[] = [];
	try {
		for (const lab of labs) failures.push(...(await verifyLab(engine, platform, lab)));
	} finally {
		await platform.dispose();
	}
	if (failures.length === 0) {
		console.log(`\nlabs:verify: ${labs.length} lab${labs.length === 1 ? '' : 's'} verified: every check fails at the start and passes after its solution.`);
		return 0;
	}
	console.error(`\nlabs:verify found ${failures.length} problem${failures.length === 1 ? '' : 's'}:\n${failures.map((failure) => `  ${failure.lab}: ${failure.problem}`).join('\n')}`);
	return 1;
}

async function verifyLab(engine: Engine, platform: PlatformProcess, lab: Lab): Promise<Failure[]> {
	const failures: Failure[] = [];
	const fail = (problem: string) => failures.push({ lab: lab.id, problem });
	const signal = AbortSignal.timeout(START_TIMEOUT_MS + SOLUTION_TIMEOUT_MS * lab.manifest.tasks.length * 3);
	const client = new PlatformClient(platform.url);
	const log = (message: string) => console.log(`[${lab.id}] ${message}`);
	const check = (task: string) => client.call<{ passed: boolean; message: string }>('POST', `/api/labs/${lab.id}/tasks/${task}/check`, signal);

	log('starting the lab');
	await client.call('POST', `/api/labs/${lab.id}/sandbox`, signal);
	try {
		const status = await waitForRunning(client, lab.id, signal);
		if (status.phase !== 'running') {
			fail(`the lab did not start: ${status.error ?? status.phase}`);
			return failures;
		}
		if (lab.manifest.health) {
			// The health series is evidence checks rely on: it must be flowing while the lab runs.
			const deadline = Date.now() + 20_000;
			let samples = 0;
			while (samples === 0 && Date.now() < deadline) {
				await new Promise((resolve) => setTimeout(resolve, 1000));
				samples = (await client.call<{ samples: unknown[] }>('GET', `/api/labs/${lab.id}/health`, signal)).samples.length;
			}
			log(`health: ${samples > 0 ? `the platform's probe of ${lab.manifest.health.url} is recording` : 'NO samples recorded'}`);
			if (samples === 0) fail(`no health samples of ${lab.manifest.health.url} were recorded within 20 s of the start`);
		}
		for (const task of lab.manifest.tasks) {
			const before = await check(task.id);
			log(`${task.id}: on the starting state the check ${before.passed ? 'PASSES (it must not)' : 'fails, as it must'}`);
			if (before.passed) fail(`task "${task.id}": the check passes before the task is done: ${before.message}`);
		}
		const workstation = await memberContainer(engine, platform.platformId(), lab.id, lab.workstation);
		for (const task of lab.manifest.tasks) {
			log(`${task.id}: running the solution ${task.solution.script}`);
			const run = await runCommand(workstation, ['sh', '-c', lab.solutionScripts.get(task.id) ?? 'exit 1'], {
				user: 'learner',
				workdir: '/home/learner',
				timeoutMs: SOLUTION_TIMEOUT_MS,
			});
			if (run.exitCode !== 0) {
				fail(`task "${task.id}": the solution ${task.solution.script} ${run.timedOut ? 'did not finish' : `exited ${run.exitCode}`}: ${(run.stderr || run.stdout).trim().slice(0, 400)}`);
				continue;
			}
			const after = await check(task.id);
			log(`${task.id}: after the solution the check ${after.passed ? 'passes' : 'FAILS'}`);
			if (!after.passed) fail(`task "${task.id}": the check fails after the solution: ${after.message}`);
		}
	} finally {
		await client.call('DELETE', `/api/labs/${lab.id}/sandbox`, signal).catch((error: unknown) => fail(`the lab did not stop: ${String(error)}`));
		log('stopped');
	}
	return failures;
}

async function waitForRunning(client: PlatformClient, labId: string, signal: AbortSignal): Promise<LabStatus> {
	let last = '';
	for (;;) {
		const status = await client.call<LabStatus>('GET', `/api/labs/${labId}`, signal);
		if (status.progress && status.progress !== last) console.log(`[${labId}] ${(last = status.progress)}`);
		if (status.phase === 'running' || status.phase === 'failed' || status.phase === 'stopped') return status;
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
}

/** The lab's container by its name in the sandbox, found by the labels the platform put on it. */
async function memberContainer(engine: Engine, platformId: string, labId: string, name: string) {
	const [found] = await engine.listContainers({
		filters: { label: [`${LABELS.platform}=${platformId}`, `${LABELS.lab}=${labId}`, `${LABELS.container}=${name}`] },
	});
	if (!found) throw new Error(`the sandbox of lab ${labId} has no running container "${name}"`);
	return engine.getContainer(found.Id);
}

process.exitCode = await main().catch((error: unknown) => {
	console.error(`npm run labs:verify failed: ${error instanceof Error ? error.message : String(error)}`);
	return 1;
});
