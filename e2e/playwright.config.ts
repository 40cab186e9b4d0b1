import { defineConfig } from '@playwright/test';

/**
 * End-to-end tests: the real server (one process per test file, its own database), the real Docker
 * engine, and the system's Chromium (Playwright's own browser download cannot work offline).
 */
export default defineConfig({
	testDir: '.',
	globalSetup: './global-setup.ts',
	timeout: 240_000,
	expect: { timeout: 15_000 },
	// Each worker runs its own platform and sandboxes; two cores fit one at a time.
	workers: 1,
	forbidOnly: Boolean(process.env.CI),
	reporter: process.env.CI ? [['list'], ['html', { open: 'never', outputFolder: '../playwright-report' }]] : 'list',
	outputDir: '../test-results',
	use: {
		browserName: 'chromium',
		trace: 'retain-on-failure',
		screenshot: 'only-on-failure',
		launchOptions: {
			executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
			args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
		},
	},
});
