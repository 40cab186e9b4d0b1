import type { Sandbox } from '../../sandbox/sandbox.ts';
import type { Lab } from '../labs/catalog.ts';
import type { LabTask } from '../schemas/lab-manifest.ts';

export interface CheckOutcome {
	passed: boolean;
	message: string;
}

/** Exit status of coreutils `timeout` when it had to stop the command. */
const TIMED_OUT = new Set([124, 137]);
/** What the learner sees is a sentence or two, not a log. */
const MESSAGE_LIMIT = 2000;

/**
 * Runs a task's check inside the sandbox, as the platform: the script travels in the exec call and
 * is never stored in the learner's containers, so a learner cannot read or change it beforehand.
 * Exit 0 passes; whatever the script prints on stdout is the learner's message.
 */
export async function runTaskCheck(sandbox: Sandbox, lab: Lab, task: LabTask): Promise<CheckOutcome> {
	const script = lab.checkScripts.get(task.id);
	if (script === undefined) throw new Error(`Lab ${lab.id} has no check script for task ${task.id}`);
	const seconds = task.check.timeoutSeconds;
	const result = await sandbox.exec(task.check.container, ['timeout', '--kill-after=5', String(seconds), 'bash', '-c', script, task.id], {
		timeoutMs: (seconds + 10) * 1000,
	});
	const said = result.stdout.trim().slice(-MESSAGE_LIMIT);
	if (result.timedOut || (result.exitCode !== null && TIMED_OUT.has(result.exitCode))) {
		return { passed: false, message: `The check did not finish within ${seconds} s and was stopped.${said ? ` ${said}` : ''}` };
	}
	if (result.exitCode === 0) return { passed: true, message: said || 'Passed.' };
	return { passed: false, message: said || `Not yet: the check failed (exit code ${result.exitCode}) without saying why.` };
}
