/**
 * What the lab page's elements share: asking the lab API, with its refusals turned into the words a
 * learner reads, and finding the parts an element's markup must provide.
 */

/** A lab API answer: its JSON body, or a sentence (and fix) saying why there is none. */
export type LabAnswer<T> = { body: T } | { problem: string };

/** One request to `/api/labs/<lab>/<path>`; never throws. */
export async function labApi<T>(labId: string, path: string, method: 'GET' | 'POST' = 'GET'): Promise<LabAnswer<T>> {
	const response = await fetch(`/api/labs/${encodeURIComponent(labId)}/${path}`, { method }).catch(() => undefined);
	if (!response) return { problem: 'The course server does not answer. Is `npm start` still running?' };
	const body = (await response.json().catch(() => undefined)) as (T & { error?: string; fix?: string }) | undefined;
	if (!response.ok || body === undefined) return { problem: [body?.error ?? `The platform answered ${response.status}.`, body?.fix].filter(Boolean).join(' ') };
	return { body };
}

/** The `<tag data-role="role">` inside `host`; its absence is a mistake in the element's markup. */
export function roleChild<K extends keyof HTMLElementTagNameMap>(host: HTMLElement, tag: K, role: string): HTMLElementTagNameMap[K] {
	const element = host.querySelector(`${tag}[data-role="${role}"]`);
	if (!element) throw new Error(`<${host.localName}> needs a <${tag} data-role="${role}"> inside it`);
	return element as HTMLElementTagNameMap[K];
}
