import { randomBytes } from 'node:crypto';
import { connectEngine } from '../sandbox/engine.ts';
import { Sandbox } from '../sandbox/sandbox.ts';
import { loadLab } from '../src/testing/lab-fixture.ts';
import { expect, labApi, test } from './fixtures.ts';

test.describe.configure({ mode: 'serial' });

test('the server killed with SIGKILL mid-lab comes back with the learner\'s results and no orphans', async ({ lab, page, platform }) => {
	await lab.open();
	await lab.start();
	await lab.run('echo "before-$((3 * 3))"', 'before-9');
	// A stored result to survive the crash (the probe is missing, so this one is a fail).
	await lab.panel.getByRole('button', { name: 'Check' }).click();
	await expect(lab.result).toContainText('Not yet', { timeout: 60_000 });

	// Leftovers the store cannot know about: a sandbox with this platform's labels made behind its back.
	const { containers } = await loadLab();
	const stray = await Sandbox.create(connectEngine(), {
		platformId: platform.platformId(),
		sandboxId: randomBytes(6).toString('hex'),
		learnerId: 'local',
		labId: 'steady-state',
		containers,
	});

	await platform.kill();
	await expect(page.request.get('/api/health')).rejects.toThrow();
	await platform.start();
	await page.reload();

	await expect(lab.result).toContainText('Not yet');
	await expect(lab.status).toHaveText('Running', { timeout: 60_000 });
	await lab.run('echo "after-$((4 * 4))"', 'after-16');
	const sandboxes = await platform.labelledSandboxes();
	expect(sandboxes.map((sandbox) => sandbox.sandboxId)).not.toContain(stray.id);
	expect(sandboxes).toHaveLength(1);
	await lab.stop();
	expect(await platform.labelledSandboxes()).toEqual([]);
});

test('a lab that was still starting when the server died is cleaned up at the next start', async ({ page, platform }) => {
	const api = await labApi(page.request, platform.url);
	expect((await api.start()).status()).toBe(202);
	// Kill it half-way: some containers exist, the store still says "starting".
	await expect.poll(async () => (await platform.labelledSandboxes()).reduce((sum, sandbox) => sum + sandbox.containers, 0), { timeout: 60_000, intervals: [50] }).toBeGreaterThan(0);
	expect((await api.status()).phase).toBe('starting');
	await platform.kill();
	await platform.start();
	await expect.poll(async () => (await platform.labelledSandboxes()).length, { timeout: 60_000 }).toBe(0);
	const status = await api.status();
	expect(status.phase).toBe('stopped');
	expect(status.error).toContain('start it again');
});
