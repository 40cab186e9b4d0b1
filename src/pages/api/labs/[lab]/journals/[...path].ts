import type { APIRoute } from 'astro';
import { json, problem, route } from '../../../../../api/respond.ts';

export const prerender = false;

const MARKER = '/journals/';

/** One journal by its path relative to the learner's home (`journal.json`, `runs/x.json`), with its timeline. */
export const GET: APIRoute = route(async ({ params, request }, { platform, learnerId }) => {
	const name = journalName(new URL(request.url));
	if (name === undefined) return problem(400, 'The journal name in the address is not correctly encoded.', 'Encode each part of the path with encodeURIComponent.');
	return json(200, await platform.labs.journal(learnerId, params.lab ?? '', name));
});

/**
 * The name as the page encoded it, decoded exactly once. Astro's `params` and `url` are decoded
 * repeatedly and keep reserved characters encoded, which would change names that contain `%` or `#`;
 * the request's own URL is as it was sent.
 */
function journalName(url: URL): string | undefined {
	const encoded = url.pathname.slice(url.pathname.indexOf(MARKER) + MARKER.length);
	try {
		return encoded.split('/').map(decodeURIComponent).join('/');
	} catch {
		return undefined;
	}
}
