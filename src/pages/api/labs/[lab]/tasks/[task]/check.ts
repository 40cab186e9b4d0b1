import type { APIRoute } from 'astro';
import { json, route } from '../../../../../../api/respond.ts';

export const prerender = false;

/** Runs the task's check in the learner's sandbox and stores the result. */
export const POST: APIRoute = route(async ({ params }, { platform, learnerId }) => {
	const result = await platform.labs.runCheck(learnerId, params.lab ?? '', params.task ?? '');
	return json(200, { taskId: result.taskId, passed: result.passed, message: result.message, checkedAt: result.checkedAt });
});
