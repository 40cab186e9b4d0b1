import { expect, test } from './fixtures.ts';

test('a learner reads the lesson, works in the terminal, passes the check, reloads and stops', async ({ lab, page, platform }) => {
	await lab.open();
	await expect(page.getByRole('heading', { level: 1, name: 'Steady state: measure before you break' })).toBeVisible();
	await expect(page.getByText('By the end of this lesson you can:')).toBeVisible();
	await expect(page.getByRole('heading', { name: 'Sources' })).toBeVisible();

	await lab.start();
	await lab.run('echo "marker-$((6 * 7))"', 'marker-42');
	await lab.run("curl -s http://storefront:8080/health | jq -r .status | sed 's/^/status-/'", 'status-ok');

	// Not yet: the check runs first against a missing probe, and says what to do.
	await lab.panel.getByRole('button', { name: 'Check' }).click();
	await expect(lab.result).toContainText('Not yet', { timeout: 60_000 });
	await expect(lab.result).toContainText('chmod +x');

	await lab.run(
		"printf '#!/bin/sh\\ncurl -fsS --max-time 2 -o /dev/null http://storefront:8080/health\\n' > ~/steady-state.sh && chmod +x ~/steady-state.sh && ~/steady-state.sh && echo \"probe-$((1 + 1))-ok\"",
		'probe-2-ok',
	);
	await lab.panel.getByRole('button', { name: 'Check' }).click();
	await expect(lab.result).toContainText('Passed', { timeout: 90_000 });

	// A reload reconnects to the same shell and redraws its screen; the stored result is shown.
	await page.reload();
	await expect(lab.status).toHaveText('Running');
	// The page comes back scrolled where it was, and xterm.js draws only while the terminal is in
	// view: the learner scrolls to it to read it, and so does the test.
	await lab.terminal.scrollIntoViewIfNeeded();
	await expect(lab.terminal).toContainText('marker-42');
	await expect(lab.terminal).toContainText('probe-2-ok');
	await expect(lab.result).toContainText('Passed');
	await lab.run('echo "still-$((40 + 2))"', 'still-42');

	await lab.stop();
	await expect(lab.panel.locator('[data-role="terminal-frame"]')).toBeHidden();
	expect(await platform.labelledSandboxes()).toEqual([]);
	// The result outlives the sandbox.
	await page.reload();
	await expect(lab.result).toContainText('Passed');
});

test("the learner's shell has no capabilities, no Docker socket, no way out and no way to the platform", async ({ lab, platform }) => {
	await lab.open();
	await lab.start();
	await lab.run('grep CapEff /proc/self/status', /CapEff:\s+0000000000000000/);
	await lab.run('ls /var/run/docker.sock /run/docker.sock', 'No such file or directory');
	await lab.run('curl -sS -m 3 -o /dev/null http://198.51.100.1/ ; echo "out=$?"', /out=(7|28)/);
	const port = new URL(platform.url).port;
	await lab.run(`gw=$(ip route | awk '/default/ {print $3}'); curl -sS -m 3 -o /dev/null "http://$gw:${port}/" ; echo "platform=$?"`, /platform=(7|28)/);
	await lab.run(`curl -sS -m 3 -o /dev/null http://127.0.0.1:${port}/ ; echo "loopback=$?"`, /loopback=7/);
	await lab.stop();
});

test('a task shows its hints one by one and its solution only when the learner asks', async ({ lab, page }) => {
	await lab.open();
	const task = lab.panel.locator('[data-task="probe"]').first();
	const hints = task.locator('[data-role=hint]');
	expect(await hints.count()).toBeGreaterThanOrEqual(2);
	await expect(hints.first().locator('p')).toBeHidden();

	await hints.first().locator('summary').click();
	await expect(hints.first().locator('p')).toBeVisible();
	await expect(hints.first().locator('code').first()).toBeVisible();
	await expect(hints.nth(1).locator('p')).toBeHidden();

	const solution = task.locator('[data-role=solution]');
	await expect(solution.locator('pre')).toBeHidden();
	await solution.getByText('Show the solution').click();
	await expect(solution.locator('pre')).toContainText('chmod +x');
	// The check script itself never reaches the page.
	expect(await page.content()).not.toContain('checks/probe.sh');
});
