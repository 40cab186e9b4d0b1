import { build } from 'esbuild';

/** The Node.js in the lab images and the fault helper: Debian bookworm's `nodejs` package. */
export const NODE18_TARGET = 'node18';

/**
 * One program as a single ES module for a container that has Debian's Node.js 18 and none of our
 * node_modules (zod goes inside). The same sources give the same bytes, so an image that hashes the
 * file only changes when the program does.
 */
export async function bundleForNode18(entry: string): Promise<string> {
	const result = await build({
		entryPoints: [entry],
		bundle: true,
		platform: 'node',
		format: 'esm',
		target: NODE18_TARGET,
		write: false,
		logLevel: 'silent',
		legalComments: 'none',
		// The shebang makes the installed file a command. Bundled CommonJS dependencies call require()
		// for Node's own modules, which an ES module does not have.
		banner: { js: "#!/usr/bin/env node\nimport { createRequire as __bundleRequire } from 'node:module';\nconst require = __bundleRequire(import.meta.url);" },
	});
	const output = result.outputFiles[0];
	if (!output) throw new Error(`esbuild produced no output for ${entry}`);
	return output.text;
}
