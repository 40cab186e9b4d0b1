import type { APIRoute } from 'astro';
import { json, route } from '../../../api/respond.ts';

export const prerender = false;

/** The learner's lessons: which they marked done, and their notes, by lesson slug. */
export const GET: APIRoute = route(async (_context, { platform, learnerId }) => {
	return json(200, { lessons: platform.progress.forLearner(learnerId) });
});
