import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { parsePage } from '../src/course/links.ts';
import { expect, test } from './fixtures.ts';

/** One page of every kind the course has; the axe check visits each. */
const PAGE_TYPES = {
	home: '/',
	'module overview': '/foundations/',
	'lesson with a lab': '/foundations/steady-state/',
	'lesson without a lab': '/foundations/experiment-loop/',
	'lesson with the maturity self-assessment': '/chaos-maturity/maturity-model/',
	'recommended path': '/path/',
	glossary: '/glossary/',
	'handbook of a module': '/handbook/foundations/',
	'page not found': '/no-such-page/',
};

test('every internal link on the served site leads to a page, and every anchor to an element', async ({ request }) => {
	const seen = new Map<string, { ids: Set<string>; links: string[] }>();
	const queue = ['/'];
	while (queue.length > 0) {
		const address = queue.shift() ?? '/';
		if (seen.has(address)) continue;
		const response = await request.get(address);
		expect(response.status(), `GET ${address}`).toBe(200);
		const page = parsePage(await response.text());
		seen.set(address, page);
		for (const href of page.links) {
			const url = new URL(href, `http://course.invalid${address}`);
			if (url.origin !== 'http://course.invalid' || url.pathname.startsWith('/api/') || /\.[a-z0-9]+$/i.test(url.pathname)) continue;
			if (!seen.has(url.pathname)) queue.push(url.pathname);
		}
	}
	const broken: string[] = [];
	for (const [address, page] of seen) {
		for (const href of page.links) {
			const url = new URL(href, `http://course.invalid${address}`);
			const target = seen.get(url.pathname);
			const anchor = decodeURIComponent(url.hash.slice(1));
			if (target && anchor && anchor !== '_top' && !target.ids.has(anchor)) broken.push(`${address}: ${href}`);
		}
	}
	expect(broken).toEqual([]);
	// The crawl reached the whole course: every module and the pages a learner keeps.
	for (const address of ['/foundations/', '/chaos-toolkit/', '/fault-injection/', '/chaos-maturity/', '/adoption/', '/security/', '/ci-cd/', '/glossary/', '/path/', '/handbook/']) {
		expect([...seen.keys()]).toContain(address);
	}
});

const AXE_RUNS = [
	...Object.entries(PAGE_TYPES).map(([kind, address]) => ({ kind, address, scheme: 'light' as const })),
	// The dark theme has colours of its own; the pages with the most of ours are checked in it too.
	{ kind: 'lesson without a lab, dark theme', address: PAGE_TYPES['lesson without a lab'], scheme: 'dark' as const },
	{ kind: 'lesson with a lab, dark theme', address: PAGE_TYPES['lesson with a lab'], scheme: 'dark' as const },
	{ kind: 'handbook of a module, dark theme', address: PAGE_TYPES['handbook of a module'], scheme: 'dark' as const },
];

for (const { kind, address, scheme } of AXE_RUNS) {
	test(`axe finds no serious accessibility problems on a ${kind} (${address})`, async ({ page }) => {
		await page.emulateMedia({ colorScheme: scheme });
		await page.goto(address);
		await page.waitForLoadState('networkidle');
		// Starlight's own search button shows its keyboard shortcut (Ctrl K) beside the word Search, which
		// axe's label-in-name rule (off by default in axe, on with the wcag21a tag) counts as a mismatch
		// with its name "Search". It is not ours to change; everything else on the page is checked.
		const results = await new AxeBuilder({ page })
			.withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
			.exclude('site-search button[data-open-modal]')
			.analyze();
		const serious = results.violations
			.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
			.map((violation) => `${violation.id} (${violation.impact}): ${violation.help}\n  ${violation.nodes.map((node) => node.target.join(' ')).slice(0, 5).join('\n  ')}`);
		expect(serious).toEqual([]);
	});
}

