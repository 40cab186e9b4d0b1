import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findBrokenLinks } from './links.ts';

let dir: string;
beforeEach(async () => {
	dir = await mkdtemp(path.join(tmpdir(), 'steady-links-'));
});
afterEach(async () => {
	await rm(dir, { recursive: true, force: true });
});

async function site(files: Record<string, string>): Promise<void> {
	for (const [name, text] of Object.entries(files)) {
		await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
		await writeFile(path.join(dir, name), text);
	}
}

describe('findBrokenLinks', () => {
	it('accepts links to pages, their anchors, relative links, files and other sites', async () => {
		await site({
			'index.html': '<a href="/a/">a</a> <a href="/a/#part">part</a> <a href="b/">b</a> <a href="#top">top</a><h1 id="top"></h1> <a href="/logo.svg">logo</a> <a href="https://example.com/x">away</a> <a href="mailto:x@example.com">mail</a> <a href="/api/progress">api</a>',
			'a/index.html': '<h2 id="part">Part</h2><a href="../">home</a>',
			'b/index.html': '<a href="/a/#part">part</a>',
			'logo.svg': '<svg/>',
		});

		expect(await findBrokenLinks(dir)).toEqual([]);
	});

	it('reports missing pages, missing anchors and a missing trailing slash, by page', async () => {
		await site({
			'index.html': '<a href="/nowhere/">x</a> <a href="/a/#gone">y</a> <a href="/a">z</a> <a href="#also-gone">w</a>',
			'a/index.html': '<h2 id="part">Part</h2>',
		});

		expect(await findBrokenLinks(dir)).toEqual([
			{ page: '/', href: '/nowhere/', reason: 'no page at /nowhere/' },
			{ page: '/', href: '/a/#gone', reason: '/a/ has no heading or element with id "gone"' },
			{ page: '/', href: '/a', reason: 'add the trailing slash: /a/' },
			{ page: '/', href: '#also-gone', reason: '/ has no heading or element with id "also-gone"' },
		]);
	});
});
