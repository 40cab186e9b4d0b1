import { afterEach, describe, expect, it } from 'vitest';
import { Store } from '../store/store.ts';
import { HealthLog, HealthRejected } from './health.ts';

const stores: Store[] = [];
afterEach(() => {
	for (const store of stores.splice(0)) store.close();
});

function setUp() {
	const store = new Store(':memory:');
	stores.push(store);
	store.ensureLearner('ada', 'Ada');
	const record = store.insertSandbox({ id: 'sb-1', learnerId: 'ada', labId: 'steady-state' });
	const identity = { platformId: 'p', sandboxId: record.id, learnerId: 'ada', labId: 'steady-state' };
	return { store, log: new HealthLog(store), identity };
}

const now = Date.parse('2026-12-03T10:00:00.000Z');
const sample = (offsetMs: number, ok = true) => ({ at: new Date(now + offsetMs).toISOString(), ok, status: ok ? 200 : null, latencyMs: 3.2, error: ok ? null : 'ECONNREFUSED' });

describe('HealthLog', () => {
	it('records a batch from the helper and gives the latest sandbox\'s series, oldest first', () => {
		const { log, identity } = setUp();

		expect(log.record(identity, { samples: [sample(-2000), sample(-1000, false)] }, now)).toEqual({ recorded: 2 });
		expect(log.series('ada', 'steady-state')).toEqual({ sandboxId: 'sb-1', samples: [sample(-2000), sample(-1000, false)] });
		expect(log.series('ada', 'steady-state', sample(-1500).at).samples).toEqual([sample(-1000, false)]);
		expect(log.series('ada', 'other-lab')).toEqual({ sandboxId: null, samples: [] });
	});

	it('refuses a batch that is not samples, naming the field, and keeps nothing of it', () => {
		const { log, identity } = setUp();
		const refused = (body: unknown) => {
			try {
				log.record(identity, body, now);
			} catch (error) {
				if (error instanceof HealthRejected) return error.message;
				throw error;
			}
			return 'accepted';
		};

		expect(refused({ samples: [] })).toMatch(/^samples: /);
		expect(refused({ samples: [{ ...sample(0), ok: 'yes' }] })).toMatch(/^samples\.0\.ok: /);
		expect(refused({ samples: [{ ...sample(0), at: 'yesterday' }] })).toMatch(/^samples\.0\.at: /);
		expect(refused({ samples: [sample(0)], extra: 1 })).toMatch(/unrecognized/i);
		expect(log.series('ada', 'steady-state').samples).toEqual([]);
	});

	it('drops samples dated far from the platform\'s clock', () => {
		const { log, identity } = setUp();
		expect(log.record(identity, { samples: [sample(-60 * 60_000), sample(0)] }, now)).toEqual({ recorded: 1 });
	});
});