test('a quiz answered in the browser says whether the answer is right, and why', async ({ page }) => {
	await page.goto('/foundations/experiment-loop/');
	const question = page.locator('course-quiz form').first();
	const feedback = question.getByRole('status');

	await question.getByRole('button', { name: 'Check' }).click();
	await expect(feedback).toHaveText('Choose an answer first.');

	const wrong = question.locator('.quiz__option:not([data-correct])').first();
	await wrong.getByRole('radio').check();
	await question.getByRole('button', { name: 'Check' }).click();
	const wrongWhy = (await wrong.locator('.quiz__why').textContent())?.replace(/^Not this one\.\s*/, '').trim() ?? '';
	await expect(feedback).toContainText('Not quite.');
	await expect(feedback).toContainText(wrongWhy);

	const right = question.locator('.quiz__option[data-correct]');
	await right.getByRole('radio').check();
	await question.getByRole('button', { name: 'Check' }).click();
	await expect(feedback).toContainText('Correct.');
	await expect(right).toHaveClass(/quiz__option--right/);
});

test('the maturity self-assessment places a team on the grid and suggests next steps', async ({ page }) => {
	await page.goto('/chaos-maturity/maturity-model/');
	const assessment = page.locator('maturity-assessment');
	const questions = assessment.locator('fieldset');
	const count = await questions.count();
	expect(count).toBeGreaterThanOrEqual(8);
	// The lowest practice on every question: elementary sophistication, adoption in the shadows.
	for (let index = 0; index < count; index++) await questions.nth(index).getByRole('radio').first().check();
	await assessment.getByRole('button', { name: 'Place my team' }).click();

	await expect(assessment.locator('[data-role=summary]')).toHaveText('Sophistication: Elementary. Adoption: In the shadows.');
	await expect(assessment.locator('[data-role=steps] li').first()).toBeVisible();
	await expect(assessment.locator('[data-role=marker]')).not.toHaveAttribute('display', 'none');
	await expect(assessment.locator('[data-role=chart]')).toHaveAttribute('aria-label', /Your team is marked where sophistication is elementary and adoption is in the shadows/);

	// Answering the highest practice everywhere moves the team to the opposite corner.
	for (let index = 0; index < count; index++) await questions.nth(index).getByRole('radio').last().check();
	await assessment.getByRole('button', { name: 'Place my team' }).click();
	await expect(assessment.locator('[data-role=summary]')).toHaveText('Sophistication: Advanced. Adoption: Cultural expectation.');
});

test('notes survive a reload, and finishing a prerequisite clears the walk-before-you-run notice', async ({ page }) => {
	await page.goto('/foundations/experiment-loop/');
	const notice = page.locator('course-prerequisites [data-role=notice]');
	await expect(notice).toContainText('Walk before you run');
	await expect(notice).toContainText('What chaos engineering is');

	const notes = page.getByRole('textbox', { name: 'Notes on this lesson' });
	await expect(notes).toBeEnabled();
	await notes.fill('Control group: left alone.\nExperimental group: gets the fault.');
	await expect(page.locator('lesson-progress [data-role=status]')).toContainText('Saved at');
	await page.reload();
	await expect(page.getByRole('textbox', { name: 'Notes on this lesson' })).toHaveValue('Control group: left alone.\nExperimental group: gets the fault.');

	// Finish the prerequisite; the notice goes, and the prerequisite shows as finished.
	await page.goto('/foundations/what-is-chaos-engineering/');
	const done = page.getByRole('button', { name: 'Mark lesson as done' });
	await expect(done).toBeEnabled();
	await done.click();
	await expect(done).toHaveAttribute('aria-pressed', 'true');
	await page.goto('/foundations/experiment-loop/');
	await expect(page.locator('course-prerequisites li').first()).toContainText('(finished)');
	await expect(notice).toBeHidden();

	// The recommended path marks it done and points at the next lesson.
	await page.goto('/path/');
	await expect(page.locator('li[data-lesson="foundations/what-is-chaos-engineering"]')).toContainText('✓ done');
	await expect(page.locator('[data-role=continue]')).toContainText('Continue with: The experiment loop');
});

