import type { AstroIntegration } from 'astro';
import { AstroError } from 'astro/errors';
import { summarize, type LabCatalog } from '../labs/catalog.ts';
import { ValidationError } from '../schemas/problems.ts';

const VIRTUAL_LABS = 'virtual:steady-state/labs';

/**
 * Gives pages the labs' public summaries (validated by `validateProject` in astro.config.mjs) as a
 * virtual module, so lesson pages can embed a lab without reading files at render time.
 */
export default function steadyState({ catalog }: { catalog: LabCatalog }): AstroIntegration {
	return {
		name: 'steady-state',
		hooks: {
			'astro:config:setup': ({ updateConfig }) => {
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
