import { z } from 'astro/zod';
import { withFix } from './problems.ts';

/**
 * Frontmatter of the course's MDX files, beyond Starlight's own fields. A module is a folder in
 * `content/` whose `index.mdx` carries `module:`; every other MDX file in it is a lesson and
 * carries `lesson:`. Astro owns the content, so these use `astro/zod`.
 */

export const moduleFields = z.strictObject({
	/** Position of the module in the course, from 1. */
	order: withFix(z.number().int().min(1), 'Give the module\'s position in the course as a whole number from 1, e.g. `order: 2`.'),
	/** What a learner can do after the module, shown on its overview. */
	outcomes: withFix(z.array(z.string().min(1)).min(1), 'List what a learner can do after this module, one item per line starting with `- `.'),
});

export const sourceFields = z.strictObject({
	title: withFix(z.string().min(1), 'Give the source\'s title (and authors for a book or paper).'),
	url: withFix(z.url(), 'Give the full address, starting with https://.'),
});

export const lessonFields = z.strictObject({
	/** Position of the lesson in its module, from 1. */
	order: withFix(z.number().int().min(1), 'Give the lesson\'s position in its module as a whole number from 1, e.g. `order: 1`.'),
	/** Expected time to work through the lesson and its lab. */
	minutes: withFix(z.number().int().min(1).max(600), 'Give the expected time in whole minutes, e.g. `minutes: 40`.'),
	objectives: withFix(z.array(z.string().min(1)).min(1), 'List what the learner will be able to do, one item per line starting with `- `.'),
	/** Where the lesson's claims come from; listed at the end of the lesson. */
	sources: withFix(z.array(sourceFields).default([]), 'List sources as items with `title:` and `url:`.'),
});

/** The fields our course adds to Starlight's frontmatter (passed to `docsSchema({ extend })`). */
export const courseFrontmatterExtension = z.object({
	module: moduleFields.optional(),
	lesson: lessonFields.optional(),
});

/** What the course reader checks in every MDX file before Astro builds anything. */
export const courseFrontmatter = courseFrontmatterExtension.extend({
	title: withFix(z.string().min(1), 'Give the page a title, e.g. `title: "Steady state: measure before you break"`.'),
	description: withFix(z.string().min(1), 'Give a one-sentence description; it is shown in search results and link previews.'),
});

export type ModuleFields = z.output<typeof moduleFields>;
export type LessonFields = z.output<typeof lessonFields>;
