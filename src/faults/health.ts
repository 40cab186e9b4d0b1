import { z } from 'zod';
import type { SandboxIdentity } from '../../sandbox/labels.ts';
import type { HealthSample, Store } from '../store/store.ts';

/**
 * The platform's health series: what the fault helper's probe saw of each sandbox's health target.
 * Samples arrive only over the sandbox's own channel (the helper's fault API does not forward this
 * route), so learners can read the series but never write it.
 */

/** A batch as the agent sends it: at most a few minutes of samples, each well-formed. */
export const healthBatch = z.strictObject({
	samples: z
		.array(
			z.strictObject({
				at: z.iso.datetime(),
				ok: z.boolean(),
				status: z.number().int().min(100).max(599).nullable(),
				latencyMs: z.number().min(0).max(600_000),
				error: z.string().max(500).nullable(),
			}),
		)
		.min(1)
		.max(1000),
});

export class HealthRejected extends Error {}

/** How far from the platform's clock a sample may be dated: the helper shares the host's clock. */
const CLOCK_SLACK_MS = 15 * 60_000;

export class HealthLog {
	private readonly store: Store;

	constructor(store: Store) {
		this.store = store;
	}

	/** Stores a batch from the sandbox's helper; answers how many samples were kept. */
	record(sandbox: SandboxIdentity, body: unknown, now = Date.now()): { recorded: number } {
		const parsed = healthBatch.safeParse(body);
		if (!parsed.success) {
			const issue = parsed.error.issues[0];
			throw new HealthRejected(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'not a batch of samples'}`);
		}
		const samples: HealthSample[] = parsed.data.samples.filter((sample) => Math.abs(Date.parse(sample.at) - now) <= CLOCK_SLACK_MS);
		if (samples.length > 0) this.store.addHealthSamples(sandbox, samples);
		return { recorded: samples.length };
	}

	/** The series of the learner's latest sandbox of a lab, oldest first, from `since` on. */
	series(learnerId: string, labId: string, since?: string): { sandboxId: string | null; samples: HealthSample[] } {
		const sandbox = this.store.latestSandbox(learnerId, labId);
		if (!sandbox) return { sandboxId: null, samples: [] };
		return { sandboxId: sandbox.id, samples: this.store.healthSamples(sandbox.id, since ?? '') };
	}
}
