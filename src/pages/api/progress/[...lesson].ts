import type { APIRoute } from 'astro';
import { json, readJsonBody, route } from '../../../api/respond.ts';

export const prerender = false;

/** Marks a lesson done or not, and/or saves the learner's notes on it: `{"done": true}`, `{"note": "…"}`. */
export const PUT: APIRoute = route(async ({ params, request }, { platform, learnerId }) => {
	const body = await readJsonBody(request);
	if ('response' in body) return body.response;
	return json(200, platform.progress.update(learnerId, params.lesson ?? '', body.value));
});
