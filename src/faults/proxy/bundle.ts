import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The Node.js of the helper container: Debian bookworm's `nodejs` package. */
export const FAULT_PROXY_TARGET = 'node18';

const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.ts');

/**
 * The fault proxy as one ES module with zod inside, for a container that has none of our
 * node_modules: `node fault-proxy.mjs --config proxies.json`. The same sources give the same bytes,
 * so an image that hashes it only changes when the proxy does.
 */
export async function bundleFaultProxy(): Promise<string> {
	const result = await build({
		entryPoints: [ENTRY],
		bundle: true,
		platform: 'node',
		format: 'esm',
		target: FAULT_PROXY_TARGET,
		write: false,
		logLevel: 'silent',
		legalComments: 'none',
	});
	const output = result.outputFiles[0];
	if (!output) throw new Error('esbuild produced no output for the fault proxy bundle');
	return output.text;
}
