import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { TicketBook, type TicketGrant } from './tickets.ts';

const grant: TicketGrant = { learnerId: 'local', labId: 'steady-state', sandboxId: 'sb-1' };

describe('TicketBook', () => {
	it('redeems a ticket for the grant it was issued with', () => {
		const book = new TicketBook();
		const ticket = book.issue(grant);

		expect(book.redeem(ticket)).toEqual(grant);
	});

	it('redeems a ticket only once', () => {
		const book = new TicketBook();
		const ticket = book.issue(grant);
		book.redeem(ticket);

		expect(book.redeem(ticket)).toBeUndefined();
	});

	it('keeps each ticket to its own grant', () => {
		const book = new TicketBook();
		const other: TicketGrant = { learnerId: 'someone', labId: 'other-lab', sandboxId: 'sb-2' };
		const first = book.issue(grant);
		const second = book.issue(other);

		expect(book.redeem(second)).toEqual(other);
		expect(book.redeem(first)).toEqual(grant);
	});

	it('knows no ticket it did not issue', () => {
		const book = new TicketBook();
		const ticket = book.issue(grant);

		expect(book.redeem('')).toBeUndefined();
		expect(book.redeem(`${ticket}x`)).toBeUndefined();
		expect(new TicketBook().redeem(ticket)).toBeUndefined();
	});

	it('refuses a ticket presented after its time limit', async () => {
		const book = new TicketBook(20);
		const ticket = book.issue(grant);
		await sleep(40);

		expect(book.redeem(ticket)).toBeUndefined();
	});

	it('forgets only expired tickets when it issues a new one', async () => {
		const book = new TicketBook(400);
		const expired = book.issue(grant);
		await sleep(200);
		const live = book.issue(grant);
		await sleep(250);
		book.issue(grant);

		expect(book.redeem(live)).toEqual(grant);
		expect(book.redeem(expired)).toBeUndefined();
	});

	it('hands out tickets of at least 32 URL-safe characters, never the same one twice', () => {
		const book = new TicketBook();
		const tickets = Array.from({ length: 1000 }, () => book.issue(grant));

		for (const ticket of tickets) expect(ticket).toMatch(/^[A-Za-z0-9_-]{32,}$/);
		expect(new Set(tickets).size).toBe(tickets.length);
	});

	it('returns a copy of the grant, so the caller cannot change what is stored', () => {
		const book = new TicketBook();
		const mutable = { ...grant };
		const ticket = book.issue(mutable);
		mutable.sandboxId = 'changed';

		expect(book.redeem(ticket)).toEqual(grant);
	});
});
