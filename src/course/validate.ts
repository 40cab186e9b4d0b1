import { LabCatalog } from '../labs/catalog.ts';
import { ValidationError } from '../schemas/problems.ts';
import { readCourse, type Course } from './course.ts';

/**
 * Reads the lessons and the labs together and reports every problem in both at once, so that
 * `npm run build` and `npm start` show an instructor the whole list, not one file per attempt.
 */
export async function validateProject(projectRoot: string): Promise<{ course: Course; catalog: LabCatalog }> {
	const [course, catalog] = await Promise.allSettled([readCourse(projectRoot), LabCatalog.load(projectRoot)]);
	const failures = [course, catalog].flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
	const other = failures.find((error) => !(error instanceof ValidationError));
	if (other) throw other;
	if (failures.length === 1) throw failures[0];
	if (failures.length > 1) {
		throw new ValidationError('The course and its labs have problems:', failures.flatMap((error) => (error as ValidationError).problems));
	}
	if (course.status !== 'fulfilled' || catalog.status !== 'fulfilled') throw new Error('unreachable');
	const ids = catalog.value.list().map((lab) => lab.id);
	const unknown = course.value.labReferences.filter((reference) => !ids.includes(reference.id));
	if (unknown.length > 0) {
		throw new ValidationError(
			'The course content has problems:',
			unknown.map((reference) => ({
				file: reference.file,
				field: '<Lab id>',
				line: reference.line,
				column: reference.column,
				message: `embeds the lab "${reference.id}", which does not exist`,
				fix: ids.length > 0 ? `Use one of: ${ids.join(', ')}; a lab is a folder in labs/ with a lab.yaml.` : 'Add the lab as labs/<id>/lab.yaml first.',
			})),
		);
	}
	return { course: course.value, catalog: catalog.value };
}
