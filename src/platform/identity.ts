import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '../store/store.ts';

export const SESSION_COOKIE = 'steady_session';

/** The learner of the single-learner default: whoever can open the course on this machine. */
export const LOCAL_LEARNER = { id: 'local', name: 'Learner' } as const;

/**
 * Who is asking. In the default local mode there is one learner and no login; a browser still gets
 * a random session token in an HTTP-only cookie, so that sandbox tickets are bound to a session
 * that scripts on other sites cannot hold. Only a hash of each token is stored.
 */
export class Identity {
	private readonly store: Store;

	constructor(store: Store) {
		this.store = store;
		store.ensureLearner(LOCAL_LEARNER.id, LOCAL_LEARNER.name);
	}

	learnerFor(token: string | undefined): string | undefined {
		if (!token) return undefined;
		return this.store.sessionLearner(hashToken(token));
	}

	/** Starts a session for the local learner and returns its token, to be set as the cookie. */
	startSession(): { token: string; learnerId: string } {
		const token = randomBytes(32).toString('base64url');
		this.store.addSession(hashToken(token), LOCAL_LEARNER.id);
		return { token, learnerId: LOCAL_LEARNER.id };
	}
}

function hashToken(token: string): string {
	return createHash('sha256').update(token).digest('hex');
}
