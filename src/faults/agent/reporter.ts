import { fitForLog, type ProxyChangeListener, type ProxyEvent } from '../proxy/events.ts';
import { callChannel } from './channel.ts';

/**
 * Sends each proxy change to the platform's fault log, one at a time and in order, so the log reads
 * as the learner acted. A report that cannot be delivered is lost rather than failing what the
 * learner asked for: the proxy change itself did happen.
 */
export function createProxyEventReporter(channel: string, timeoutMs: number, warn: (line: string) => void): ProxyChangeListener {
	let queue: Promise<void> = Promise.resolve();
	// One warning per run of failures: a platform that is away for a minute should not flood the log.
	let failing = false;

	const deliver = async (event: ProxyEvent): Promise<void> => {
		const body = Buffer.from(JSON.stringify(fitForLog(event)));
		let problem: string | undefined;
		try {
			const reply = await callChannel(channel, { method: 'POST', path: '/proxy-events', body, timeoutMs });
			if (reply.status >= 300) problem = `the platform answered ${reply.status}: ${reply.body.toString('utf8').slice(0, 500)}`;
		} catch (error) {
			problem = (error as Error).message;
		}
		if (problem === undefined) {
			failing = false;
		} else if (!failing) {
			failing = true;
			warn(`faults agent: the fault log did not take a proxy change (${event.kind} ${event.target}): ${problem}. The change itself was made; changes are missing from the log until the platform takes them again.`);
		}
	};

	return (event) => (queue = queue.then(() => deliver(event)));
}
