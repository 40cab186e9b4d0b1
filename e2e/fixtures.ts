import { test as base, expect, type APIRequestContext, type Locator, type Page } from '@playwright/test';
import { PlatformProcess } from '../src/testing/platform-process.ts';

/** Each test file gets its own real platform process, removed with everything it created at the end. */
export const test = base.extend<{ lab: LabPage }, { platform: PlatformProcess }>({
	platform: [
		async ({}, use) => {
			const platform = await PlatformProcess.start();
			await use(platform);
			await platform.dispose();
		},
		{ scope: 'worker' },
	],
	baseURL: async ({ platform }, use) => {
		await use(platform.url);
	},
	lab: async ({ page, platform }, use, testInfo) => {
		await use(new LabPage(page));
		// A failure on a CI machine is only as useful as what the server said meanwhile.
		if (testInfo.status !== testInfo.expectedStatus) {
			await testInfo.attach('platform.log', { body: platform.log, contentType: 'text/plain' });
			console.error(`Platform log (last lines):\n${platform.log.trimEnd().split('\n').slice(-30).join('\n')}`);
		}
	},
});

export { expect };

/** The lesson page with the steady-state lab, as a learner sees it. */
export class LabPage {
	readonly page: Page;
	readonly panel: Locator;
	readonly status: Locator;
	readonly terminal: Locator;
	readonly result: Locator;

	constructor(page: Page) {
		this.page = page;
		this.panel = page.locator('lab-panel[data-lab="steady-state"]');
		this.status = this.panel.locator('[data-role="status"]');
		this.terminal = this.panel.locator('.xterm');
		this.result = this.panel.locator('[data-task="probe"] [data-role="result"]');
	}

	async open(): Promise<void> {
		await this.page.goto('/foundations/steady-state/');
	}

	async start(): Promise<void> {
		await this.panel.getByRole('button', { name: 'Start lab' }).click();
		await expect(this.status).toHaveText('Running', { timeout: 180_000 });
		await expect(this.terminal).toContainText('learner@workstation', { timeout: 30_000 });
	}

	/** Types a command line into the terminal, as a learner would, and waits for a marker it prints. */
	async run(command: string, expectText: string | RegExp, timeout = 20_000): Promise<void> {
		await this.terminal.click();
		await this.page.keyboard.type(`${command}\n`);
		await expect(this.terminal).toContainText(expectText, { timeout });
	}

	async stop(): Promise<void> {
		await this.panel.getByRole('button', { name: 'Stop lab' }).click();
		await expect(this.status).toHaveText('Not started', { timeout: 60_000 });
	}
}

/** API calls the way the lab panel makes them: same origin, with the session cookie. */
export async function labApi(request: APIRequestContext, baseURL: string) {
	const headers = { Origin: baseURL };
	return {
		status: async () => (await request.get('/api/labs/steady-state')).json(),
		start: async () => request.post('/api/labs/steady-state/sandbox', { headers }),
		stop: async () => request.delete('/api/labs/steady-state/sandbox', { headers }),
		ticket: async () => request.post('/api/labs/steady-state/terminal-ticket', { headers }),
		check: async () => request.post('/api/labs/steady-state/tasks/probe/check', { headers }),
		async waitFor(phase: string, timeoutMs = 180_000): Promise<void> {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const status = await this.status();
				if (status.phase === phase) return;
				if (Date.now() > deadline) throw new Error(`The lab did not reach ${phase}: ${JSON.stringify(status)}`);
				await new Promise((resolve) => setTimeout(resolve, 200));
			}
		},
	};
}
