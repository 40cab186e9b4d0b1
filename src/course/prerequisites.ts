import type { Course } from './course.ts';

/** Something to finish before a lesson or module: a lesson, or a whole module (all its lessons). */
export interface Prerequisite {
	slug: string;
	title: string;
	href: string;
	/** The lessons that must be done for this prerequisite to count as finished. */
	lessons: string[];
}

/**
 * What a page builds on: for a lesson, its module's prerequisite modules and its own prerequisite
 * lessons; for a module overview, its prerequisite modules. In path order, without repeats.
 */
export function prerequisitesOf(course: Course, slug: string): Prerequisite[] {
	const module = course.modules.find((candidate) => candidate.slug === slug.split('/')[0]);
	if (!module) return [];
	const lesson = module.lessons.find((candidate) => candidate.slug === slug);
	const found: Prerequisite[] = [];
	for (const name of module.module.prerequisites) {
		const other = course.modules.find((candidate) => candidate.slug === name);
		if (other) found.push({ slug: other.slug, title: other.title, href: `/${other.slug}/`, lessons: other.lessons.map((item) => item.slug) });
	}
	for (const name of lesson?.lesson.prerequisites ?? []) {
		const other = course.modules.flatMap((candidate) => candidate.lessons).find((candidate) => candidate.slug === name);
		if (other && !found.some((item) => item.lessons.includes(other.slug))) found.push({ slug: other.slug, title: other.title, href: `/${other.slug}/`, lessons: [other.slug] });
	}
	return found;
}
