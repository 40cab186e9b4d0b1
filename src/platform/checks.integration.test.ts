import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEngine } from '../../sandbox/engine.ts';
import { removeUnknownSandboxes } from '../../sandbox/reconcile.ts';
import { Sandbox } from '../../sandbox/sandbox.ts';
import type { Lab } from '../labs/catalog.ts';
import type { LabTask } from '../schemas/lab-manifest.ts';
import { loadLab } from '../testing/lab-fixture.ts';
import { projectRoot } from '../testing/platform-process.ts';
import { runTaskCheck } from './checks.ts';

// The platform grading the steady-state task in a real sandbox, against real learner scripts.
const engine = connectEngine();
const platformId = `test${randomBytes(4).toString('hex')}`;
let sandbox: Sandbox;
let lab: Lab;
let task: LabTask;

async function installProbe(solution: string): Promise<void> {
	const script = await readFile(path.join(projectRoot, 'labs/steady-state/solution', solution), 'utf8');
	const encoded = Buffer.from(script).toString('base64');
	const result = await sandbox.exec('workstation', ['sh', '-c', `echo ${encoded} | base64 -d > ~/steady-state.sh && chmod +x ~/steady-state.sh`]);
	expect(result.exitCode).toBe(0);
}

beforeAll(async () => {
	const fixture = await loadLab();
	lab = fixture.lab;
	const firstTask = lab.manifest.tasks[0];
	if (!firstTask) throw new Error('the lab has no task');
	task = firstTask;
	sandbox = await Sandbox.create(engine, { platformId, sandboxId: randomBytes(6).toString('hex'), learnerId: 'l', labId: lab.id, containers: fixture.containers });
});

afterAll(async () => {
	await sandbox?.destroy();
	await removeUnknownSandboxes(engine, platformId, () => false);
});

describe('grading the steady-state probe', () => {
	it('fails with a next step when there is no probe yet', async () => {
		const outcome = await runTaskCheck(sandbox, lab, task);
		expect(outcome.passed).toBe(false);
		expect(outcome.message).toContain('chmod +x ~/steady-state.sh');
	});

	it('fails a probe that always says "healthy", because it misses the paused dependency', async () => {
		await installProbe('wrong-always-ok.sh');
		const outcome = await runTaskCheck(sandbox, lab, task);
		expect(outcome.passed).toBe(false);
		expect(outcome.message).toMatch(/paused/i);
	});

	it('passes a probe that tells the truth before, during and after the fault', async () => {
		await installProbe('steady-state.sh');
		const outcome = await runTaskCheck(sandbox, lab, task);
		expect(outcome).toMatchObject({ passed: true });
		expect(outcome.message).toMatch(/fails within 5 seconds/);
	});

	it('leaves no trace of the check script in the learner\'s container', async () => {
		const result = await sandbox.exec('workstation', ['sh', '-c', 'grep -rls "CLIENT PAUSE\\|client pause" /home/learner /tmp 2>/dev/null | wc -l']);
		expect(result.stdout.trim()).toBe('0');
	});
});
