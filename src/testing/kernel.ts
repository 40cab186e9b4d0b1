import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * Whether this kernel has netem, asked of the kernel directly (as root, in a throwaway network
 * namespace), so tests can check the platform's answer against the truth rather than against itself.
 */
export function kernelHasNetem(): boolean {
	// Debian keeps tc in /usr/sbin, which a non-login PATH may lack.
	const tc = ['/usr/sbin/tc', '/sbin/tc'].find((candidate) => existsSync(candidate)) ?? 'tc';
	const probe = spawnSync('unshare', ['--net', tc, 'qdisc', 'add', 'dev', 'lo', 'root', 'netem', 'delay', '1ms'], { encoding: 'utf8' });
	if (probe.error) throw new Error(`Tests ask the kernel about netem with unshare and tc (Debian's util-linux and iproute2), as root: ${probe.error.message}`);
	if (probe.status === 0) return true;
	if (/qdisc kind is unknown/i.test(probe.stderr)) return false;
	throw new Error(`Could not ask the kernel about netem: ${probe.stderr.trim()}`);
}
