import { z } from 'zod';
import { withFix } from './problems.ts';

/**
 * `content/glossary.yaml`: the one glossary page every lesson links its terms to. Lessons link a
 * term with `<Term id="blast-radius">blast radius</Term>`; the id is the entry's `id`, or its term
 * in lower case with dashes.
 */
export const glossaryEntry = z.strictObject({
	term: withFix(z.string().min(1), 'Give the term as it should be listed, e.g. `term: Blast radius`.'),
	id: withFix(z.string().regex(/^[a-z0-9][a-z0-9-]*$/).optional(), 'Leave `id:` out to derive it from the term, or use lower-case letters, digits and dashes.'),
	definition: withFix(z.string().min(1), 'Define the term in a sentence or two, in plain words.'),
	/** Other entries worth reading next, by id. */
	see: withFix(z.array(z.string()).default([]), 'List related entries by id, e.g. `see: [steady-state, hypothesis]`.'),
});

export const glossaryFile = withFix(z.array(glossaryEntry).min(1), 'Write the glossary as a list of entries, each starting with `- term:`.');

export type GlossaryEntry = Omit<z.output<typeof glossaryEntry>, 'id'> & { id: string };

/** The id a term is linked by: its own `id`, or the term in lower case with dashes. */
export function termId(entry: { term: string; id?: string | undefined }): string {
	return entry.id ?? entry.term.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}
