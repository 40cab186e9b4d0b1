import type { Engine } from './engine.ts';
import { LABELS, labelFilter } from './labels.ts';
import { removeSandboxObjects } from './sandbox.ts';

export interface LabelledSandbox {
	sandboxId: string;
	learnerId: string;
	labId: string;
	containers: number;
	networks: number;
}

/** Every sandbox this platform has on the engine, found by label, whatever state it is in. */
export async function listLabelledSandboxes(engine: Engine, platformId: string): Promise<LabelledSandbox[]> {
	const filters = labelFilter(platformId);
	const [containers, networks] = await Promise.all([
		engine.listContainers({ all: true, filters }),
		engine.listNetworks({ filters }),
	]);
	const found = new Map<string, LabelledSandbox>();
	const entry = (labels: Record<string, string> | undefined): LabelledSandbox | undefined => {
		const sandboxId = labels?.[LABELS.sandbox];
		if (!sandboxId) return undefined;
		let sandbox = found.get(sandboxId);
		if (!sandbox) {
			sandbox = {
				sandboxId,
				learnerId: labels[LABELS.learner] ?? '',
				labId: labels[LABELS.lab] ?? '',
				containers: 0,
				networks: 0,
			};
			found.set(sandboxId, sandbox);
		}
		return sandbox;
	};
	for (const container of containers) {
		const sandbox = entry(container.Labels);
		if (sandbox) sandbox.containers += 1;
	}
	for (const network of networks) {
		const sandbox = entry(network.Labels);
		if (sandbox) sandbox.networks += 1;
	}
	return [...found.values()];
}

/**
 * Removes every labelled sandbox that `keep` does not claim. Run at start-up, it clears what a
 * crashed or killed platform left behind: the store is the truth, the engine is made to match it.
 */
export async function removeUnknownSandboxes(
	engine: Engine,
	platformId: string,
	keep: (sandboxId: string) => boolean,
): Promise<LabelledSandbox[]> {
	const orphans = (await listLabelledSandboxes(engine, platformId)).filter((sandbox) => !keep(sandbox.sandboxId));
	await Promise.all(orphans.map((sandbox) => removeSandboxObjects(engine, platformId, sandbox.sandboxId)));
	return orphans;
}
