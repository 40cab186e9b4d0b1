import { chromium } from '@playwright/test';

/**
 * What a learner's browser downloads for each kind of page, measured by loading the page in
 * Chromium from the running platform and adding up the bodies of its responses by type. The
 * baseline is the home page: Starlight's chrome and nothing of a lesson's, so a lesson's ratio shows
 * what the lesson adds (its quiz, notes and prerequisites), and a lab page what its terminal adds.
 */

export interface PageWeight {
	page: string;
	address: string;
	/** Bytes of the HTML document, its stylesheets and its scripts (as sent, before any compression). */
	html: number;
	css: number;
	js: number;
}

export const WEIGHED_PAGES: Record<string, string> = {
	'home (baseline)': '/',
	'module overview': '/foundations/',
	'lesson without a lab': '/foundations/experiment-loop/',
	'lesson with the self-assessment': '/chaos-maturity/maturity-model/',
	'lesson with a lab': '/foundations/steady-state/',
	glossary: '/glossary/',
	'handbook (whole course)': '/handbook/',
};

export async function measurePageWeights(baseUrl: string): Promise<PageWeight[]> {
	const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
	try {
		const weights: PageWeight[] = [];
		for (const [page, address] of Object.entries(WEIGHED_PAGES)) {
			// A fresh context each time: nothing cached from the page before.
			const context = await browser.newContext();
			const tab = await context.newPage();
			const sizes = { html: 0, css: 0, js: 0 };
			const pending: Promise<void>[] = [];
			tab.on('response', (response) => {
				const type = response.request().resourceType();
				const kind = type === 'document' ? 'html' : type === 'stylesheet' ? 'css' : type === 'script' ? 'js' : undefined;
				if (!kind) return;
				pending.push(
					response.body().then(
						(body) => void (sizes[kind] += body.length),
						() => undefined,
					),
				);
			});
			await tab.goto(new URL(address, baseUrl).href, { waitUntil: 'networkidle' });
			await Promise.all(pending);
			weights.push({ page, address, ...sizes });
			await context.close();
		}
		return weights;
	} finally {
		await browser.close();
	}
}

/** The page weights as a table, each page's script beside the baseline's as a ratio. */
export function formatPageWeights(weights: PageWeight[]): string[] {
	const baseline = weights[0];
	const kib = (bytes: number) => (bytes / 1024).toFixed(1);
	const rows = [['page', 'address', 'HTML KiB', 'CSS KiB', 'JS KiB', 'JS ratio']];
	for (const weight of weights) {
		rows.push([weight.page, weight.address, kib(weight.html), kib(weight.css), kib(weight.js), baseline && baseline.js > 0 ? `${(weight.js / baseline.js).toFixed(2)}x` : 'n/a']);
	}
	const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
	return [
		'Page weights (bytes the browser downloads, uncompressed; JS ratio = page / home page, which carries only the lesson chrome):',
		...rows.map((row) => row.map((cell, column) => (column < 2 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join('  ')),
	];
}
