import type { APIRoute } from 'astro';
import { json, route } from '../../../../../api/respond.ts';

export const prerender = false;

/** The Chaos Toolkit journals in the learner's running workstation, newest first, for the runs picker. */
export const GET: APIRoute = route(async ({ params }, { platform, learnerId }) => {
	return json(200, { journals: await platform.labs.journals(learnerId, params.lab ?? '') });
});
