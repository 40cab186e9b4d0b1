import type { APIRoute } from 'astro';
import { json, route } from '../../../../api/respond.ts';

export const prerender = false;

/** The learner's lab as the panel shows it: phase, progress, engine state and check results. */
export const GET: APIRoute = route(async ({ params }, { platform, learnerId }) => {
	return json(200, await platform.labs.status(learnerId, params.lab ?? ''));
});
