import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../schemas/problems.ts';
import { courseSidebar, readCourse, termUsage } from './course.ts';
import { prerequisitesOf } from './prerequisites.ts';

const repositoryRoot = path.resolve(import.meta.dirname, '..', '..');

let root: string;

beforeEach(async () => {
	root = await mkdtemp(path.join(tmpdir(), 'steady-course-'));
});

afterEach(async () => {
	await rm(root, { recursive: true, force: true });
});

/** Writes files under `content/` of the temporary project. */
async function writeContent(files: Record<string, string>): Promise<void> {
	for (const [name, text] of Object.entries(files)) {
		const file = path.join(root, 'content', name);
		await mkdir(path.dirname(file), { recursive: true });
		await writeFile(file, text);
	}
}

function page(frontmatter: string, body = '\nSome words.\n'): string {
	return `---\n${frontmatter}\n---\n${body}`;
}

function moduleOverview(order: number, title = `Module ${order}`): string {
	return page(`title: ${title}\ndescription: What module ${order} covers.\nmodule:\n  order: ${order}\n  outcomes:\n    - Do a thing`);
}

const QUIZ = ['  quiz:', '    - question: Which is right?', '      options:', '        - answer: This', '          correct: true', '          why: Because.', '        - answer: That', '          why: Because not.'].join('\n');

function lesson(order: number, title = `Lesson ${order}`, prerequisites = '[]'): string {
	return page(`title: ${title}\ndescription: What lesson ${order} teaches.\nlesson:\n  order: ${order}\n  minutes: 10\n  prerequisites: ${prerequisites}\n  objectives:\n    - Learn a thing\n${QUIZ}`);
}

async function courseError(): Promise<ValidationError> {
	const error = await readCourse(root).then(
		() => undefined,
		(caught: unknown) => caught,
	);
	if (error instanceof ValidationError) return error;
	throw new Error(`expected the course to be rejected, got ${String(error)}`);
}

describe('readCourse on a valid course', () => {
	it('orders modules by module.order and lessons by lesson.order, not by file name', async () => {
		await writeContent({
			'index.mdx': page('title: Home\ndescription: The splash page.'),
			'zebra/index.mdx': moduleOverview(1, 'Zebra first'),
			'zebra/b-intro.mdx': lesson(1),
			'zebra/a-later.mdx': lesson(2),
			'apple/index.mdx': moduleOverview(2, 'Apple second'),
			'apple/only.md': lesson(1),
		});

		const course = await readCourse(root);

		expect(course.modules.map((module) => [module.slug, module.title, module.lessons.map((item) => item.slug)])).toEqual([
			['zebra', 'Zebra first', ['zebra/b-intro', 'zebra/a-later']],
			['apple', 'Apple second', ['apple/only']],
		]);
	});

	it('keeps each module\'s and lesson\'s fields, with the lesson defaults filled in', async () => {
		await writeContent({ 'basics/index.mdx': moduleOverview(1, 'Basics'), 'basics/first.mdx': lesson(1, 'First') });

		const [module] = (await readCourse(root)).modules;

		expect(module).toEqual({
			slug: 'basics',
			title: 'Basics',
			description: 'What module 1 covers.',
			module: { order: 1, outcomes: ['Do a thing'], level: 'core', prerequisites: [] },
			lessons: [
				{
					slug: 'basics/first',
					title: 'First',
					description: 'What lesson 1 teaches.',
					lesson: {
						order: 1,
						minutes: 10,
						prerequisites: [],
						objectives: ['Learn a thing'],
						sources: [],
						quiz: [
							{
								question: 'Which is right?',
								options: [
									{ answer: 'This', correct: true, why: 'Because.' },
									{ answer: 'That', correct: false, why: 'Because not.' },
								],
							},
						],
					},
					file: 'content/basics/first.mdx',
					labs: [],
					terms: [],
				},
			],
		});
	});

	it('leaves out folders and files whose names start with _ or ., and files that are not MDX', async () => {
		await writeContent({
			'basics/index.mdx': moduleOverview(1),
			'basics/first.mdx': lesson(1),
			'basics/_draft.mdx': 'no frontmatter at all',
			'basics/notes.txt': 'not a lesson',
			'_drafts/lesson.mdx': 'no frontmatter at all',
			'.hidden/lesson.mdx': 'no frontmatter at all',
		});

		const course = await readCourse(root);

		expect(course.modules.map((module) => module.slug)).toEqual(['basics']);
		expect(course.modules[0]?.lessons.map((item) => item.slug)).toEqual(['basics/first']);
	});

	it('reads frontmatter written with Windows line endings', async () => {
		await writeContent({ 'basics/index.mdx': moduleOverview(1).replaceAll('\n', '\r\n'), 'basics/first.mdx': lesson(1).replaceAll('\n', '\r\n') });

		expect((await readCourse(root)).modules[0]?.lessons[0]?.title).toBe('Lesson 1');
	});
});

