import { randomBytes } from 'node:crypto';

export interface TicketGrant {
	learnerId: string;
	labId: string;
	sandboxId: string;
}

/**
 * Short-lived, single-use tickets for the terminal WebSocket. The lab API hands one to the
 * sandbox's owner; the socket presents it once, within the time limit, from the same session.
 */
export class TicketBook {
	private readonly tickets = new Map<string, TicketGrant & { expiresAt: number }>();

	private readonly ttlMs: number;

	constructor(ttlMs = 30_000) {
		this.ttlMs = ttlMs;
	}

	issue(grant: TicketGrant): string {
		this.sweep();
		const ticket = randomBytes(24).toString('base64url');
		this.tickets.set(ticket, { ...grant, expiresAt: Date.now() + this.ttlMs });
		return ticket;
	}

	/** Returns the grant and forgets the ticket; undefined for unknown, used or expired tickets. */
	redeem(ticket: string): TicketGrant | undefined {
		const grant = this.tickets.get(ticket);
		this.tickets.delete(ticket);
		if (!grant || grant.expiresAt < Date.now()) return undefined;
		return { learnerId: grant.learnerId, labId: grant.labId, sandboxId: grant.sandboxId };
	}

	private sweep(): void {
		const now = Date.now();
		for (const [ticket, grant] of this.tickets) if (grant.expiresAt < now) this.tickets.delete(ticket);
	}
}
