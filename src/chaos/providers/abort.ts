import { ActivityFailed } from '../errors.ts';

/** The failure an aborted activity ends with: the caller's own ActivityFailed reason, if it gave one. */
export function interruption(signal: AbortSignal): ActivityFailed {
	return signal.reason instanceof ActivityFailed ? signal.reason : new ActivityFailed('activity was interrupted before it completed');
}

/**
 * Calls `handler` once when the signal aborts. Returns the function that stops listening, so a
 * finished activity leaves nothing attached to a signal that outlives it.
 */
export function onAbort(signal: AbortSignal | undefined, handler: () => void): () => void {
	if (!signal) return () => {};
	signal.addEventListener('abort', handler, { once: true });
	return () => signal.removeEventListener('abort', handler);
}