describe('readCourse on a course with problems', () => {
	it('says so when there is no content folder', async () => {
		const error = await courseError();

		expect(error.message).toMatchInlineSnapshot(`
			"The course content has problems:
			  content/ the folder does not exist
			    Fix: Create \`content/\` with one folder per module."
		`);
	});

	it('reports a module folder without an index.mdx', async () => {
		await writeContent({ 'basics/first.mdx': lesson(1) });

		expect((await courseError()).message).toMatchInlineSnapshot(`
			"The course content has problems:
			  content/basics/index.mdx module folder "basics" has no index.mdx
			    Fix: Add an index.mdx with \`title\`, \`description\` and \`module: { order, outcomes }\` frontmatter."
		`);
	});

	it('reports a module overview without a module: block', async () => {
		await writeContent({ 'basics/index.mdx': page('title: Basics\ndescription: About it.') });

		expect((await courseError()).problems).toEqual([
			{
				file: 'content/basics/index.mdx',
				field: 'module',
				message: 'a module overview needs a `module:` block',
				fix: 'Add `module:` with `order:` (its position in the course) and `outcomes:` (a list).',
			},
		]);
	});

	it('reports a lesson without a lesson: block, and says how to leave a file out', async () => {
		await writeContent({ 'basics/index.mdx': moduleOverview(1), 'basics/first.mdx': page('title: First\ndescription: About it.') });

		expect((await courseError()).problems).toEqual([
			expect.objectContaining({ file: 'content/basics/first.mdx', field: 'lesson', fix: expect.stringContaining('prefix the file name with `_`') }),
		]);
	});

	it('reports a file without frontmatter at its first line', async () => {
		await writeContent({ 'basics/index.mdx': moduleOverview(1), 'basics/first.mdx': '# Just markdown\n' });

		expect((await courseError()).message).toMatchInlineSnapshot(`
			"The course content has problems:
			  content/basics/first.mdx:1:1 has no frontmatter
			    Fix: Start the file with a \`---\` line, the YAML fields (\`title:\`, \`description:\` ...), and another \`---\` line."
		`);
	});

	it('reports a missing description at the line of the .mdx file, past the opening ---', async () => {
		await writeContent({ 'basics/index.mdx': moduleOverview(1), 'basics/first.mdx': lesson(1).replace(/description: .*\n/, '') });

		expect((await courseError()).message).toMatchInlineSnapshot(`
			"The course content has problems:
			  content/basics/first.mdx:2:1 description: is required (expected string)
			    Fix: Give a one-sentence description; it is shown in search results and link previews."
		`);
	});

	it('reports a bad lesson field at the line it has in the .mdx file', async () => {
		// Line 1 is `---`; `minutes:` is the 6th line of the file.
		await writeContent({ 'basics/index.mdx': moduleOverview(1), 'basics/first.mdx': lesson(1).replace('minutes: 10', 'minutes: 0') });

		expect((await courseError()).problems).toEqual([
			expect.objectContaining({ file: 'content/basics/first.mdx', field: 'lesson.minutes', line: 6, column: 3, fix: expect.stringContaining('whole minutes') }),
		]);
	});

	it('reports frontmatter that is not valid YAML', async () => {
		await writeContent({ 'basics/index.mdx': moduleOverview(1), 'basics/first.mdx': lesson(1).replace('title: Lesson 1', 'title: Steady state: measure') });

		expect((await courseError()).problems).toEqual([
			expect.objectContaining({ file: 'content/basics/first.mdx', field: '', message: 'not valid YAML: Nested mappings are not allowed in compact mappings' }),
		]);
	});

	// A syntax error in frontmatter is reported at its line in the .mdx file: line 2, after the opening `---`.
	it('reports frontmatter that is not valid YAML at the line it has in the .mdx file', async () => {
		await writeContent({ 'basics/index.mdx': moduleOverview(1), 'basics/first.mdx': lesson(1).replace('title: Lesson 1', 'title: Steady state: measure') });

		expect((await courseError()).problems).toEqual([expect.objectContaining({ file: 'content/basics/first.mdx', line: 2 })]);
	});

	it('reports two lessons of a module that share an order, naming both files', async () => {
		await writeContent({ 'basics/index.mdx': moduleOverview(1), 'basics/a.mdx': lesson(1), 'basics/b.mdx': lesson(1) });

		expect((await courseError()).message).toMatchInlineSnapshot(`
			"The course content has problems:
			  content/basics/b.mdx lesson.order: 2 lessons share order 1: content/basics/a.mdx, content/basics/b.mdx
			    Fix: Give each lesson its own order."
		`);
	});

	it('reports two modules that share an order', async () => {
		await writeContent({ 'basics/index.mdx': moduleOverview(1), 'tools/index.mdx': moduleOverview(1) });

		expect((await courseError()).problems).toEqual([
			expect.objectContaining({ file: 'content/tools/index.mdx', field: 'module.order', message: '2 modules share order 1: content/basics/index.mdx, content/tools/index.mdx' }),
		]);
	});

	it('reports a lesson that carries a module: block', async () => {
		await writeContent({
			'basics/index.mdx': moduleOverview(1),
			'basics/first.mdx': lesson(1).replace('lesson:', 'module:\n  order: 2\n  outcomes:\n    - Something\nlesson:'),
		});

		expect((await courseError()).problems).toEqual([
			{
				file: 'content/basics/first.mdx',
				field: 'module',
				message: 'only a module\'s index.mdx may have a `module:` block',
				fix: 'Remove `module:` from this lesson.',
			},
		]);
	});

	it('reports the problems of every file in one error', async () => {
		await writeContent({
			'basics/index.mdx': page('title: Basics\ndescription: No module block.'),
			'basics/bare.mdx': '# No frontmatter\n',
			'basics/a.mdx': lesson(1),
			'basics/b.mdx': lesson(1),
			'tools/index.mdx': moduleOverview(2).replace(/description: .*\n/, ''),
			'tools/odd.mdx': page('title: Odd\ndescription: No lesson block.'),
			'empty/first.mdx': lesson(1),
		});

		const error = await courseError();

		expect(error.problems.map((problem) => `${problem.file} ${problem.field}`)).toEqual([
			'content/basics/index.mdx module',
			'content/basics/bare.mdx ',
			'content/basics/b.mdx lesson.order',
			'content/empty/index.mdx ',
			'content/tools/index.mdx description',
			'content/tools/odd.mdx lesson',
		]);
	});
});

