import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { glossaryFile, termId, type GlossaryEntry } from '../schemas/glossary.ts';
import { courseFrontmatter, type LessonFields, type ModuleFields } from '../schemas/lesson.ts';
import { parseYaml, validate, ValidationError, type Locator, type Problem } from '../schemas/problems.ts';

/**
 * The course as instructors lay it out in `content/`: one folder per module with an `index.mdx`
 * overview, and one MDX file per lesson. Read before Astro builds anything, so that a malformed
 * file stops `npm run build` and `npm start` with the file, field and fix.
 */
export interface Course {
	modules: CourseModule[];
	glossary: GlossaryEntry[];
	/** Every `<Lab id="...">` in the course, where it is, for checking against the labs (validate.ts). */
	labReferences: LabReference[];
}

export interface LabReference {
	file: string;
	id: string;
	line: number;
	column: number;
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
	/** The labs the lesson embeds with `<Lab id="..." />`, in order. */
	labs: string[];
	/** The glossary terms the lesson links with `<Term id="..." />`. */
	terms: string[];
}

/** A `<Component attr="value">` the course reader found in a lesson's text, with where it is. */
interface Reference {
	value: string;
	line: number;
	column: number;
}

const TITLE = 'The course content has problems:';

export async function readCourse(projectRoot: string): Promise<Course> {
	const contentDir = path.join(projectRoot, 'content');
	const problems: Problem[] = [];
	const modules: CourseModule[] = [];
	const entries = await readdir(contentDir, { withFileTypes: true }).catch(() => {
		throw new ValidationError(TITLE, [{ file: 'content/', field: '', message: 'the folder does not exist', fix: 'Create `content/` with one folder per module.' }]);
	});
	// A glossary that does not read would make every term look undefined: report it, not the echo.
	const readGlossaryEntries = await readGlossary(projectRoot, problems);
	const glossary = readGlossaryEntries ?? [];
	// Pages that exist but did not validate: references to them are not reported a second time.
	const unreadable = new Set<string>();
	const termsUsed: { file: string; reference: Reference }[] = [];
	const labReferences: LabReference[] = [];
	const locators = new Map<string, Locator>();

	for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
		if (!entry.isDirectory() || entry.name.startsWith('_') || entry.name.startsWith('.')) continue;
		const moduleDir = path.join(contentDir, entry.name);
		const files = (await readdir(moduleDir)).filter((name) => /\.mdx?$/.test(name) && !name.startsWith('_')).sort();
		const relative = (name: string) => path.posix.join('content', entry.name, name);
		if (!files.includes('index.mdx')) {
			problems.push({ file: relative('index.mdx'), field: '', message: `module folder "${entry.name}" has no index.mdx`, fix: 'Add an index.mdx with `title`, `description` and `module: { order, outcomes }` frontmatter.' });
			continue;
		}
		const overview = await readPage(projectRoot, relative('index.mdx'), problems, termsUsed);
		if (overview) locators.set(relative('index.mdx'), overview.locate);
		if (overview && !overview.data.module) {
			problems.push({ file: relative('index.mdx'), field: 'module', message: 'a module overview needs a `module:` block', fix: 'Add `module:` with `order:` (its position in the course) and `outcomes:` (a list).' });
		}
		const lessons: CourseLesson[] = [];
		for (const name of files.filter((file) => file !== 'index.mdx')) {
			const page = await readPage(projectRoot, relative(name), problems, termsUsed);
			if (!page) {
				unreadable.add(`${entry.name}/${name.replace(/\.mdx?$/, '')}`);
				continue;
			}
			const { data } = page;
			locators.set(relative(name), page.locate);
			labReferences.push(...page.labs.map(({ value, line, column }) => ({ file: relative(name), id: value, line, column })));
			if (!data.lesson) {
				unreadable.add(`${entry.name}/${name.replace(/\.mdx?$/, '')}`);
				problems.push({ file: relative(name), field: 'lesson', message: 'a lesson needs a `lesson:` block', fix: 'Add `lesson:` with `order:`, `minutes:`, `objectives:`, `prerequisites:` and `quiz:`; or prefix the file name with `_` to leave it out of the course.' });
				continue;
			}
			if (data.module) problems.push({ file: relative(name), field: 'module', message: 'only a module\'s index.mdx may have a `module:` block', fix: 'Remove `module:` from this lesson.' });
			lessons.push({ slug: `${entry.name}/${name.replace(/\.mdx?$/, '')}`, title: data.title, description: data.description, lesson: data.lesson, file: relative(name), labs: page.labs.map((lab) => lab.value), terms: [...new Set(page.terms.map((term) => term.value))] });
		}
		reportDuplicateOrders(lessons.map((lesson) => ({ file: lesson.file, order: lesson.lesson.order })), 'lesson.order', 'lesson', problems);
		lessons.sort((a, b) => a.lesson.order - b.lesson.order);
		if (!overview?.data.module) unreadable.add(entry.name);
		if (overview?.data.module) modules.push({ slug: entry.name, title: overview.data.title, description: overview.data.description, module: overview.data.module, lessons });
	}
	reportDuplicateOrders(modules.map((module) => ({ file: `content/${module.slug}/index.mdx`, order: module.module.order })), 'module.order', 'module', problems);
	modules.sort((a, b) => a.module.order - b.module.order);
	checkPrerequisites(modules, locators, unreadable, problems);
	if (readGlossaryEntries) checkTerms(glossary, termsUsed, problems);
	if (problems.length > 0) throw new ValidationError(TITLE, problems);
	return { modules, glossary, labReferences };
}

