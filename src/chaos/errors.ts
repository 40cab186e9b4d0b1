import type { Problem } from '../schemas/problems.ts';

/**
 * An activity did not complete: a connection refused, a timeout, a missing program. Its message is
 * what the journal and the log show, in the reference tool's words. Like the reference tool, an
 * HTTP 500 or a non-zero exit status is a result, not a failure.
 */
export class ActivityFailed extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'ActivityFailed';
	}
}

/**
 * An experiment that breaks the rules, with every problem found (not just the first). Each
 * problem's `message` keeps the reference tool's wording, so learners can search for it; `field`
 * is the JSON path (`method[1].provider.url`) and `line`/`column` point into the file when known.
 */
export class InvalidExperiment extends Error {
	readonly problems: Problem[];
	constructor(problems: Problem[]) {
		super(problems.map((problem) => problem.message).join('; '));
		this.name = 'InvalidExperiment';
		this.problems = problems;
	}
}

/**
 * A mistake by the person at the keyboard that is not about the experiment's content: a missing
 * file, an unreachable URL, a --var that does not parse. The CLI prints the message as one line
 * (no stack trace) and exits 1.
 */
export class UserError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'UserError';
	}
}

/** The reference tool's journal `exception` entry: traceback lines without the frames. */
export function exceptionLines(error: unknown): string[] {
	if (error instanceof ActivityFailed) return [`chaoslib.exceptions.ActivityFailed: ${error.message}\n`];
	if (error instanceof InvalidExperiment) return [`chaoslib.exceptions.InvalidExperiment: ${error.message}\n`];
	const message = error instanceof Error ? error.message : String(error);
	return [`Exception: ${message}\n`];
}
