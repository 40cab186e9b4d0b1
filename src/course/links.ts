import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { Parser } from 'htmlparser2';

/**
 * The link check `npm run build` ends with: every link between the built pages, and every `#anchor`
 * in them, must lead somewhere. It reads the HTML the build wrote, so it covers what lessons link
 * in their text and what components and pages generate (glossary terms, the path, the handbook).
 */

export interface BrokenLink {
	/** The page holding the link, as its address, e.g. `/foundations/steady-state/`. */
	page: string;
	href: string;
	reason: string;
}

export interface Page {
	ids: Set<string>;
	links: string[];
}

/** Addresses served by the platform at run time, not written by the build. */
const DYNAMIC = [/^\/api\//];

export async function findBrokenLinks(outDir: string): Promise<BrokenLink[]> {
	const files = (await readdir(outDir, { recursive: true })).filter((file) => file.endsWith('.html'));
	const pages = new Map<string, Page>();
	await Promise.all(
		files.map(async (file) => {
			pages.set(addressOf(file), parsePage(await readFile(path.join(outDir, file), 'utf8')));
		}),
	);
	const broken: BrokenLink[] = [];
	const exists = new Map<string, Promise<boolean>>();
	const fileExists = (relative: string) => {
		let known = exists.get(relative);
		if (!known) {
			known = readFile(path.join(outDir, relative)).then(
				() => true,
				() => false,
			);
			exists.set(relative, known);
		}
		return known;
	};
	for (const [address, page] of [...pages].sort(([a], [b]) => a.localeCompare(b))) {
		for (const href of page.links) {
			const target = resolveInternal(href, address);
			if (!target || DYNAMIC.some((pattern) => pattern.test(target.pathname))) continue;
			const targetPage = pages.get(target.pathname) ?? pages.get(`${target.pathname}/`);
			if (!targetPage) {
				const isFile = /\.[a-z0-9]+$/i.test(target.pathname) && (await fileExists(decodeURIComponent(target.pathname.slice(1))));
				if (!isFile) broken.push({ page: address, href, reason: `no page at ${target.pathname}` });
				continue;
			}
			if (target.pathname !== '/' && !target.pathname.endsWith('/') && pages.has(`${target.pathname}/`)) {
				broken.push({ page: address, href, reason: `add the trailing slash: ${target.pathname}/` });
				continue;
			}
			const anchor = decodeURIComponent(target.hash.slice(1));
			if (anchor && anchor !== '_top' && !targetPage.ids.has(anchor)) {
				broken.push({ page: address, href, reason: `${target.pathname} has no heading or element with id "${anchor}"` });
			}
		}
	}
	return broken;
}

/** `foundations/steady-state/index.html` is served at `/foundations/steady-state/`. */
function addressOf(file: string): string {
	const posix = file.split(path.sep).join('/');
	if (posix === 'index.html') return '/';
	if (posix.endsWith('/index.html')) return `/${posix.slice(0, -'index.html'.length)}`;
	return `/${posix}`;
}

/** The ids a page's elements carry, and the links it makes (`a` and `area` hrefs), as written. */
export function parsePage(html: string): Page {
	const page: Page = { ids: new Set(), links: [] };
	const parser = new Parser(
		{
			onopentag(name, attributes) {
				if (attributes.id) page.ids.add(attributes.id);
				if (name === 'a' && attributes.name) page.ids.add(attributes.name);
				if ((name === 'a' || name === 'area') && attributes.href !== undefined) page.links.push(attributes.href);
			},
		},
		{ decodeEntities: true },
	);
	parser.write(html);
	parser.end();
	return page;
}

/** The link as an address on this site, or undefined for other sites, mail and script links. */
function resolveInternal(href: string, from: string): URL | undefined {
	if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//')) return undefined;
	const base = new URL(from, 'http://course.invalid');
	const url = new URL(href, base);
	return url.origin === base.origin ? url : undefined;
}