/**
 * Prerequisites must name something that exists and that comes earlier on the recommended path,
 * so that following the path never asks a learner for something they have not met yet.
 */
function checkPrerequisites(modules: CourseModule[], locators: Map<string, Locator>, unreadable: Set<string>, problems: Problem[]): void {
	const position = new Map<string, number>();
	modules.forEach((module, moduleIndex) => {
		position.set(module.slug, moduleIndex * 1000);
		module.lessons.forEach((lesson, lessonIndex) => position.set(lesson.slug, moduleIndex * 1000 + lessonIndex + 1));
	});
	const report = (file: string, field: (string | number)[], name: string, here: number, kind: 'module' | 'lesson', choices: string[]) => {
		if (unreadable.has(name)) return;
		const at = locators.get(file)?.(field);
		const there = position.get(name);
		if (there === undefined || (kind === 'module') !== !name.includes('/')) {
			problems.push({ file, field: field.join('.'), line: at?.line, column: at?.column, message: `names ${kind} "${name}", which does not exist`, fix: `Use one of: ${choices.join(', ') || '(none yet)'}.` });
		} else if (there >= here) {
			problems.push({ file, field: field.join('.'), line: at?.line, column: at?.column, message: `names "${name}", which comes at or after this ${kind} on the recommended path`, fix: `A prerequisite must come earlier: change its order, or remove it from \`${field.slice(0, -1).join('.')}\`.` });
		}
	};
	for (const module of modules) {
		const file = `content/${module.slug}/index.mdx`;
		const earlier = modules.filter((other) => other.module.order < module.module.order).map((other) => other.slug);
		module.module.prerequisites.forEach((name, index) => report(file, ['module', 'prerequisites', index], name, position.get(module.slug) ?? 0, 'module', earlier));
		for (const lesson of module.lessons) {
			const here = position.get(lesson.slug) ?? 0;
			const choices = [...position.entries()].filter(([name, at]) => name.includes('/') && at < here).map(([name]) => name);
			lesson.lesson.prerequisites.forEach((name, index) => report(lesson.file, ['lesson', 'prerequisites', index], name, here, 'lesson', choices));
		}
	}
}

function checkTerms(glossary: GlossaryEntry[], used: { file: string; reference: Reference }[], problems: Problem[]): void {
	const ids = new Set(glossary.map((entry) => entry.id));
	for (const { file, reference } of used) {
		if (ids.has(reference.value)) continue;
		const near = [...ids].filter((id) => id.includes(reference.value.split('-')[0] ?? '') || reference.value.includes(id)).slice(0, 5);
		problems.push({
			file,
			field: '<Term id>',
			line: reference.line,
			column: reference.column,
			message: `links the glossary term "${reference.value}", which content/glossary.yaml does not define`,
			fix: near.length > 0 ? `Did you mean ${near.map((id) => `"${id}"`).join(' or ')}? Or add the term to content/glossary.yaml.` : 'Add the term to content/glossary.yaml (`- term:` and `definition:`), or link an existing one.',
		});
	}
	for (const entry of glossary) {
		for (const other of entry.see) {
			if (!ids.has(other)) problems.push({ file: GLOSSARY, field: `${entry.id}.see`, message: `refers to "${other}", which is not an entry`, fix: 'Use the id of another entry (its term in lower case with dashes).' });
		}
	}
}

const GLOSSARY = 'content/glossary.yaml';