describe('the course in this repository', () => {
	it('reads without problems, and its sidebar opens with Foundations and its overview', async () => {
		const course = await readCourse(repositoryRoot);
		const [, foundations] = courseSidebar(course);

		expect(foundations?.label).toBe('Foundations');
		expect(foundations?.items?.[0]).toEqual({ label: 'Overview', slug: 'foundations' });
		expect(foundations?.items).toContainEqual({ slug: 'foundations/steady-state' });
	});

	it('has the seven modules of the course, each lesson with a quiz, and every prerequisite earlier on the path', async () => {
		const course = await readCourse(repositoryRoot);

		expect(course.modules.map((module) => module.slug)).toEqual(['foundations', 'chaos-toolkit', 'fault-injection', 'chaos-maturity', 'adoption', 'security', 'ci-cd']);
		for (const module of course.modules) {
			expect(module.lessons.length, module.slug).toBeGreaterThan(0);
			for (const lesson of module.lessons) expect(lesson.lesson.quiz.length, lesson.slug).toBeGreaterThanOrEqual(3);
		}
		expect(course.glossary.length).toBeGreaterThan(20);
	});
});

describe('courseSidebar', () => {
	it('gives one group per module in course order: its overview, then its lessons in order', async () => {
		await writeContent({
			'later/index.mdx': moduleOverview(2, 'Later'),
			'first/index.mdx': moduleOverview(1, 'First'),
			'first/two.mdx': lesson(2),
			'first/one.mdx': lesson(1),
		});

		await writeContent({ 'later/index.mdx': moduleOverview(2, 'Later').replace('  outcomes:', '  level: advanced\n  outcomes:') });

		expect(courseSidebar(await readCourse(root))).toEqual([
			{ label: 'Recommended path', link: '/path/' },
			{ label: 'First', badge: undefined, items: [{ label: 'Overview', slug: 'first' }, { slug: 'first/one' }, { slug: 'first/two' }] },
			{ label: 'Later', badge: { text: 'Advanced', variant: 'note' }, items: [{ label: 'Overview', slug: 'later' }] },
			{ label: 'Keep', items: [{ label: 'Handbook', link: '/handbook/' }, { label: 'Glossary', link: '/glossary/' }] },
		]);
	});
});

