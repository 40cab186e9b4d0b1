import { describe, expect, it } from 'vitest';
import { formatPageWeights } from './page-weight.ts';

describe('formatPageWeights', () => {
	it('gives each page\'s script as a ratio to the first page, the baseline', () => {
		const lines = formatPageWeights([
			{ page: 'home (baseline)', address: '/', html: 2048, css: 1024, js: 10_240 },
			{ page: 'lesson with a lab', address: '/a/', html: 4096, css: 1024, js: 40_960 },
		]);

		expect(lines[1]).toMatch(/^page\s+address\s+HTML KiB\s+CSS KiB\s+JS KiB\s+JS ratio$/);
		expect(lines[2]).toMatch(/^home \(baseline\)\s+\/\s+2\.0\s+1\.0\s+10\.0\s+1\.00x$/);
		expect(lines[3]).toMatch(/^lesson with a lab\s+\/a\/\s+4\.0\s+1\.0\s+40\.0\s+4\.00x$/);
	});

	it('says n/a when the baseline sends no script', () => {
		expect(formatPageWeights([{ page: 'bare', address: '/', html: 1, css: 0, js: 0 }])[2]).toMatch(/n\/a$/);
	});
});
