import { describe, expect, it } from 'vitest';
import { LabError } from '../platform/errors.ts';
import { cpuWorkerBound, FAULT_KINDS, parametersOf, parseFaultRequest } from './schema.ts';

function refusal(input: unknown): LabError {
	try {
		parseFaultRequest(input);
	} catch (error) {
		if (error instanceof LabError) return error;
		throw error;
	}
	throw new Error('expected the request to be refused');
}

describe('fault requests', () => {
	it('take interface faults with their netem parameters, jitter 0 unless given', () => {
		expect(parseFaultRequest({ kind: 'delay', target: 'redis', milliseconds: 300 })).toEqual({ kind: 'delay', target: 'redis', milliseconds: 300, jitter: 0 });
		expect(parseFaultRequest({ kind: 'delay', target: 'redis', milliseconds: 300, jitter: 50 })).toMatchObject({ jitter: 50 });
		for (const kind of ['loss', 'corrupt', 'duplicate']) expect(parseFaultRequest({ kind, target: 'redis', percent: 0.5 })).toEqual({ kind, target: 'redis', percent: 0.5 });
		expect(parseFaultRequest({ kind: 'end-netem', target: 'redis' })).toEqual({ kind: 'end-netem', target: 'redis' });
	});

	it('refuse an hour of delay, jitter past the delay and percentages outside (0, 100], naming the bound', () => {
		expect(refusal({ kind: 'delay', target: 'redis', milliseconds: 3_600_000 })).toMatchObject({
			status: 400,
			message: 'Bad delay fault: milliseconds: must be at most 60000 ms (one minute).',
			fix: 'Give whole milliseconds from 1 to 60000, e.g. `300`.',
		});
		expect(refusal({ kind: 'delay', target: 'redis', milliseconds: 100, jitter: 200 }).message).toBe('Bad delay fault: jitter: must not exceed the delay in milliseconds.');
		expect(refusal({ kind: 'loss', target: 'redis', percent: 0 }).fix).toContain('above 0 and at most 100');
		expect(refusal({ kind: 'duplicate', target: 'redis', percent: 150 }).message).toContain('percent');
		expect(refusal({ kind: 'corrupt', target: 'redis' }).message).toBe('Bad corrupt fault: percent: is required (expected number).');
	});

	it('fill in defaults: SIGKILL, one worker, 30 seconds', () => {
		expect(parseFaultRequest({ kind: 'kill', target: 'redis' })).toEqual({ kind: 'kill', target: 'redis', signal: 'SIGKILL' });
		expect(parseFaultRequest({ kind: 'cpu', target: 'redis' })).toEqual({ kind: 'cpu', target: 'redis', workers: 1, seconds: 30 });
		expect(parseFaultRequest({ kind: 'kill-process', target: 'redis', process: 'redis-server' })).toMatchObject({ signal: 'SIGKILL' });
	});

	it('accept a signal with or without SIG, in any case', () => {
		for (const signal of ['term', 'TERM', 'SIGTERM', ' sigterm ']) {
			expect(parseFaultRequest({ kind: 'kill', target: 'redis', signal })).toMatchObject({ signal: 'SIGTERM' });
		}
	});

	it('keep everything but the kind and the target as parameters', () => {
		expect(parametersOf(parseFaultRequest({ kind: 'memory', target: 'redis', megabytes: 64, seconds: 10 }))).toEqual({ megabytes: 64, seconds: 10 });
		expect(parametersOf(parseFaultRequest({ kind: 'pause', target: 'redis' }))).toEqual({});
	});

	it('name every kind when the kind is unknown or missing', () => {
		for (const input of [{ kind: 'explode' }, {}, null, 'kill', { kind: 7 }]) {
			const error = refusal(input);
			expect(error.status).toBe(400);
			expect(error.fix).toBe(`Set "kind" to one of: ${FAULT_KINDS.join(', ')}.`);
		}
		expect(refusal({ kind: 'toString' }).message).toBe('"toString" is not a fault kind.');
	});

	it('name the field, the problem and the fix for bad parameters', () => {
		expect(refusal({ kind: 'kill', target: 'redis', signal: 'SIGSEGV' })).toMatchObject({
			status: 400,
			message: expect.stringContaining('Bad kill fault: signal: invalid option'),
			fix: 'Give one of SIGKILL, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 (with or without the SIG prefix).',
		});
		expect(refusal({ kind: 'stop' })).toMatchObject({ message: 'Bad stop fault: target: is required (expected string).' });
		expect(refusal({ kind: 'stop', target: '../etc' }).message).toContain('target: must be a container name');
		expect(refusal({ kind: 'kill-process', target: 'redis', process: 'a; rm -rf /' }).message).toContain('process: must be a process name');
	});

	it('suggest the field a misspelt parameter meant', () => {
		expect(refusal({ kind: 'memory', target: 'redis', megabyte: 64 })).toMatchObject({
			message: expect.stringContaining('unknown field "megabyte"'),
			fix: expect.stringContaining('Did you mean "megabytes"?'),
		});
	});

	it('refuse durations, workers and sizes past their bounds, naming the bound', () => {
		expect(refusal({ kind: 'cpu', target: 'redis', seconds: 601 }).fix).toContain('from 1 to 600');
		expect(refusal({ kind: 'cpu', target: 'redis', seconds: 0.5 }).message).toContain('seconds');
		expect(refusal({ kind: 'cpu', target: 'redis', workers: 5 }).fix).toContain('from 1 to 4');
		expect(refusal({ kind: 'memory', target: 'redis', megabytes: 4096 }).message).toContain('<=2048');
		expect(parseFaultRequest({ kind: 'cpu', target: 'redis', seconds: 600, workers: 4 })).toMatchObject({ seconds: 600, workers: 4 });
	});
});

describe('the CPU worker bound', () => {
	it('is the container\'s CPU limit rounded up, at most 4, and 4 without a limit', () => {
		expect(cpuWorkerBound(0.5e9)).toBe(1);
		expect(cpuWorkerBound(1e9)).toBe(1);
		expect(cpuWorkerBound(1.5e9)).toBe(2);
		expect(cpuWorkerBound(16e9)).toBe(4);
		expect(cpuWorkerBound(0)).toBe(4);
	});
});
