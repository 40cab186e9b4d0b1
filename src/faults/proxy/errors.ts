import type { z } from 'zod';

/**
 * A refusal the HTTP API turns into Toxiproxy's error body, `{"error": "...", "status": 4xx}`. The
 * message starts with Toxiproxy's own words (so a learner can search for them) and goes on to name
 * the valid choices or the bound that was crossed.
 */
export class ApiError extends Error {
	readonly status: number;
	constructor(message: string, status: number) {
		super(message);
		this.name = 'ApiError';
		this.status = status;
	}
}

export function badRequest(detail: string): ApiError {
	return new ApiError(`bad request body: ${detail}`, 400);
}

export function missingField(field: string): ApiError {
	return new ApiError(`missing required field: ${field}`, 400);
}

export function proxyNotFound(name: string, known: string[]): ApiError {
	const choices = known.length > 0 ? `the proxies are ${known.join(', ')}` : 'there are no proxies yet';
	return new ApiError(`proxy not found: "${name}"; ${choices}`, 404);
}

export function toxicNotFound(name: string, known: string[]): ApiError {
	const choices = known.length > 0 ? `this proxy's toxics are ${known.join(', ')}` : 'this proxy has no toxics';
	return new ApiError(`toxic not found: "${name}"; ${choices}`, 404);
}

/**
 * Problems joined by "; ", each naming the field by its JSON path (`attributes.latency`) so the
 * learner knows which part of their request to change. `prefix` goes before each path: `attributes.`
 * for a toxic's attributes, `proxy 2: ` for one entry of a populate request.
 */
export function describeIssues(error: z.ZodError, prefix = ''): string {
	return error.issues
		.map((issue) => {
			const path = `${prefix}${issue.path.map(String).join('.')}`.replace(/[.: ]+$/, '');
			return path === '' ? issue.message : `${path}: ${issue.message}`;
		})
		.join('; ');
}
