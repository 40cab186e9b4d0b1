import { fileURLToPath } from 'node:url';
import type { AstroIntegration } from 'astro';
import { AstroError } from 'astro/errors';
import { LabCatalog, summarize } from '../labs/catalog.ts';
import { ValidationError } from '../schemas/problems.ts';

const VIRTUAL_LABS = 'virtual:steady-state/labs';

/**
 * Checks every lab manifest when Astro starts (so `npm run build` fails on a bad manifest with
 * file, field and fix), and gives pages the labs' public summaries as a virtual module, so lesson
 * pages can embed a lab without reading files at render time.
 */
export default function steadyState(): AstroIntegration {
	return {
		name: 'steady-state',
		hooks: {
			'astro:config:setup': async ({ config, updateConfig }) => {
				const root = fileURLToPath(config.root);
				let catalog: LabCatalog;
				try {
					catalog = await LabCatalog.load(root);
				} catch (error) {
					throw asAstroError(error);
				}
				const summaries = Object.fromEntries(catalog.list().map((lab) => [lab.id, summarize(lab)]));
				updateConfig({
					vite: {
						plugins: [
							{
								name: 'steady-state:labs',
								resolveId: (id: string) => (id === VIRTUAL_LABS ? `\0${VIRTUAL_LABS}` : undefined),
								load: (id: string) => (id === `\0${VIRTUAL_LABS}` ? `export const labs = ${JSON.stringify(summaries)};` : undefined),
							},
						],
					},
				});
			},
		},
	};
}

/** Astro prints an AstroError as a readable message with a hint, rather than as a stack trace. */
export function asAstroError(error: unknown): unknown {
	if (!(error instanceof ValidationError)) return error;
	const [title, ...lines] = error.message.split('\n');
	return new AstroError(`${title}\n${lines.join('\n')}`, 'Fix the fields named above; each line gives the file, line and column.');
}
