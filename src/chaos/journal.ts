import { z } from 'zod';
import type { Journal } from './types.ts';

/**
 * Reads journals written by our runner or by the reference Chaos Toolkit. Objects are loose:
 * the reference tool and its extensions add keys we do not know about, and a journal must still
 * be readable by the report command, the platform's timeline and the checks.
 */
const activitySchema = z.looseObject({
	type: z.string(),
	name: z.string(),
	provider: z.looseObject({ type: z.string() }).optional(),
});

const timestamp = z.string().min(1);

export const runEntrySchema = z.looseObject({
	activity: activitySchema,
	output: z.unknown().optional(),
	start: timestamp,
	status: z.enum(['succeeded', 'failed']),
	end: timestamp,
	duration: z.number(),
	exception: z.array(z.string()).optional(),
	tolerance_met: z.boolean().optional(),
});

export const steadyStateSchema = z.looseObject({
	steady_state_met: z.boolean().nullable(),
	probes: z.array(runEntrySchema),
});

export const journalSchema = z.looseObject({
	'chaoslib-version': z.string().nullable().optional(),
	platform: z.string().optional(),
	node: z.string().optional(),
	experiment: z.looseObject({ title: z.string() }),
	start: timestamp,
	status: z.enum(['completed', 'failed', 'aborted', 'interrupted']),
	deviated: z.boolean(),
	steady_states: z.looseObject({
		before: steadyStateSchema.nullable(),
		after: steadyStateSchema.nullable(),
		during: z.array(steadyStateSchema).default([]),
	}),
	run: z.array(runEntrySchema),
	rollbacks: z.array(runEntrySchema),
	end: timestamp,
	duration: z.number(),
});

export type ReadJournal = z.output<typeof journalSchema>;
export type ReadRunEntry = z.output<typeof runEntrySchema>;

/** The journal fields every reader needs; a journal we wrote is always one. */
export function asReadJournal(journal: Journal): ReadJournal {
	return journalSchema.parse(journal);
}

/** True when a parsed JSON value looks like a journal at all (before detailed validation). */
export function looksLikeJournal(value: unknown): boolean {
	return typeof value === 'object' && value !== null && 'steady_states' in value && 'run' in value && 'experiment' in value;
}