describe('quizzes', () => {
	it('requires a quiz on every lesson', async () => {
		await writeContent({ 'basics/index.mdx': moduleOverview(1), 'basics/first.mdx': lesson(1).replace(QUIZ, '') });

		expect((await courseError()).problems).toEqual([expect.objectContaining({ file: 'content/basics/first.mdx', field: 'lesson.quiz', message: 'is required (expected array)', fix: expect.stringContaining('`quiz:`') })]);
	});

	it('reports a question with no right answer, or two, at its options', async () => {
		await writeContent({
			'basics/index.mdx': moduleOverview(1),
			'basics/none.mdx': lesson(1).replace('          correct: true\n', ''),
			'basics/two.mdx': lesson(2).replace('          why: Because not.', '          correct: true\n          why: Because not.'),
		});

		const problems = (await courseError()).problems;

		expect(problems).toEqual([
			expect.objectContaining({ file: 'content/basics/none.mdx', field: 'lesson.quiz.0.options', line: 12, message: 'needs exactly one option with `correct: true`', fix: expect.stringContaining('a question with two right answers is two questions') }),
			expect.objectContaining({ file: 'content/basics/two.mdx', field: 'lesson.quiz.0.options' }),
		]);
	});

	it('requires every answer to say why', async () => {
		await writeContent({ 'basics/index.mdx': moduleOverview(1), 'basics/first.mdx': lesson(1).replace('          why: Because not.', '') });

		expect((await courseError()).problems).toEqual([expect.objectContaining({ field: 'lesson.quiz.0.options.1.why', fix: expect.stringContaining('why this answer is right or wrong') })]);
	});
});

