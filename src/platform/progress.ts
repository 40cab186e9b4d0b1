import { z } from 'zod';
import type { Course } from '../course/course.ts';
import type { Store } from '../store/store.ts';
import { LabError } from './errors.ts';

/** The longest note a lesson keeps: pages of text, never a database-sized paste. */
export const NOTE_LIMIT = 20_000;

/** A change to a learner's record of one lesson, as the lesson page sends it. */
export const lessonChange = z
	.strictObject({
		done: z.boolean().optional(),
		note: z.string().max(NOTE_LIMIT, `a note may be at most ${NOTE_LIMIT} characters`).optional(),
	})
	.refine((change) => change.done !== undefined || change.note !== undefined, { message: 'send `done` (true or false), `note` (text), or both' });

export type LessonChange = z.output<typeof lessonChange>;

export interface LessonState {
	done: boolean;
	doneAt: string | null;
	note: string;
	updatedAt: string;
}

/**
 * A learner's progress through the lessons: which they marked done and their notes, kept in the
 * store beside their lab results. Only lessons the course has can be written.
 */
export class ProgressService {
	private readonly store: Store;
	private readonly lessons: Set<string>;

	constructor(store: Store, course: Course) {
		this.store = store;
		this.lessons = new Set(course.modules.flatMap((module) => module.lessons.map((lesson) => lesson.slug)));
	}

	/** Every lesson the learner has a record for, by slug; lessons the course no longer has are left out. */
	forLearner(learnerId: string): Record<string, LessonState> {
		const lessons: Record<string, LessonState> = {};
		for (const record of this.store.lessonProgress(learnerId)) {
			if (!this.lessons.has(record.lesson)) continue;
			lessons[record.lesson] = { done: record.doneAt !== null, doneAt: record.doneAt, note: record.note, updatedAt: record.updatedAt };
		}
		return lessons;
	}

	update(learnerId: string, lesson: string, body: unknown): LessonState {
		if (!this.lessons.has(lesson)) {
			throw new LabError(404, `There is no lesson "${lesson}".`, 'Lessons are named `module/lesson`, as in their address, e.g. `foundations/steady-state`.');
		}
		const parsed = lessonChange.safeParse(body);
		if (!parsed.success) {
			const issue = parsed.error.issues[0];
			const field = issue?.path.join('.') || 'body';
			throw new LabError(400, `Refused: ${field}: ${issue?.message ?? 'not a valid change'}.`, 'Send JSON like {"note": "…"} or {"done": true}.');
		}
		if (parsed.data.note !== undefined) this.store.setLessonNote(learnerId, lesson, parsed.data.note);
		if (parsed.data.done !== undefined) this.store.setLessonDone(learnerId, lesson, parsed.data.done);
		const state = this.forLearner(learnerId)[lesson];
		if (!state) throw new Error(`progress for ${lesson} was written but not read back`);
		return state;
	}
}
