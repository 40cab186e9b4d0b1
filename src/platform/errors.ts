/**
 * A refusal the lab API turns into a 4xx/5xx with a message for the learner. This module has no
 * imports on purpose: Astro's routes are bundled separately from the platform, so they recognise
 * the error by its shape (`isLabError`) rather than by class identity.
 */
export class LabError extends Error {
	readonly status: number;
	readonly fix?: string;
	constructor(status: number, message: string, fix?: string) {
		super(message);
		this.name = 'LabError';
		this.status = status;
		this.fix = fix;
	}
}

export function isLabError(error: unknown): error is LabError {
	return error instanceof Error && error.name === 'LabError' && typeof (error as LabError).status === 'number';
}
