import { defineMiddleware } from 'astro:middleware';
import { problem } from './api/respond.ts';
import { SESSION_COOKIE } from './platform/identity.ts';
import { isSameOrigin } from './platform/origins.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * For the lab API: refuses state changes from other origins, and identifies the learner from the
 * session cookie, starting a session when there is none (local mode has no login).
 */
export const onRequest = defineMiddleware(async (context, next) => {
	if (!context.url.pathname.startsWith('/api/')) return next();
	const platform = context.locals.platform;
	if (!platform) return next();
	if (!SAFE_METHODS.has(context.request.method) && !isSameOrigin(context.request.headers, platform.config.allowedHosts)) {
		return problem(403, 'Refused: this request did not come from a page of this course.', 'Use the lab panel on the lesson page.');
	}
	let learnerId = platform.identity.learnerFor(context.cookies.get(SESSION_COOKIE)?.value);
	if (!learnerId) {
		const session = platform.identity.startSession();
		context.cookies.set(SESSION_COOKIE, session.token, {
			httpOnly: true,
			sameSite: 'strict',
			secure: context.url.protocol === 'https:',
			path: '/',
			maxAge: 60 * 60 * 24 * 365,
		});
		learnerId = session.learnerId;
	}
	context.locals.learnerId = learnerId;
	return next();
});
