import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { courseFrontmatter, type LessonFields, type ModuleFields } from '../schemas/lesson.ts';
import { parseYaml, validate, ValidationError, type Problem } from '../schemas/problems.ts';

/**
 * The course as instructors lay it out in `content/`: one folder per module with an `index.mdx`
 * overview, and one MDX file per lesson. Read before Astro builds anything, so that a malformed
 * file stops `npm run build` and `npm start` with the file, field and fix.
 */
export interface Course {
	modules: CourseModule[];
}

export interface CourseModule {
	slug: string;
	title: string;
	description: string;
	module: ModuleFields;
	lessons: CourseLesson[];
}

export interface CourseLesson {
	slug: string;
	title: string;
	description: string;
	lesson: LessonFields;
	file: string;
}

const TITLE = 'The course content has problems:';

export async function readCourse(projectRoot: string): Promise<Course> {
	const contentDir = path.join(projectRoot, 'content');
	const problems: Problem[] = [];
	const modules: CourseModule[] = [];
	const entries = await readdir(contentDir, { withFileTypes: true }).catch(() => {
		throw new ValidationError(TITLE, [{ file: 'content/', field: '', message: 'the folder does not exist', fix: 'Create `content/` with one folder per module.' }]);
	});

	for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
		if (!entry.isDirectory() || entry.name.startsWith('_') || entry.name.startsWith('.')) continue;
		const moduleDir = path.join(contentDir, entry.name);
		const files = (await readdir(moduleDir)).filter((name) => /\.mdx?$/.test(name) && !name.startsWith('_')).sort();
		const relative = (name: string) => path.posix.join('content', entry.name, name);
		if (!files.includes('index.mdx')) {
			problems.push({ file: relative('index.mdx'), field: '', message: `module folder "${entry.name}" has no index.mdx`, fix: 'Add an index.mdx with `title`, `description` and `module: { order, outcomes }` frontmatter.' });
			continue;
		}
		const overview = await readFrontmatter(projectRoot, relative('index.mdx'), problems);
		if (overview && !overview.module) {
			problems.push({ file: relative('index.mdx'), field: 'module', message: 'a module overview needs a `module:` block', fix: 'Add `module:` with `order:` (its position in the course) and `outcomes:` (a list).' });
		}
		const lessons: CourseLesson[] = [];
		for (const name of files.filter((file) => file !== 'index.mdx')) {
			const data = await readFrontmatter(projectRoot, relative(name), problems);
			if (!data) continue;
			if (!data.lesson) {
				problems.push({ file: relative(name), field: 'lesson', message: 'a lesson needs a `lesson:` block', fix: 'Add `lesson:` with `order:`, `minutes:` and `objectives:`; or prefix the file name with `_` to leave it out of the course.' });
				continue;
			}
			if (data.module) problems.push({ file: relative(name), field: 'module', message: 'only a module\'s index.mdx may have a `module:` block', fix: 'Remove `module:` from this lesson.' });
			lessons.push({ slug: `${entry.name}/${name.replace(/\.mdx?$/, '')}`, title: data.title, description: data.description, lesson: data.lesson, file: relative(name) });
		}
		reportDuplicateOrders(lessons.map((lesson) => ({ file: lesson.file, order: lesson.lesson.order })), 'lesson.order', 'lesson', problems);
		lessons.sort((a, b) => a.lesson.order - b.lesson.order);
		if (overview?.module) modules.push({ slug: entry.name, title: overview.title, description: overview.description, module: overview.module, lessons });
	}
	reportDuplicateOrders(modules.map((module) => ({ file: `content/${module.slug}/index.mdx`, order: module.module.order })), 'module.order', 'module', problems);
	if (problems.length > 0) throw new ValidationError(TITLE, problems);
	return { modules: modules.sort((a, b) => a.module.order - b.module.order) };
}

const FRONTMATTER = /^---\r?\n([\s\S]*?)\r?\n---(?:\r?\n|$)/;

async function readFrontmatter(projectRoot: string, file: string, problems: Problem[]) {
	const text = await readFile(path.join(projectRoot, file), 'utf8');
	const match = FRONTMATTER.exec(text);
	if (!match) {
		problems.push({ file, field: '', line: 1, column: 1, message: 'has no frontmatter', fix: 'Start the file with a `---` line, the YAML fields (`title:`, `description:` ...), and another `---` line.' });
		return undefined;
	}
	try {
		// The YAML starts on the line after the opening `---`.
		const { value, locate } = parseYaml(match[1] ?? '', file, TITLE, 1);
		return validate(courseFrontmatter, value ?? {}, file, TITLE, locate);
	} catch (error) {
		if (error instanceof ValidationError) {
			problems.push(...error.problems);
			return undefined;
		}
		throw error;
	}
}

function reportDuplicateOrders(items: { file: string; order: number }[], field: string, noun: string, problems: Problem[]): void {
	const byOrder = new Map<number, string[]>();
	for (const item of items) byOrder.set(item.order, [...(byOrder.get(item.order) ?? []), item.file]);
	for (const [order, files] of byOrder) {
		if (files.length < 2) continue;
		problems.push({ file: files[1] ?? '', field, message: `${files.length} ${noun}s share order ${order}: ${files.join(', ')}`, fix: `Give each ${noun} its own order.` });
	}
}

/** Starlight's sidebar for the course: one group per module, its overview first, then its lessons in order. */
export function courseSidebar(course: Course) {
	return course.modules.map((module) => ({
		label: module.title,
		items: [
			{ label: 'Overview', slug: module.slug },
			...module.lessons.map((lesson) => ({ slug: lesson.slug })),
		],
	}));
}
