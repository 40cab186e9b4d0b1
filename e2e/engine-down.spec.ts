import { expect, test } from '@playwright/test';
import { PlatformProcess } from '../src/testing/platform-process.ts';

// A platform pointed at an engine that is not there: lessons still serve, and the lab panel says
// what is wrong and how to fix it.

test('with the Docker engine unreachable, lessons serve and the lab panel explains', async ({ page }) => {
	const platform = await PlatformProcess.start({ env: { DOCKER_HOST: 'unix:///tmp/steady-state-no-engine.sock' } });
	try {
		await page.goto(new URL('/foundations/steady-state/', platform.url).toString());
		await expect(page.getByRole('heading', { level: 1, name: 'Steady state: measure before you break' })).toBeVisible();
		const panel = page.locator('lab-panel');
		await expect(panel.locator('[data-role="notice"]')).toContainText('The Docker engine is not running');
		await expect(panel.locator('[data-role="notice"]')).toContainText('systemctl start docker');
		await expect(panel.getByRole('button', { name: 'Start lab' })).toBeDisabled();
		const start = await page.request.post(new URL('/api/labs/steady-state/sandbox', platform.url).toString(), { headers: { Origin: platform.url } });
		expect(start.status()).toBe(503);
		expect(await start.json()).toMatchObject({ error: expect.stringContaining('not running'), fix: expect.stringContaining('dockerd') });
	} finally {
		await platform.dispose();
	}
});
