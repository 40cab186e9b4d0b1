/**
 * The browser's side of a learner's lesson progress: what they finished and their notes, kept by
 * the platform (GET/PUT /api/progress). Pages work without it: when the API is not there, or the
 * request fails, callers get `undefined` and leave the page as it was rendered.
 */

export interface LessonState {
	done: boolean;
	note: string;
}

export type Progress = Record<string, LessonState>;

let pending: Promise<Progress | undefined> | undefined;

/** The learner's progress, fetched once per page however many components ask. */
export function loadProgress(): Promise<Progress | undefined> {
	pending ??= fetch('/api/progress', { headers: { Accept: 'application/json' } })
		.then(async (response) => (response.ok ? ((await response.json()) as { lessons: Progress }).lessons : undefined))
		.catch(() => undefined);
	return pending;
}

export function isFinished(progress: Progress, lessons: string[]): boolean {
	return lessons.every((lesson) => progress[lesson]?.done === true);
}

/** Saves part of a lesson's state; resolves to an error message the learner can act on, or undefined. */
export async function saveLesson(lesson: string, change: Partial<LessonState>, options: { keepalive?: boolean } = {}): Promise<string | undefined> {
	try {
		const response = await fetch(`/api/progress/${lesson}`, {
			method: 'PUT',
			headers: { 'Content-Type': 'application/json' },
			body: JSON.stringify(change),
			keepalive: options.keepalive ?? false,
		});
		if (response.ok) return undefined;
		const body = (await response.json().catch(() => ({}))) as { error?: string; fix?: string };
		return [body.error ?? `The platform answered ${response.status}.`, body.fix].filter(Boolean).join(' ');
	} catch {
		return 'The platform did not answer; check that the course server is running.';
	}
}
