import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode18 } from '../../labs/bundle.ts';

/**
 * The fault proxy alone, as one ES module with zod inside, for a container that has none of our
 * node_modules: `node fault-proxy.mjs --config proxies.json`. The sandbox's helper runs the same
 * API inside the fault agent (see ../agent/bundle.ts).
 */
export async function bundleFaultProxy(): Promise<string> {
	return bundleForNode18(path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.ts'));
}
