import type { APIRoute } from 'astro';
import { json, route } from '../../../../../api/respond.ts';

export const prerender = false;

/**
 * The learner's fault log for this lab, newest first: what they asked for from the sandbox, and what
 * the platform did. Read-only: faults are only ever made through the sandbox's own fault agent.
 */
export const GET: APIRoute = route(async ({ params }, { platform, learnerId }) => {
	return json(200, { faults: platform.labs.faultLog(learnerId, params.lab ?? '') });
});
