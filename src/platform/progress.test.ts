import { afterEach, describe, expect, it } from 'vitest';
import type { Course } from '../course/course.ts';
import { Store } from '../store/store.ts';
import { isLabError } from './errors.ts';
import { NOTE_LIMIT, ProgressService } from './progress.ts';

const course = {
	glossary: [],
	modules: [{ slug: 'basics', lessons: [{ slug: 'basics/one' }, { slug: 'basics/two' }] }],
} as unknown as Course;

const stores: Store[] = [];
afterEach(() => {
	for (const store of stores.splice(0)) store.close();
});

function service(): ProgressService {
	const store = new Store(':memory:');
	stores.push(store);
	store.ensureLearner('ada', 'Ada');
	store.ensureLearner('bob', 'Bob');
	return new ProgressService(store, course);
}

function refusal(action: () => unknown): { status: number; message: string } {
	try {
		action();
	} catch (error) {
		if (isLabError(error)) return { status: error.status, message: error.message };
		throw error;
	}
	throw new Error('expected a refusal');
}

describe('ProgressService', () => {
	it('saves notes and done marks, and gives them back by lesson, to their learner only', () => {
		const progress = service();
		progress.update('ada', 'basics/one', { note: 'Timeouts!' });
		const state = progress.update('ada', 'basics/one', { done: true });

		expect(state).toEqual({ done: true, doneAt: expect.any(String), note: 'Timeouts!', updatedAt: expect.any(String) });
		expect(progress.forLearner('ada')).toEqual({ 'basics/one': state });
		expect(progress.forLearner('bob')).toEqual({});
	});

	it('refuses a lesson the course does not have with a 404 that says what lessons are called', () => {
		expect(refusal(() => service().update('ada', 'basics/three', { done: true }))).toEqual({ status: 404, message: 'There is no lesson "basics/three".' });
	});

	it('refuses bodies that are not a change, naming the field', () => {
		const progress = service();

		expect(refusal(() => progress.update('ada', 'basics/one', {}))).toMatchObject({ status: 400, message: expect.stringContaining('send `done`') });
		expect(refusal(() => progress.update('ada', 'basics/one', { done: 'yes' }))).toMatchObject({ status: 400, message: expect.stringMatching(/^Refused: done: /) });
		expect(refusal(() => progress.update('ada', 'basics/one', { note: 'x'.repeat(NOTE_LIMIT + 1) }))).toMatchObject({ status: 400, message: expect.stringContaining(`at most ${NOTE_LIMIT}`) });
		expect(refusal(() => progress.update('ada', 'basics/one', { note: 'ok', extra: 1 }))).toMatchObject({ status: 400 });
		expect(progress.forLearner('ada')).toEqual({});
	});
});
