import type { APIContext } from 'astro';
import { isLabError } from '../platform/errors.ts';
import type { Platform } from '../platform/platform.ts';

/** The error body every API route uses: what went wrong, and what to do about it when we know. */
export interface ApiProblem {
	error: string;
	fix?: string;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
	return new Response(JSON.stringify(body), {
		status,
		headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
	});
}

export function problem(status: number, error: string, fix?: string): Response {
	return json(status, fix ? { error, fix } : { error });
}

interface ApiScope {
	platform: Platform;
	learnerId: string;
}

/**
 * Wraps an API route: gives it the platform and the learner the middleware identified, turns a
 * LabError into its 4xx/5xx, and any other failure into a 500 that is logged, not shown.
 */
export function route(handler: (context: APIContext, scope: ApiScope) => Promise<Response>) {
	return async (context: APIContext): Promise<Response> => {
		const { platform, learnerId } = context.locals;
		if (!platform || !learnerId) return problem(503, 'The lab API is not available here.', 'Run the course with `npm start`.');
		try {
			return await handler(context, { platform, learnerId });
		} catch (error) {
			if (isLabError(error)) return problem(error.status, error.message, error.fix);
			console.error(`[steady-state] ${context.request.method} ${context.url.pathname} failed:`, error);
			return problem(500, 'Something went wrong on the platform; the server log has the details.');
		}
	};
}
