import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { formatProblems, parseYaml, validate, ValidationError, withFix, type Problem } from './problems.ts';

const FILE = 'things/demo.yaml';
const TITLE = 'The things have problems:';

function thrown(run: () => unknown): ValidationError {
	try {
		run();
	} catch (error) {
		if (error instanceof ValidationError) return error;
		throw error;
	}
	throw new Error('expected a ValidationError');
}

describe('parseYaml', () => {
	const text = 'name: demo\nitems:\n  - label: first\n  - label: second\n    size: 3\n';

	it('returns the parsed value', () => {
		expect(parseYaml(text, FILE, TITLE).value).toEqual({
			name: 'demo',
			items: [{ label: 'first' }, { label: 'second', size: 3 }],
		});
	});

	it('locates a field by its path, as the 1-based line and column of its name', () => {
		const { locate } = parseYaml(text, FILE, TITLE);

		expect(locate(['name'])).toEqual({ line: 1, column: 1 });
		expect(locate(['items', 1, 'size'])).toEqual({ line: 5, column: 5 });
	});

	it('locates a missing field at the deepest part of its path that exists', () => {
		const { locate } = parseYaml(text, FILE, TITLE);

		expect(locate(['items', 0, 'size'])).toEqual(locate(['items', 0]));
		expect(locate(['items', 0])).toEqual({ line: 3, column: 5 });
		expect(locate(['nothing', 'here'])).toEqual({ line: 1, column: 1 });
	});

	it('shifts lines, not columns, by lineOffset for YAML embedded in another file', () => {
		const { locate } = parseYaml(text, FILE, TITLE, 1);

		expect(locate(['items', 1, 'size'])).toEqual({ line: 6, column: 5 });
	});

	it('gives null for an empty document, so callers must supply their own empty object', () => {
		expect(parseYaml('', FILE, TITLE).value).toBeNull();
	});

	it('turns a syntax error into a ValidationError under the title, with a fix', () => {
		const error = thrown(() => parseYaml('name: demo\nsize: big: 3\n', FILE, TITLE));

		expect(error.name).toBe('ValidationError');
		expect(error.message.startsWith(`${TITLE}\n  ${FILE}`)).toBe(true);
		expect(error.problems).toEqual([
			expect.objectContaining({
				file: FILE,
				field: '',
				message: 'not valid YAML: Nested mappings are not allowed in compact mappings',
				fix: expect.stringContaining('Check indentation, colons and quoting'),
			}),
		]);
	});

	it('rejects a key written twice in one mapping', () => {
		const error = thrown(() => parseYaml('name: demo\nname: again\n', FILE, TITLE));

		expect(error.problems.map((problem) => problem.message)).toEqual(['not valid YAML: Map keys must be unique']);
	});

	// With `prettyErrors: false` the yaml library leaves `linePos` empty; the position comes from `error.pos`.
	it('points a syntax error at its line, shifted by lineOffset', () => {
		const error = thrown(() => parseYaml('name: demo\nsize: big: 3\n', FILE, TITLE, 1));

		expect(error.problems[0]).toMatchObject({ line: 3, column: 7 });
	});
});

