import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode18 } from '../../labs/bundle.ts';

/** The fault agent of the `faults` helper container, as one file: `node faults-agent.mjs`. */
export async function bundleFaultsAgent(): Promise<string> {
	return bundleForNode18(path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.ts'));
}
