import { describe, expect, it } from 'vitest';
import type { ExecResult } from '../../sandbox/exec.ts';
import { LabError } from '../platform/errors.ts';
import { checkNetemEnded, checkNetemInstalled, describeNetem, endNetemCommand, netemArguments, netemCommand } from './netem.ts';
import { parseFaultRequest, type NetemRequest } from './schema.ts';

const request = (input: Record<string, unknown>) => parseFaultRequest({ target: 'redis', ...input }) as NetemRequest;
const result = (exitCode: number | null, stderr = '', timedOut = false): ExecResult => ({ exitCode, stdout: '', stderr, timedOut });

describe('netem arguments', () => {
	it('say each request in tc netem\'s own words', () => {
		expect(netemArguments(request({ kind: 'delay', milliseconds: 300 }))).toEqual(['delay', '300ms']);
		expect(netemArguments(request({ kind: 'delay', milliseconds: 300, jitter: 50 }))).toEqual(['delay', '300ms', '50ms']);
		expect(netemArguments(request({ kind: 'loss', percent: 5 }))).toEqual(['loss', '5%']);
		expect(netemArguments(request({ kind: 'corrupt', percent: 0.5 }))).toEqual(['corrupt', '0.5%']);
		expect(netemArguments(request({ kind: 'duplicate', percent: 100 }))).toEqual(['duplicate', '100%']);
	});

	it('install by replacing the root qdisc, and end by deleting it, each as separate arguments to one script', () => {
		const install = netemCommand(request({ kind: 'loss', percent: 5 }));
		expect(install.slice(0, 2)).toEqual(['sh', '-c']);
		expect(install[2]).toContain('tc qdisc replace dev "$dev" root netem "$@"');
		expect(install.slice(3)).toEqual(['netem', 'replace', 'loss', '5%']);
		const end = endNetemCommand();
		expect(end[2]).toBe(install[2]);
		expect(end.slice(3)).toEqual(['netem', 'del']);
	});
});

describe('tc\'s answers', () => {
	const delay = request({ kind: 'delay', milliseconds: 300 });

	it('an install that worked is quiet', () => {
		expect(() => checkNetemInstalled(delay, 'redis', result(0))).not.toThrow();
	});

	it('a kernel without netem is a 501 that quotes tc and points to the proxy\'s equivalent', () => {
		let refusal: unknown;
		try {
			checkNetemInstalled(delay, 'redis', result(2, 'Error: Specified qdisc kind is unknown.\n'));
		} catch (error) {
			refusal = error;
		}
		expect(refusal).toBeInstanceOf(LabError);
		expect(refusal).toMatchObject({
			status: 501,
			message: 'The delay fault on redis\'s network interface needs the kernel\'s netem, and this machine\'s kernel has none (tc said: "Error: Specified qdisc kind is unknown.").',
			fix: expect.stringContaining('POST http://faults:8474/proxies/<proxy>/toxics'),
		});
	});

	it('any other failure is the platform\'s, with tc\'s words or the timeout', () => {
		expect(() => checkNetemInstalled(delay, 'redis', result(1, 'RTNETLINK answers: Operation not permitted'))).toThrow(
			"tc in redis's network namespace ended with 1: RTNETLINK answers: Operation not permitted",
		);
		expect(() => checkNetemInstalled(delay, 'redis', result(null, '', true))).toThrow("tc in redis's network namespace did not finish in time");
		expect(() => checkNetemInstalled(delay, 'redis', result(1, 'RTNETLINK answers: Operation not permitted'))).not.toThrow(LabError);
	});

	it('a removal says whether there was netem to remove', () => {
		expect(checkNetemEnded('redis', result(0))).toBe(true);
		expect(checkNetemEnded('redis', result(2, 'Error: Cannot delete qdisc with handle of zero.'))).toBe(false);
		expect(checkNetemEnded('redis', result(2, 'RTNETLINK answers: No such file or directory'))).toBe(false);
		expect(() => checkNetemEnded('redis', result(3, 'no network interface besides lo'))).toThrow('ended with 3: no network interface besides lo');
	});
});

describe('the learner\'s words for an interface fault', () => {
	it('say what happens to which packets, how it ends, and that it replaces the last one', () => {
		expect(describeNetem(request({ kind: 'delay', milliseconds: 300, jitter: 50 }), 'redis')).toBe(
			'Delaying every packet redis sends by 300 ms (± 50 ms), until `end-netem`, a reset or a restart of redis. It replaces any earlier interface fault on redis.',
		);
		expect(describeNetem(request({ kind: 'loss', percent: 5 }), 'redis')).toMatch(/^Dropping 5% of the packets redis sends,/);
		expect(describeNetem(request({ kind: 'corrupt', percent: 1 }), 'redis')).toMatch(/^Corrupting 1% of the packets redis sends,/);
		expect(describeNetem(request({ kind: 'duplicate', percent: 2 }), 'redis')).toMatch(/^Sending 2% of redis's packets twice,/);
	});
});
