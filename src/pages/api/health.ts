import type { APIRoute } from 'astro';
import { json, route } from '../../api/respond.ts';

export const prerender = false;

/** Liveness of the platform and whether labs can run (the Docker engine answers). */
export const GET: APIRoute = route(async (_context, { platform }) => {
	const engine = await platform.labs.engine();
	return json(200, { ok: true, labs: engine.ok, engine });
});
