import type { AstroIntegration } from 'astro';
import { AstroError } from 'astro/errors';
import type { Course } from '../course/course.ts';
import { findBrokenLinks } from '../course/links.ts';
import { summarize, type LabCatalog } from '../labs/catalog.ts';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../schemas/problems.ts';

const VIRTUAL_LABS = 'virtual:steady-state/labs';
const VIRTUAL_COURSE = 'virtual:steady-state/course';

/**
 * Gives pages what `validateProject` in astro.config.mjs read and checked, as virtual modules: the
 * labs' public summaries, and the course's layout and glossary. Pages and the API then never read
 * `content/` or `labs/` at render time, and never see a file that failed validation.
 */
export default function steadyState({ catalog, course }: { catalog: LabCatalog; course: Course }): AstroIntegration {
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
								resolveId: (id: string) => (id === VIRTUAL_LABS || id === VIRTUAL_COURSE ? `\0${id}` : undefined),
								load: (id: string) => {
									if (id === `\0${VIRTUAL_LABS}`) return `export const labs = ${JSON.stringify(summaries)};`;
									if (id === `\0${VIRTUAL_COURSE}`) return `export const course = ${JSON.stringify(course)};`;
									return undefined;
								},
							},
						],
					},
				});
			},
			// The last word of every build: a link between pages that leads nowhere stops it, listed by page.
			'astro:build:done': async ({ dir, logger }) => {
				// A lesson's broken link is also in the handbooks that print it: name it once, at the lesson.
				const found = await findBrokenLinks(fileURLToPath(dir));
				const atLessons = new Set(found.filter((link) => !link.page.startsWith('/handbook/')).map((link) => link.href));
				const broken = found.filter((link) => !link.page.startsWith('/handbook/') || !atLessons.has(link.href));
				if (broken.length === 0) {
					logger.info('Internal links: all lead somewhere.');
					return;
				}
				const sources = sourceFiles(course);
				const lines = broken.map((link) => `  ${link.page}${sources.get(link.page) ? ` (${sources.get(link.page)})` : ''}: "${link.href}": ${link.reason}`);
				throw new AstroError(
					`${broken.length} broken internal link${broken.length === 1 ? '' : 's'}:\n${lines.join('\n')}`,
					'Link to pages that exist, as root-relative addresses with a trailing slash, e.g. `/foundations/steady-state/`, and to headings by their id (shown when you hover a heading).',
				);
			},
		},
	};
}

/** Which content file each built lesson and module page comes from, to name it in a problem. */
function sourceFiles(course: Course): Map<string, string> {
	const files = new Map<string, string>();
	for (const module of course.modules) {
		files.set(`/${module.slug}/`, `content/${module.slug}/index.mdx`);
		for (const lesson of module.lessons) files.set(`/${lesson.slug}/`, lesson.file);
	}
	return files;
}

/** Astro prints an AstroError as a readable message with a hint, rather than as a stack trace. */
export function asAstroError(error: unknown): unknown {
	if (!(error instanceof ValidationError)) return error;
	const [title, ...lines] = error.message.split('\n');
	return new AstroError(`${title}\n${lines.join('\n')}`, 'Fix the fields named above; each line gives the file, line and column.');
}
