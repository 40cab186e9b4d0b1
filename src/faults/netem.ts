import type { ExecResult } from '../../sandbox/exec.ts';
import { LabError } from '../platform/errors.ts';
import type { NetemKind, NetemRequest } from './schema.ts';

/**
 * Interface faults with the kernel's netem, as `tc` sets them up: what to ask `tc` for, and what
 * its answer means. The platform runs `tc` from a helper in the target's network namespace (see
 * `Sandbox.runInNetworkOf`); whether netem exists is the kernel's to say, so the platform asks
 * it every time rather than guessing, and a kernel without it gets a clear refusal that points to
 * the fault proxy, which works everywhere.
 */

/** How to get close to each interface fault with the fault proxy, for kernels without netem. */
export const PROXY_EQUIVALENT: Record<NetemKind, string> = {
	delay: 'add a latency toxic (with jitter) to the proxy in front of the service: POST http://faults:8474/proxies/<proxy>/toxics {"type": "latency", "attributes": {"latency": 300, "jitter": 50}}.',
	loss: 'add a timeout or reset_peer toxic, or cut the service off: POST http://faults:8474/proxies/<proxy> {"enabled": false}.',
	corrupt: 'add a slicer or limit_data toxic, which break the stream the way a damaged connection does.',
	duplicate: 'add a slicer toxic with a delay, which changes the stream\'s timing (nothing on the proxy duplicates packets).',
};

/**
 * Finds the member's one network interface (a sandbox has a single network; `lo` aside) and runs
 * `tc` on its root qdisc: `replace` installs netem with the given arguments, `del` removes it.
 */
const NETEM_SCRIPT = `dev=
for path in /sys/class/net/*; do
  name=\${path##*/}
  if [ "$name" != lo ]; then dev=$name; break; fi
done
if [ -z "$dev" ]; then echo "no network interface besides lo" >&2; exit 3; fi
if [ "$1" = del ]; then exec tc qdisc del dev "$dev" root; fi
shift
exec tc qdisc replace dev "$dev" root netem "$@"`;

/** The helper's command that installs the request's netem, replacing whatever interface fault was there. */
export function netemCommand(request: NetemRequest): string[] {
	return ['sh', '-c', NETEM_SCRIPT, 'netem', 'replace', ...netemArguments(request)];
}

/** The helper's command that takes netem off the interface again. */
export function endNetemCommand(): string[] {
	return ['sh', '-c', NETEM_SCRIPT, 'netem', 'del'];
}

/** The request in netem's own words, e.g. `delay 300ms 50ms` or `loss 5%`. */
export function netemArguments(request: NetemRequest): string[] {
	switch (request.kind) {
		case 'delay':
			return request.jitter > 0 ? ['delay', `${request.milliseconds}ms`, `${request.jitter}ms`] : ['delay', `${request.milliseconds}ms`];
		case 'loss':
		case 'corrupt':
		case 'duplicate':
			return [request.kind, `${request.percent}%`];
	}
}

/** What `tc` says when the kernel has no netem (`Specified qdisc kind is unknown.`, or older wording). */
const NO_NETEM = /qdisc kind is unknown|unknown qdisc/i;
/** What `tc qdisc del` says when the interface has only its default qdisc: nothing to end. */
const NOTHING_TO_DELETE = /handle of zero|no such file or directory|invalid handle|cannot find specified qdisc/i;

/**
 * Reads `tc`'s answer to an install: returns when netem is in place, throws a 501 LabError
 * when the kernel has no netem, and an Error (the platform's failure, a 502) for anything else.
 */
export function checkNetemInstalled(request: NetemRequest, target: string, result: ExecResult): void {
	if (result.exitCode === 0) return;
	const said = result.stderr.trim() || result.stdout.trim();
	if (NO_NETEM.test(said)) {
		throw new LabError(
			501,
			`The ${request.kind} fault on ${target}'s network interface needs the kernel's netem, and this machine's kernel has none (tc said: "${said}").`,
			`Use the fault proxy (the Toxiproxy API at http://faults:8474) instead, which works on every kernel: ${PROXY_EQUIVALENT[request.kind]}`,
		);
	}
	throw helperFailure(target, result, said);
}

/** Reads `tc`'s answer to a removal: true when netem was removed, false when there was none. */
export function checkNetemEnded(target: string, result: ExecResult): boolean {
	if (result.exitCode === 0) return true;
	const said = result.stderr.trim() || result.stdout.trim();
	if (NOTHING_TO_DELETE.test(said)) return false;
	throw helperFailure(target, result, said);
}

/** The learner's words for what is now in place, and how it ends. */
export function describeNetem(request: NetemRequest, target: string): string {
	const effect =
		request.kind === 'delay'
			? `Delaying every packet ${target} sends by ${request.milliseconds} ms${request.jitter > 0 ? ` (± ${request.jitter} ms)` : ''}`
			: request.kind === 'loss'
				? `Dropping ${request.percent}% of the packets ${target} sends`
				: request.kind === 'corrupt'
					? `Corrupting ${request.percent}% of the packets ${target} sends`
					: `Sending ${request.percent}% of ${target}'s packets twice`;
	return `${effect}, until \`end-netem\`, a reset or a restart of ${target}. It replaces any earlier interface fault on ${target}.`;
}

function helperFailure(target: string, result: ExecResult, said: string): Error {
	const ending = result.timedOut ? 'did not finish in time' : `ended with ${result.exitCode}`;
	return new Error(`tc in ${target}'s network namespace ${ending}${said ? `: ${said}` : ''}`);
}
