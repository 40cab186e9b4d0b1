import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode18 } from '../../labs/bundle.ts';

/** The workstation's `faults` command, as one file installed on the learner's PATH. */
export async function bundleFaultsCli(): Promise<string> {
	return bundleForNode18(path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.ts'));
}
