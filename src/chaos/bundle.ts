import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** The Node.js in the lab images: Debian bookworm's `nodejs` package. */
export const BUNDLE_TARGET = 'node18';

/** Where the workstation image expects the bundle, relative to its build context. */
export const BUNDLE_FILE = 'chaos/chaos.mjs';

const ENTRY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'main.ts');

/**
 * The `chaos` CLI as one ES module for the Node.js inside the lab images, which has none of our
 * node_modules. The output is deterministic for the same sources, so the workstation image's tag
 * (which hashes it) only changes when the runner does.
 */
export async function bundleChaos(): Promise<string> {
	const result = await build({
		entryPoints: [ENTRY],
		bundle: true,
		platform: 'node',
		format: 'esm',
		target: BUNDLE_TARGET,
		write: false,
		logLevel: 'silent',
		legalComments: 'none',
		// The shebang makes the installed file a command. Bundled CommonJS dependencies call require()
		// for Node's own modules, which an ES module does not have.
		banner: { js: "#!/usr/bin/env node\nimport { createRequire as __chaosRequire } from 'node:module';\nconst require = __chaosRequire(import.meta.url);" },
	});
	const output = result.outputFiles[0];
	if (!output) throw new Error('esbuild produced no output for the chaos bundle');
	return output.text;
}

/** The generated files of the workstation image. */
export async function workstationFiles(): Promise<Record<string, string>> {
	return { [BUNDLE_FILE]: await bundleChaos() };
}