/** The glossary's entries; none when there is no glossary; undefined when it does not read. */
async function readGlossary(projectRoot: string, problems: Problem[]): Promise<GlossaryEntry[] | undefined> {
	const text = await readFile(path.join(projectRoot, GLOSSARY), 'utf8').catch(() => undefined);
	if (text === undefined) return [];
	try {
		const { value, locate } = parseYaml(text, GLOSSARY, TITLE);
		const entries = validate(glossaryFile, value, GLOSSARY, TITLE, locate).map((entry) => ({ ...entry, id: termId(entry) }));
		const seen = new Map<string, number>();
		entries.forEach((entry, index) => {
			const first = seen.get(entry.id);
			if (first === undefined) return void seen.set(entry.id, index);
			const at = locate([index]);
			problems.push({ file: GLOSSARY, field: `${index}.term`, line: at?.line, column: at?.column, message: `"${entry.term}" has the same id "${entry.id}" as entry ${first + 1}`, fix: 'Merge the two entries, or give one an `id:` of its own.' });
		});
		return entries.sort((a, b) => a.term.localeCompare(b.term, 'en', { sensitivity: 'base' }));
	} catch (error) {
		if (!(error instanceof ValidationError)) throw error;
		problems.push(...error.problems);
		return undefined;
	}
}

const FRONTMATTER = /^---\r?\n([\s\S]*?)\r?\n---(?:\r?\n|$)/;

/** A page's frontmatter, and the components in its text the reader checks across files. */
async function readPage(projectRoot: string, file: string, problems: Problem[], termsUsed: { file: string; reference: Reference }[]) {
	const text = await readFile(path.join(projectRoot, file), 'utf8');
	// Terms are checked even in a page whose frontmatter is wrong: every mistake in one run.
	const terms = findAttributes(text, 'Term', 'id');
	termsUsed.push(...terms.map((reference) => ({ file, reference })));
	const match = FRONTMATTER.exec(text);
	if (!match) {
		problems.push({ file, field: '', line: 1, column: 1, message: 'has no frontmatter', fix: 'Start the file with a `---` line, the YAML fields (`title:`, `description:` ...), and another `---` line.' });
		return undefined;
	}
	try {
		// The YAML starts on the line after the opening `---`.
		const { value, locate } = parseYaml(match[1] ?? '', file, TITLE, 1);
		const data = validate(courseFrontmatter, value ?? {}, file, TITLE, locate);
		return { data, locate, terms, labs: findAttributes(text, 'Lab', 'id') };
	} catch (error) {
		if (error instanceof ValidationError) {
			problems.push(...error.problems);
			return undefined;
		}
		throw error;
	}
}

/** Every `<Name attribute="value"` in an MDX text, with its line and column (from 1). */
export function findAttributes(text: string, component: string, attribute: string): Reference[] {
	const pattern = new RegExp(`<${component}\\b[^>]*?\\b${attribute}=["']([^"']*)["']`, 'g');
	const found: Reference[] = [];
	for (const match of text.matchAll(pattern)) {
		const before = text.slice(0, match.index);
		const line = before.split('\n').length;
		found.push({ value: match[1] ?? '', line, column: match.index - before.lastIndexOf('\n') });
	}
	return found;
}

function reportDuplicateOrders(items: { file: string; order: number }[], field: string, noun: string, problems: Problem[]): void {
	const byOrder = new Map<number, string[]>();
	for (const item of items) byOrder.set(item.order, [...(byOrder.get(item.order) ?? []), item.file]);
	for (const [order, files] of byOrder) {
		if (files.length < 2) continue;
		problems.push({ file: files[1] ?? '', field, message: `${files.length} ${noun}s share order ${order}: ${files.join(', ')}`, fix: `Give each ${noun} its own order.` });
	}
}

/**
 * Starlight's sidebar for the course: the recommended path first, one group per module (its
 * overview, then its lessons in order), and last what a learner keeps: the handbook and the glossary.
 */
export function courseSidebar(course: Course) {
	return [
		{ label: 'Recommended path', link: '/path/' },
		...course.modules.map((module) => ({
			label: module.title,
			badge: module.module.level === 'advanced' ? { text: 'Advanced', variant: 'note' as const } : undefined,
			items: [
				{ label: 'Overview', slug: module.slug },
				...module.lessons.map((lesson) => ({ slug: lesson.slug })),
			],
		})),
		{
			label: 'Keep',
			items: [
				{ label: 'Handbook', link: '/handbook/' },
				{ label: 'Glossary', link: '/glossary/' },
			],
		},
	];
}

/** Minutes a module takes on the recommended path: its lessons, which include their labs. */
export function moduleMinutes(module: CourseModule): number {
	return module.lessons.reduce((total, lesson) => total + lesson.lesson.minutes, 0);
}

/** For each glossary term, the lessons that link it, in path order. */
export function termUsage(course: Course): Map<string, CourseLesson[]> {
	const usage = new Map<string, CourseLesson[]>();
	for (const lesson of course.modules.flatMap((module) => module.lessons)) {
		for (const term of lesson.terms) usage.set(term, [...(usage.get(term) ?? []), lesson]);
	}
	return usage;
}
