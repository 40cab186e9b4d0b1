import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../store/store.ts';
import { Identity, LOCAL_LEARNER } from './identity.ts';

let dir: string;
let file: string;
let store: Store;

beforeEach(async () => {
	dir = await mkdtemp(path.join(tmpdir(), 'steady-identity-'));
	file = path.join(dir, 'steady-state.db');
	store = new Store(file);
});

afterEach(async () => {
	store.close();
	await rm(dir, { recursive: true, force: true });
});

function sessionRows(): Record<string, unknown>[] {
	const db = new DatabaseSync(file);
	try {
		return db.prepare('SELECT * FROM sessions').all() as Record<string, unknown>[];
	} finally {
		db.close();
	}
}

describe('Identity', () => {
	it('maps the token of a session it started back to the local learner', () => {
		const identity = new Identity(store);

		const session = identity.startSession();

		expect(session.learnerId).toBe(LOCAL_LEARNER.id);
		expect(identity.learnerFor(session.token)).toBe(LOCAL_LEARNER.id);
	});

	it('knows no learner for a token it did not hand out, or for no token', () => {
		const identity = new Identity(store);
		const { token } = identity.startSession();

		expect(identity.learnerFor(`${token}x`)).toBeUndefined();
		expect(identity.learnerFor('not-a-token')).toBeUndefined();
		expect(identity.learnerFor('')).toBeUndefined();
		expect(identity.learnerFor(undefined)).toBeUndefined();
	});

	it('hands out a different, unguessable token for each session', () => {
		const identity = new Identity(store);
		const tokens = Array.from({ length: 50 }, () => identity.startSession().token);

		expect(new Set(tokens).size).toBe(tokens.length);
		for (const token of tokens) expect(token).toMatch(/^[A-Za-z0-9_-]{43,}$/);
	});

	it('stores only a hash of each token, never the token itself', () => {
		const identity = new Identity(store);
		const { token } = identity.startSession();

		const rows = sessionRows();
		expect(rows).toHaveLength(1);
		expect(rows[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
		expect(JSON.stringify(rows)).not.toContain(token);
	});

	it('keeps sessions across a restart of the platform', () => {
		const { token } = new Identity(store).startSession();
		store.close();
		store = new Store(file);

		expect(new Identity(store).learnerFor(token)).toBe(LOCAL_LEARNER.id);
	});
});