describe('validate', () => {
	const schema = z.strictObject({
		name: withFix(z.string().min(1), 'Give the thing a name.'),
		size: withFix(z.number().int().min(1), 'Give a whole number from 1.').default(1),
		colour: withFix(z.enum(['red', 'blue']).optional(), 'Use red or blue.'),
		note: z.string().optional(),
		labels: z.record(z.string(), withFix(z.string(), 'Quote label values.')).default({}),
		items: z.array(z.strictObject({ label: withFix(z.string().min(1), 'Give each item a label.'), weight: z.number().optional() })).default([]),
	});

	function check(text: string) {
		const { value, locate } = parseYaml(text, FILE, TITLE);
		return validate(schema, value, FILE, TITLE, locate);
	}

	it('returns the parsed output, defaults included', () => {
		expect(check('name: demo\n')).toEqual({ name: 'demo', size: 1, labels: {}, items: [] });
	});

	it('names the dotted field path, with array indexes, and where it is', () => {
		const error = thrown(() => check('name: demo\nitems:\n  - label: first\n  - label: ""\n'));

		expect(error.problems).toEqual([
			{
				file: FILE,
				field: 'items.1.label',
				line: 4,
				column: 5,
				message: 'too small: expected string to have >=1 characters',
				fix: 'Give each item a label.',
			},
		]);
	});

	it('finds the fix hint whether it sits inside or outside a default or optional', () => {
		const error = thrown(() => check('name: demo\nsize: 0\ncolour: green\n'));

		expect(Object.fromEntries(error.problems.map((problem) => [problem.field, problem.fix]))).toEqual({
			size: 'Give a whole number from 1.',
			colour: 'Use red or blue.',
		});
	});

	it('finds the fix hint of a record\'s values', () => {
		const error = thrown(() => check('name: demo\nlabels:\n  team: 42\n'));

		expect(error.problems).toEqual([expect.objectContaining({ field: 'labels.team', line: 3, column: 3, fix: 'Quote label values.' })]);
	});

	it('leaves the fix out for a field whose schema has none', () => {
		const error = thrown(() => check('name: demo\nnote: [a, b]\n'));

		expect(error.problems).toEqual([expect.objectContaining({ field: 'note', fix: undefined })]);
		expect(error.message).not.toContain('Fix:');
	});

	it('says a missing field is required, pointing at the object that lacks it', () => {
		const error = thrown(() => check('size: 2\n'));

		expect(error.problems).toEqual([
			{ file: FILE, field: 'name', line: 1, column: 1, message: 'is required (expected string)', fix: 'Give the thing a name.' },
		]);
	});

	it('suggests the known field nearest to a mistyped one, and lists the known fields', () => {
		const error = thrown(() => check('name: demo\ncolor: red\n'));

		expect(error.problems).toEqual([
			expect.objectContaining({
				field: '',
				message: 'unknown field "color"',
				fix: 'Did you mean "colour"? Known fields here: name, size, colour, note, labels, items.',
			}),
		]);
	});

	it('suggests nothing for an unknown field that resembles no known one', () => {
		const error = thrown(() => check('name: demo\nzzzzzzzz: 1\n'));

		expect(error.problems[0]?.fix).toBe('Known fields here: name, size, colour, note, labels, items.');
	});

	it('reports several unknown fields of one object together, with a suggestion for each near miss', () => {
		const error = thrown(() => check('name: demo\nitems:\n  - label: a\n    wieght: 2\n    lable: b\n'));

		expect(error.problems).toEqual([
			expect.objectContaining({
				field: 'items.0',
				message: 'unknown fields "wieght", "lable"',
				fix: 'Did you mean "weight", "label"? Known fields here: label, weight.',
			}),
		]);
	});

	it('reports every problem, in one error', () => {
		const error = thrown(() => check('name: ""\nsize: -1\ncolour: green\n'));

		expect(error.problems.map((problem) => problem.field)).toEqual(['name', 'size', 'colour']);
	});

	it('works without a locator, leaving the position out', () => {
		const error = thrown(() => validate(schema, { name: 7 }, FILE, TITLE));

		expect(error.problems).toEqual([expect.objectContaining({ field: 'name', line: undefined, column: undefined })]);
	});
});

describe('formatProblems', () => {
	it('writes file:line:column, the field, the message and an indented Fix line', () => {
		const problem: Problem = { file: FILE, field: 'items.0.label', line: 4, column: 12, message: 'is required', fix: 'Give a label.' };

		expect(formatProblems([problem])).toBe(`  ${FILE}:4:12 items.0.label: is required\n    Fix: Give a label.`);
	});

	it('leaves out what a problem does not have', () => {
		expect(
			formatProblems([
				{ file: FILE, field: '', message: 'is missing' },
				{ file: FILE, field: 'name', line: 2, message: 'is odd' },
			]),
		).toMatchInlineSnapshot(`
			"  things/demo.yaml is missing
			  things/demo.yaml:2:1 name: is odd"
		`);
	});

	it('is what a ValidationError says under its title', () => {
		const problems: Problem[] = [{ file: FILE, field: 'name', line: 1, column: 7, message: 'is odd', fix: 'Make it even.' }];
		const error = new ValidationError(TITLE, problems);

		expect(error.message).toBe(`${TITLE}\n${formatProblems(problems)}`);
		expect(error.problems).toBe(problems);
	});
});
