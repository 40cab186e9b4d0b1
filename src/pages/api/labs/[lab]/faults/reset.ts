import type { APIRoute } from 'astro';
import { json, route } from '../../../../../api/respond.ts';

export const prerender = false;

/**
 * Undoes every fault in the learner's running sandbox: unpauses and starts members, ends pressure,
 * and resets the fault proxies. Answers with the log entries of what was undone.
 */
export const POST: APIRoute = route(async ({ params }, { platform, learnerId }) => {
	return json(200, { reverted: await platform.labs.resetFaults(learnerId, params.lab ?? '') });
});