test('the handbook prints the course as a document, with the learner\'s notes when asked', async ({ page, request, baseURL }) => {
	const note = 'My own words about steady state, for the handbook.';
	const saved = await request.put('/api/progress/foundations/steady-state', { data: { note }, headers: { Origin: baseURL ?? '' } });
	expect(saved.status()).toBe(200);
	const course = (await (await request.get('/handbook/')).text()).match(/<h2[^>]*class="handbook__lesson-title"/g) ?? [];

	await page.goto('/handbook/?notes=1');
	await expect(page.locator('handbook-notes [data-role=status]')).toContainText('Your notes on');
	await expect(page.locator('[data-notes-for="foundations/steady-state"]')).toContainText(note);
	await page.emulateMedia({ media: 'print' });
	await expect(page.locator('.handbook-toolbar')).toBeHidden();
	await expect(page.locator('#starlight__sidebar')).toBeHidden();

	const headings = await page.locator('.handbook h2.handbook__module-title, .handbook h2.handbook__lesson-title').allTextContents();
	expect(headings.map((text) => text.trim())).toEqual(expect.arrayContaining(['Module 1: Foundations', 'Module 7: Chaos in CI/CD', 'Glossary', '1.3 Steady state: measure before you break']));
	expect(headings.filter((text) => /^\d+\.\d+ /.test(text.trim()))).toHaveLength(course.length);

	// Every module and every lesson starts a new page, so the PDF has at least one page each, plus the contents.
	const pdf = await page.pdf({ format: 'A4' });
	const pages = pdfPageCount(pdf);
	expect(pages).toBeGreaterThan(headings.length);
	expect(pages).toBeLessThan(headings.length * 12);
});

test('the handbook of one module holds that module only', async ({ page }) => {
	await page.goto('/handbook/chaos-toolkit/');
	const modules = await page.locator('.handbook h2.handbook__module-title').allTextContents();
	expect(modules.map((text) => text.trim())).toEqual(['Module 2: The Chaos Toolkit']);
	expect(pdfPageCount(await printed(page))).toBeGreaterThanOrEqual(3);
});

test('progress requests with bad input get a 4xx that says why, and change nothing', async ({ request, baseURL }) => {
	const headers = { Origin: baseURL ?? '' };
	const unknown = await request.put('/api/progress/foundations/no-such-lesson', { data: { done: true }, headers });
	expect(unknown.status()).toBe(404);
	expect(await unknown.json()).toMatchObject({ error: 'There is no lesson "foundations/no-such-lesson".' });

	const badBody = await request.put('/api/progress/foundations/steady-state', { data: { done: 'yes' }, headers });
	expect(badBody.status()).toBe(400);
	expect((await badBody.json()).error).toMatch(/^Refused: done: /);

	const notJson = await request.put('/api/progress/foundations/steady-state', { data: 'done', headers: { ...headers, 'Content-Type': 'text/plain' } });
	expect(notJson.status()).toBe(400);

	const flood = await request.put('/api/progress/foundations/steady-state', { data: { note: 'x'.repeat(300_000) }, headers });
	expect(flood.status()).toBe(413);
	const tooLongNote = await request.put('/api/progress/foundations/steady-state', { data: { note: 'x'.repeat(20_001) }, headers });
	expect(tooLongNote.status()).toBe(400);
	expect((await tooLongNote.json()).error).toContain('at most 20000 characters');

	const elsewhere = await request.put('/api/progress/foundations/steady-state', { data: { done: true }, headers: { Origin: 'http://evil.example' } });
	expect(elsewhere.status()).toBe(403);

	const progress = await (await request.get('/api/progress')).json();
	expect(progress.lessons['foundations/steady-state']?.done ?? false).toBe(false);
	expect(progress.lessons['foundations/steady-state']?.note ?? '').not.toContain('xxx');

	// The server is still there for the next request.
	expect((await request.get('/api/progress')).status()).toBe(200);
});

async function printed(page: Page): Promise<Buffer> {
	await page.emulateMedia({ media: 'print' });
	return page.pdf({ format: 'A4' });
}

/** Pages in a PDF as Chromium writes it: one `/Type /Page` object per page. */
function pdfPageCount(pdf: Buffer): number {
	return (pdf.toString('latin1').match(/\/Type\s*\/Page(?![s\w])/g) ?? []).length;
}
