import { expect, test } from './fixtures.ts';

/**
 * Day two of the course, in the browser: the learner writes an experiment in the lab terminal with
 * the `chaos` runner installed in the workstation (Debian's Node.js, our bundle), validates it,
 * runs it against the lab's storefront, reads the journal, renders a report, and sees each run as
 * a timeline in the page, a held one and a deviated one.
 */
test('a learner writes, validates, runs and reports an experiment in the terminal and sees its timeline', async ({ lab, page }) => {
	test.setTimeout(300_000);
	await lab.open();
	await lab.start();
	const runs = lab.panel.locator('journal-timeline');
	await expect(runs.getByRole('heading', { name: 'Your experiment runs' })).toBeVisible();
	await expect(runs.locator('[data-role="runs-empty"]')).toBeVisible({ timeout: 20_000 });

	await lab.run('chaos --version', 'chaos, version');

	// chaos init asks its questions on the terminal; each answer is typed when its question shows.
	const answer = async (question: string, text: string) => {
		await expect(lab.terminal).toContainText(question, { timeout: 20_000 });
		await page.keyboard.type(`${text}\n`);
	};
	await lab.run('chaos init', 'Experiment title');
	await answer('Experiment title', 'Storefront stays up');
	await answer('What do you expect to happen', 'The storefront answers while we look around');
	await answer('Tags', '');
	await answer('Steady-state probe', 'http');
	await answer('URL to check', 'http://storefront:8080/health');
	await answer('Expected HTTP status', '');
	await answer('Action to run as the method', 'curl -s -o /dev/null http://storefront:8080/');
	await answer('Rollback command', '');
	await expect(lab.terminal).toContainText("saved in 'experiment.json'", { timeout: 20_000 });

	await lab.run('chaos validate experiment.json', 'Experiment looks valid');
	await lab.run('chaos run experiment.json; echo "exit-$?-code"', 'exit-0-code', 60_000);
	await lab.run('jq -r \'"journal-" + .status + "-" + (.deviated|tostring)\' journal.json', 'journal-completed-false');
	await lab.run('chaos report journal.json report.html && grep -c "steady state held" report.html | sed "s/^/held-/"', /held-[1-9]/);

	// The run appears in the page as a chart, with its caption in words.
	await expect(runs.locator('[data-role="runs-chart"] svg').first()).toBeVisible({ timeout: 30_000 });
	await expect(runs.locator('[data-role="runs-caption"]')).toContainText('Storefront stays up');
	await expect(runs.locator('[data-role="runs-caption"]')).toContainText('It did not deviate.');

	// A second experiment whose method breaks its own steady state (a file the probe tests for):
	// the run deviates, exits 1, and the page shows the newest run.
	await lab.run(
		`printf '%s\\n' 'title: The flag survives' 'description: It will not' 'steady-state-hypothesis:' '  title: The flag is there' '  probes:' '    - {type: probe, name: flag-exists, tolerance: 0, provider: {type: process, path: test, arguments: "-e /tmp/flag"}}' 'method:' '  - {type: action, name: remove-flag, provider: {type: process, path: rm, arguments: ["-f", "/tmp/flag"]}}' > flag.yaml && touch /tmp/flag && echo written-flag`,
		'written-flag',
	);
	await lab.run('chaos run --journal-path flag-journal.json flag.yaml; echo "exit-$?-flag"', 'exit-1-flag', 60_000);
	await expect(runs.locator('[data-role="runs-caption"]')).toContainText('It deviated', { timeout: 30_000 });
	await expect(runs.locator('[data-role="runs-caption"]')).toContainText('The flag survives');
	await expect(runs.locator('[data-role="runs-picker"] option')).toHaveCount(2);

	// Bad input gets one clear line, never a stack trace.
	await lab.run('chaos run missing.json; echo "exit-$?-missing"', 'exit-1-missing');
	await lab.run('chaos run --no-such-flag flag.yaml; echo "exit-$?-usage"', 'exit-2-usage');
	await expect(lab.terminal).toContainText('No such option: --no-such-flag');

	await lab.stop();
});

test('an experiment pauses the storefront\'s Redis through the fault API, deviates, and its rollback undoes it', async ({ lab }) => {
	test.setTimeout(300_000);
	await lab.open();
	await lab.start();
	const lines = [
		'title: The storefront survives a paused Redis',
		'description: It will not, and the rollback must bring Redis back',
		'steady-state-hypothesis:',
		'  title: The storefront answers 200',
		'  probes:',
		'    - {type: probe, name: storefront-health, tolerance: 200, provider: {type: http, url: "http://storefront:8080/health", timeout: 5}}',
		'method:',
		'  - type: action',
		'    name: pause-redis',
		'    provider: {type: http, method: POST, url: "http://faults/faults", headers: {Content-Type: application/json}, arguments: {kind: pause, target: redis}}',
		'    pauses: {after: 1}',
		'rollbacks:',
		'  - {type: action, name: unpause-redis, provider: {type: process, path: faults, arguments: [unpause, redis]}}',
	];
	await lab.run(`printf '%s\\n' ${lines.map((line) => `'${line}'`).join(' ')} > redis.yaml && echo written-redis`, 'written-redis');
	await lab.run('chaos run --rollback-strategy always redis.yaml; echo "exit-$?-redis"', 'exit-1-redis', 90_000);
	await lab.run('jq -r \'"runs-" + (.deviated|tostring) + "-" + .rollbacks[0].status + "-" + (.run[0].output.status|tostring)\' journal.json', 'runs-true-succeeded-201');
	// The platform's log, as the learner reads it: the pause from the method, the unpause from the rollback.
	await lab.run('faults log | grep -c -E "pause|unpause" | sed "s/^/logged-/"', 'logged-2');
	await lab.run('curl -s -o /dev/null -w "health-%{http_code}" http://storefront:8080/health', 'health-200', 30_000);
	await lab.stop();
});

test('the platform serves the experiment JSON Schema at its stable address, for editors', async ({ request }) => {
	const response = await request.get('/schemas/experiment.schema.json');
	expect(response.status()).toBe(200);
	expect(response.headers()['content-type']).toContain('json');
	const schema = await response.json();
	expect(schema.$id).toContain('/schemas/experiment.schema.json');
	expect(schema.required).toEqual(expect.arrayContaining(['title', 'description', 'method']));
	expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['steady-state-hypothesis', 'method', 'rollbacks', 'configuration', 'secrets']));
});
