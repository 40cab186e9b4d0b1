import type { APIRoute } from 'astro';
import { json, problem, route } from '../../../../api/respond.ts';
import { TERMINAL_PATH } from '../../../../terminal/protocol.ts';

export const prerender = false;

/** A single-use, 30-second ticket that lets this learner's page open the terminal of their running sandbox. */
export const POST: APIRoute = route(async ({ params }, { platform, learnerId }) => {
	const labId = params.lab ?? '';
	await platform.labs.status(learnerId, labId);
	const sandboxId = platform.labs.runningSandboxId(learnerId, labId);
	if (!sandboxId) return problem(409, 'The lab is not running.', 'Start the lab first.');
	const ticket = platform.tickets.issue({ learnerId, labId, sandboxId });
	return json(201, { ticket, path: TERMINAL_PATH });
});
