// @ts-check
import mdx from '@astrojs/mdx';
import node from '@astrojs/node';
import starlight from '@astrojs/starlight';
import { defineConfig } from 'astro/config';
import { fileURLToPath } from 'node:url';
import { courseSidebar } from './src/course/course.ts';
import { validateProject } from './src/course/validate.ts';
import steadyState, { asAstroError } from './src/integrations/steady-state.ts';

// Lessons and labs are checked before anything is built, every problem named with file, field and
// fix; the sidebar then follows the modules and lessons in content/, in their frontmatter's order.
const { course, catalog } = await validateProject(fileURLToPath(new URL('.', import.meta.url))).catch((error) => {
	throw asAstroError(error);
});

export default defineConfig({
	// Lesson pages are prerendered; the lab API routes opt out with `prerender = false`.
	output: 'static',
	// Static files (the favicon) live under src/ to keep the top level to the project's own folders.
	publicDir: './src/public',
	// Middleware mode: our own server (src/server) wraps Astro's handler, adds the terminal
	// WebSocket and hands the platform's services to routes as `locals`.
	adapter: node({ mode: 'middleware' }),
	server: { host: '127.0.0.1', port: 4321 },
	// src/middleware.ts checks the Origin of every state-changing API request (any content type)
	// and answers in JSON; Astro's own check covers form posts only and answers in plain text.
	security: { checkOrigin: false },
	vite: {
		build: {
			rollupOptions: {
				// Astro marks MDX modules with a "use astro:head-inject" directive that the bundler warns
				// about for every lesson; it is Astro's own marker and harmless, and the noise hides real warnings.
				onwarn(warning, warn) {
					if (warning.code === 'MODULE_LEVEL_DIRECTIVE' && warning.message.includes('astro:head-inject')) return;
					warn(warning);
				},
			},
		},
	},
	integrations: [
		steadyState({ catalog, course }),
		starlight({
			title: 'Steady State',
			description: 'A self-paced chaos engineering course with hands-on labs in your browser.',
			sidebar: courseSidebar(course),
			components: {
				MarkdownContent: './src/components/lesson/MarkdownContent.astro',
			},
			customCss: ['./src/components/lesson/course.css'],
			lastUpdated: false,
			pagination: true,
		}),
		// After Starlight, so its code-block integration runs first (Starlight would add MDX itself).
		mdx(),
	],
});
