/**
 * Every container and network the platform creates carries these labels, so that the platform can
 * find its own objects again after a crash (reconcile) and never touches anyone else's.
 */
export const LABELS = {
	/** Id of the platform installation; two platforms on one engine never reap each other. */
	platform: 'dev.steady-state.platform',
	sandbox: 'dev.steady-state.sandbox',
	learner: 'dev.steady-state.learner',
	lab: 'dev.steady-state.lab',
	/** The container's name inside its sandbox (its DNS name on the sandbox network). */
	container: 'dev.steady-state.container',
	/** `workstation` (the learner's terminal), `service` (the lab's system) or `helper` (platform-owned). */
	role: 'dev.steady-state.role',
	/** The lab's restart policy for the container and its delay, e.g. `on-failure:2`; absent means never. */
	restart: 'dev.steady-state.restart',
} as const;

export interface SandboxIdentity {
	platformId: string;
	sandboxId: string;
	learnerId: string;
	labId: string;
}

export function sandboxLabels(identity: SandboxIdentity): Record<string, string> {
	return {
		[LABELS.platform]: identity.platformId,
		[LABELS.sandbox]: identity.sandboxId,
		[LABELS.learner]: identity.learnerId,
		[LABELS.lab]: identity.labId,
	};
}

/** The engine's label filter for "everything this platform owns", optionally narrowed to one sandbox. */
export function labelFilter(platformId: string, sandboxId?: string): { label: string[] } {
	const label = [`${LABELS.platform}=${platformId}`];
	if (sandboxId) label.push(`${LABELS.sandbox}=${sandboxId}`);
	return { label };
}

/** Engine object names: short, recognisable in `docker ps`, unique per sandbox. */
export function networkName(sandboxId: string): string {
	return `ss-${sandboxId}`;
}

export function containerName(sandboxId: string, name: string): string {
	return `ss-${sandboxId}-${name}`;
}
