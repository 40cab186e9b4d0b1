import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode18 } from '../labs/bundle.ts';

const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.ts');

/** The `chaos` CLI as one ES module for the Node.js inside the lab images, which has none of our node_modules. */
export function bundleChaos(): Promise<string> {
	return bundleForNode18(ENTRY);
}