describe('prerequisites', () => {
	it('accepts earlier lessons and earlier modules, and lists them for the page', async () => {
		await writeContent({
			'basics/index.mdx': moduleOverview(1),
			'basics/one.mdx': lesson(1),
			'basics/two.mdx': lesson(2, 'Two', '[basics/one]'),
			'later/index.mdx': moduleOverview(2).replace('  outcomes:', '  prerequisites: [basics]\n  outcomes:'),
			'later/one.mdx': lesson(1, 'Later one', '[basics/two]'),
		});

		const course = await readCourse(root);

		expect(prerequisitesOf(course, 'later/one')).toEqual([
			{ slug: 'basics', title: 'Module 1', href: '/basics/', lessons: ['basics/one', 'basics/two'] },
		]);
		expect(prerequisitesOf(course, 'basics/two')).toEqual([{ slug: 'basics/one', title: 'Lesson 1', href: '/basics/one/', lessons: ['basics/one'] }]);
		expect(prerequisitesOf(course, 'later')).toHaveLength(1);
	});

	it('reports a prerequisite that does not exist, with the choices, at its line', async () => {
		await writeContent({ 'basics/index.mdx': moduleOverview(1), 'basics/one.mdx': lesson(1), 'basics/two.mdx': lesson(2, 'Two', '[basics/on]') });

		expect((await courseError()).problems).toEqual([
			{ file: 'content/basics/two.mdx', field: 'lesson.prerequisites.0', line: 7, column: 19, message: 'names lesson "basics/on", which does not exist', fix: 'Use one of: basics/one.' },
		]);
	});

	it('reports a prerequisite that comes later on the path, or is the page itself', async () => {
		await writeContent({
			'basics/index.mdx': moduleOverview(1).replace('  outcomes:', '  prerequisites: [later]\n  outcomes:'),
			'basics/one.mdx': lesson(1, 'One', '[basics/one]'),
			'later/index.mdx': moduleOverview(2),
		});

		expect((await courseError()).problems.map((problem) => `${problem.file} ${problem.field}: ${problem.message}`)).toEqual([
			'content/basics/index.mdx module.prerequisites.0: names "later", which comes at or after this module on the recommended path',
			'content/basics/one.mdx lesson.prerequisites.0: names "basics/one", which comes at or after this lesson on the recommended path',
		]);
	});

	it('tells a module prerequisite from a lesson one', async () => {
		await writeContent({ 'basics/index.mdx': moduleOverview(1), 'basics/one.mdx': lesson(1), 'later/index.mdx': moduleOverview(2).replace('  outcomes:', '  prerequisites: [basics/one]\n  outcomes:') });

		expect((await courseError()).problems).toEqual([expect.objectContaining({ field: 'module.prerequisites.0', fix: expect.stringContaining('folder name') })]);
	});
});

describe('the glossary', () => {
	const glossary = ['- term: Blast radius', '  definition: How much an experiment can touch.', '- term: SLI', '  id: sli', '  definition: A measured number.', '  see: [blast-radius]'].join('\n');

	it('is read, sorted, with ids from the term, and knows which lessons use each term', async () => {
		await writeContent({
			'glossary.yaml': glossary,
			'basics/index.mdx': moduleOverview(1),
			'basics/one.mdx': lesson(1).concat('\nKeep the <Term id="blast-radius">blast radius</Term> small, and watch the <Term id="sli">SLI</Term>.\n'),
		});

		const course = await readCourse(root);

		expect(course.glossary.map((entry) => entry.id)).toEqual(['blast-radius', 'sli']);
		expect(course.modules[0]?.lessons[0]?.terms).toEqual(['blast-radius', 'sli']);
		expect([...termUsage(course).keys()]).toEqual(['blast-radius', 'sli']);
	});

	it('reports a lesson linking a term it does not define, at the line and column of the tag', async () => {
		await writeContent({ 'glossary.yaml': glossary, 'basics/index.mdx': moduleOverview(1), 'basics/one.mdx': lesson(1).concat('\nA line.\nThe <Term id="blast-radiuss">blast radius</Term>.\n') });

		const [problem] = (await courseError()).problems;
		const lines = lesson(1).split('\n').length;

		expect(problem).toEqual(expect.objectContaining({ file: 'content/basics/one.mdx', field: '<Term id>', line: lines + 2, column: 5, fix: 'Did you mean "blast-radius"? Or add the term to content/glossary.yaml.' }));
	});

	it('reports entries that share an id, a see-also that is not an entry, and bad fields', async () => {
		await writeContent({ 'glossary.yaml': `${glossary}\n- term: Blast Radius\n  definition: Again.\n  see: [nowhere]\n`, 'basics/index.mdx': moduleOverview(1), 'basics/one.mdx': lesson(1) });

		expect((await courseError()).problems.map((problem) => `${problem.field}: ${problem.message}`)).toEqual([
			'2.term: "Blast Radius" has the same id "blast-radius" as entry 1',
			'blast-radius.see: refers to "nowhere", which is not an entry',
		]);

		await writeContent({ 'glossary.yaml': '- term: Probe\n' });
		expect((await courseError()).problems).toEqual([expect.objectContaining({ file: 'content/glossary.yaml', field: '0.definition', line: 1 })]);
	});
});
