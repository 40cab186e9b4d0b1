import type { APIRoute } from 'astro';
import { experimentJsonSchema } from '../../chaos/schema.ts';

// Built once with the site: the schema only changes when the runner does.
export const prerender = true;

/**
 * The JSON Schema of a Chaos Toolkit experiment, for editors: point an experiment's `$schema` (JSON)
 * or a `# yaml-language-server: $schema=...` comment (YAML) at this URL to get completion and help.
 */
export const GET: APIRoute = () =>
	new Response(`${JSON.stringify(experimentJsonSchema(), null, 2)}\n`, {
		headers: { 'Content-Type': 'application/schema+json; charset=utf-8' },
	});
