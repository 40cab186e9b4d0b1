import type { APIRoute } from 'astro';
import { json, route } from '../../../../api/respond.ts';

export const prerender = false;

/** Starts the learner's sandbox; answers at once (202), progress follows on the events stream. */
export const POST: APIRoute = route(async ({ params }, { platform, learnerId }) => {
	return json(202, await platform.labs.start(learnerId, params.lab ?? ''));
});

/** Stops the learner's sandbox and removes its containers and network. */
export const DELETE: APIRoute = route(async ({ params }, { platform, learnerId }) => {
	return json(200, await platform.labs.stop(learnerId, params.lab ?? ''));
});
