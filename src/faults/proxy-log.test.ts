import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../store/store.ts';
import { ProxyEventRejected, recordProxyEvent } from './proxy-log.ts';

/** The platform's check on what a fault agent reports, against a real store. */

let store: Store;
const sandbox = { sandboxId: 'abc123', learnerId: 'ada', labId: 'redis-outage' };
const event = {
	kind: 'toxic-add',
	target: 'redis',
	parameters: { name: 'latency_downstream', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: 1000 } },
	outcome: 'applied',
	message: 'Added latency toxic latency_downstream on redis: 1000 ms, downstream, toxicity 1.',
};

beforeEach(() => {
	store = new Store(':memory:');
	store.ensureLearner('ada', 'Ada');
});

afterEach(() => store.close());

function refusal(body: unknown): string {
	try {
		recordProxyEvent(store, sandbox, body);
	} catch (error) {
		expect(error).toBeInstanceOf(ProxyEventRejected);
		return (error as Error).message;
	}
	throw new Error('accepted');
}

describe('recordProxyEvent', () => {
	it('writes the event into the log of the sandbox it is given', () => {
		const record = recordProxyEvent(store, sandbox, event);
		expect(record).toMatchObject({ ...sandbox, ...event, id: expect.any(Number) });
		expect(store.faultLog('ada', 'redis-outage')).toEqual([record]);
	});

	it('names the field that is wrong, and writes nothing', () => {
		expect(refusal({ ...event, kind: 'pause' })).toBe(
			'kind must be one of toxic-add, toxic-update, toxic-remove, proxy-disable, proxy-enable, proxy-create, proxy-delete, proxy-update, proxy-reset',
		);
		expect(refusal({ ...event, outcome: 'failed' })).toBe('outcome must be one of applied, reverted, refused');
		expect(refusal({ ...event, target: 'x'.repeat(201) })).toBe('target must be at most 200 characters');
		expect(refusal({ ...event, message: '' })).toBe('message must not be empty');
		expect(refusal({ ...event, parameters: { padding: 'x'.repeat(2048) } })).toBe('parameters must be under 2048 bytes as JSON');
		expect(refusal({ ...event, parameters: ['latency'] })).toBe('parameters must be a JSON object');
		expect(refusal([event])).toBe('the body must be a JSON object with kind, target, parameters, outcome, message');
		expect(store.faultLog('ada', 'redis-outage')).toEqual([]);
	});

	it('refuses a body that tries to say which sandbox or learner it is for', () => {
		expect(refusal({ ...event, sandboxId: 'other1', learnerId: 'bob' })).toBe(
			'unknown field sandboxId, learnerId; the fields are kind, target, parameters, outcome, message',
		);
	});
});
