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

/** The largest request body the API reads: a lesson's notes with room to spare, never a flood. */
export const BODY_LIMIT_BYTES = 128 * 1024;

/**
 * Reads a JSON request body, stopping at `limit` bytes however the body is sent (with a length or
 * chunked), so an oversized request costs the server no more than the limit. Gives the value, or the
 * 4xx response to send.
 */
export async function readJsonBody(request: Request, limit = BODY_LIMIT_BYTES): Promise<{ value: unknown } | { response: Response }> {
	const tooLarge = () => ({ response: problem(413, `Refused: the body is larger than ${Math.round(limit / 1024)} KiB.`, 'Send less; notes are at most 20,000 characters.') });
	if (Number(request.headers.get('content-length') ?? 0) > limit) return tooLarge();
	const chunks: Uint8Array[] = [];
	let size = 0;
	const reader = request.body?.getReader();
	for (;;) {
		const next = await reader?.read();
		if (!next || next.done) break;
		size += next.value.byteLength;
		if (size > limit) {
			await reader?.cancel();
			return tooLarge();
		}
		chunks.push(next.value);
	}
	try {
		return { value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown };
	} catch {
		return { response: problem(400, 'Refused: the body is not JSON.', 'Send JSON like {"note": "…"} or {"done": true}, with Content-Type: application/json.') };
	}
}
