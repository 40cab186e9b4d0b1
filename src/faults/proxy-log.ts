import { z } from 'zod';
import type { SandboxIdentity } from '../../sandbox/labels.ts';
import type { FaultRecord, Store } from '../store/store.ts';
import { EVENT_LIMITS, PROXY_EVENT_KINDS, PROXY_EVENT_OUTCOMES } from './proxy/events.ts';

/**
 * Proxy changes reported by a sandbox's fault agent, into that sandbox's fault log. The agent runs
 * the proxies, so only it knows of them; the platform still owns the log, and checks what it is sent.
 */

const FIELDS = 'kind, target, parameters, outcome, message';

const bounded = (field: string, limit: number) =>
	z.string({ error: `${field} must be a string` }).min(1, `${field} must not be empty`).max(limit, `${field} must be at most ${limit} characters`);

export const ProxyEventBody = z.strictObject(
	{
		kind: z.enum(PROXY_EVENT_KINDS, { error: `kind must be one of ${PROXY_EVENT_KINDS.join(', ')}` }),
		target: bounded('target', EVENT_LIMITS.target),
		parameters: z
			.record(z.string(), z.unknown(), { error: 'parameters must be a JSON object' })
			.refine((parameters) => Buffer.byteLength(JSON.stringify(parameters)) <= EVENT_LIMITS.parametersBytes, {
				message: `parameters must be under ${EVENT_LIMITS.parametersBytes} bytes as JSON`,
			}),
		outcome: z.enum(PROXY_EVENT_OUTCOMES, { error: `outcome must be one of ${PROXY_EVENT_OUTCOMES.join(', ')}` }),
		message: bounded('message', EVENT_LIMITS.message),
	},
	{
		error: (issue) => {
			if (issue.code === 'unrecognized_keys') return `unknown field ${issue.keys.join(', ')}; the fields are ${FIELDS}`;
			if (issue.code === 'invalid_type') return `the body must be a JSON object with ${FIELDS}`;
			return undefined;
		},
	},
);

/** A body the log will not take; the message names the field. */
export class ProxyEventRejected extends Error {}

/**
 * Writes one reported change to the log of the sandbox the report came from; `sandbox` is the
 * channel's own, never anything in the body.
 */
export function recordProxyEvent(store: Store, sandbox: Omit<SandboxIdentity, 'platformId'>, body: unknown): FaultRecord {
	const result = ProxyEventBody.safeParse(body);
	if (!result.success) {
		// Each message names its field already, which is all the agent's author needs to find the fault.
		throw new ProxyEventRejected(result.error.issues.map((issue) => issue.message).join('; '));
	}
	const { sandboxId, learnerId, labId } = sandbox;
	return store.addFault({ sandboxId, learnerId, labId, ...result.data });
}
