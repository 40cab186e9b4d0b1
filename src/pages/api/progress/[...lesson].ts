import type { APIRoute } from 'astro';
import { json, problem, route } from '../../../api/respond.ts';

export const prerender = false;

/** Marks a lesson done or not, and/or saves the learner's notes on it: `{"done": true}`, `{"note": "…"}`. */
export const PUT: APIRoute = route(async ({ params, request }, { platform, learnerId }) => {
	const body: unknown = await request.json().catch(() => undefined);
	if (body === undefined) return problem(400, 'Refused: the body is not JSON.', 'Send JSON like {"note": "…"} or {"done": true}, with Content-Type: application/json.');
	return json(200, platform.progress.update(learnerId, params.lesson ?? '', body));
});
