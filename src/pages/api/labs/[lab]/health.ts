import type { APIRoute } from 'astro';
import { json, problem, route } from '../../../../api/respond.ts';

export const prerender = false;

/**
 * The health series of the learner's latest sandbox of this lab, oldest first: what the platform's
 * own probe saw. `?since=<ISO time>` gives only newer samples. Read-only.
 */
export const GET: APIRoute = route(async ({ params, url }, { platform, learnerId }) => {
	const lab = params.lab ?? '';
	if (!platform.catalog.get(lab)) return problem(404, `There is no lab "${lab}".`, `Labs: ${platform.catalog.list().map((item) => item.id).join(', ')}.`);
	const since = url.searchParams.get('since') ?? undefined;
	if (since !== undefined && Number.isNaN(Date.parse(since))) return problem(400, `Refused: since "${since}" is not a time.`, 'Give an ISO time, e.g. since=2026-12-03T10:00:00Z, or leave it out.');
	const target = platform.catalog.get(lab)?.manifest.health;
	return json(200, { target: target ? { url: target.url, intervalMs: target.intervalMs } : null, ...platform.health.series(learnerId, lab, since) });
});
