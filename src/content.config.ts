import { docsSchema } from '@astrojs/starlight/schema';
import { defineCollection } from 'astro:content';
import { glob } from 'astro/loaders';
import { courseFrontmatterExtension } from './schemas/lesson.ts';

/**
 * Lessons live in the top-level `content/` folder (not Starlight's default `src/content/docs`),
 * so that instructors find them next to `labs/`. Files starting with `_` are drafts.
 */
export const collections = {
	docs: defineCollection({
		loader: glob({ base: './content', pattern: '**/[^_]*.{md,mdx}' }),
		schema: docsSchema({ extend: courseFrontmatterExtension }),
	}),
};
