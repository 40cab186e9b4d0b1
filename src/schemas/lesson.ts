import { z } from 'astro/zod';
import { withFix } from './problems.ts';

/**
 * Frontmatter of the course's MDX files, beyond Starlight's own fields. A module is a folder in
 * `content/` whose `index.mdx` carries `module:`; every other MDX file in it is a lesson and
 * carries `lesson:`. Astro owns the content, so these use `astro/zod`.
 */

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be a folder name: lower-case letters, digits and dashes');
const lessonSlug = z.string().regex(/^[a-z0-9][a-z0-9-]*\/[a-z0-9][a-z0-9-]*$/, 'must be `module/lesson`, e.g. `foundations/steady-state`');

export const moduleFields = z.strictObject({
	/** Position of the module in the course, from 1. */
	order: withFix(z.number().int().min(1), 'Give the module\'s position in the course as a whole number from 1, e.g. `order: 2`.'),
	/** What a learner can do after the module, shown on its overview. */
	outcomes: withFix(z.array(z.string().min(1)).min(1), 'List what a learner can do after this module, one item per line starting with `- `.'),
	/** Core modules are the recommended first pass; advanced ones build on them. */
	level: withFix(z.enum(['core', 'advanced']).default('core'), 'Use `level: core` (the basics, taken first) or `level: advanced`.'),
	/**
	 * Modules to finish first (their folder names). Never a lock: the page tells a learner which of
	 * them they have not finished yet.
	 */
	prerequisites: withFix(z.array(slug).default([]), 'List earlier modules by folder name, e.g. `prerequisites: [foundations, chaos-toolkit]`.'),
});

export const sourceFields = z.strictObject({
	title: withFix(z.string().min(1), 'Give the source\'s title (and authors for a book or paper).'),
	url: withFix(z.url(), 'Give the full address, starting with https://.'),
});

/** One answer of a quiz question; every answer says why it is right or wrong. */
export const quizOptionFields = z.strictObject({
	answer: withFix(z.string().min(1), 'Give the answer\'s text, e.g. `answer: A measurable output of the system`.'),
	correct: withFix(z.boolean().default(false), 'Write `correct: true` on the one right answer; leave it out on the others.'),
	why: withFix(z.string().min(1), 'Say why this answer is right or wrong; the learner sees it after choosing it.'),
});

export const quizQuestionFields = z
	.strictObject({
		question: withFix(z.string().min(1), 'Give the question\'s text, e.g. `question: Which of these is a steady state?`.'),
		options: withFix(z.array(quizOptionFields).min(2).max(6), 'Give two to six options, each with `answer:` and `why:`, and `correct: true` on one.'),
	})
	.refine((question) => question.options.filter((option) => option.correct).length === 1, {
		message: 'needs exactly one option with `correct: true`',
		path: ['options'],
		params: { fix: 'Mark the one right answer with `correct: true`; a question with two right answers is two questions.' },
	});

export const lessonFields = z.strictObject({
	/** Position of the lesson in its module, from 1. */
	order: withFix(z.number().int().min(1), 'Give the lesson\'s position in its module as a whole number from 1, e.g. `order: 1`.'),
	/** Expected time to work through the lesson and its lab. */
	minutes: withFix(z.number().int().min(1).max(600), 'Give the expected time in whole minutes, e.g. `minutes: 40`.'),
	objectives: withFix(z.array(z.string().min(1)).min(1), 'List what the learner will be able to do, one item per line starting with `- `.'),
	/**
	 * Lessons to take first, as `module/lesson` (the file's path in content/ without .mdx); `[]` when
	 * the lesson stands on its own. The lesson's module's prerequisites apply as well.
	 */
	prerequisites: withFix(z.array(lessonSlug), 'List earlier lessons as `module/lesson`, e.g. `prerequisites: [foundations/steady-state]`, or write `prerequisites: []`.'),
	/** Where the lesson's claims come from; listed at the end of the lesson. */
	sources: withFix(z.array(sourceFields).default([]), 'List sources as items with `title:` and `url:`.'),
	/** A short self-check at the end of the lesson; every answer explains itself. */
	quiz: withFix(z.array(quizQuestionFields).min(1).max(10), 'Add `quiz:` with one to ten questions, each with `question:` and `options:`.'),
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
export type QuizQuestion = z.output<typeof quizQuestionFields>;
