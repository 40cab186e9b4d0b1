import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { UserError } from './errors.ts';
import {
	askInitAnswers,
	experimentFormatFor,
	processProvider,
	serializeExperiment,
	splitCommandLine,
	starterExperiment,
	type InitAnswers,
} from './init.ts';

const basics = { title: 'The shop survives losing its cache', description: 'Redis goes away; pages still load, only slower.' };

describe('starterExperiment', () => {
	it('title and description only: an empty method, no hypothesis, no rollbacks', () => {
		expect(starterExperiment(basics)).toEqual({ ...basics, method: [] });
	});

	it('an HTTP probe expects 200 unless told otherwise, with a timeout so it cannot hang', () => {
		expect(starterExperiment({ ...basics, url: 'http://localhost:8080/health' })).toEqual({
			...basics,
			'steady-state-hypothesis': {
				title: 'The service answers HTTP 200',
				probes: [
					{
						type: 'probe',
						name: 'service-answers-200',
						tolerance: 200,
						provider: { type: 'http', url: 'http://localhost:8080/health', timeout: 5 },
					},
				],
			},
			method: [],
		});
	});

	it('an HTTP probe with another expected status', () => {
		const experiment = starterExperiment({ ...basics, url: ' https://shop.test/ ', expectStatus: 204 });

		expect(experiment['steady-state-hypothesis']).toEqual({
			title: 'The service answers HTTP 204',
			probes: [{ type: 'probe', name: 'service-answers-204', tolerance: 204, provider: { type: 'http', url: 'https://shop.test/', timeout: 5 } }],
		});
	});

	it('a command probe runs the program with its words as arguments and expects exit status 0', () => {
		expect(starterExperiment({ ...basics, command: `curl -sf 'http://localhost:8080/a b'` })['steady-state-hypothesis']).toEqual({
			title: 'The check command succeeds',
			probes: [
				{
					type: 'probe',
					name: 'check-command-succeeds',
					tolerance: 0,
					provider: { type: 'process', path: 'curl', arguments: ['-sf', 'http://localhost:8080/a b'] },
				},
			],
		});
	});

	it('an action becomes the method and a rollback undoes it; tags are trimmed and blanks dropped', () => {
		expect(
			starterExperiment({
				...basics,
				tags: [' redis ', '', 'cache'],
				command: 'redis-cli ping',
				action: 'docker stop redis',
				rollback: 'docker start redis',
			}),
		).toEqual({
			...basics,
			tags: ['redis', 'cache'],
			'steady-state-hypothesis': {
				title: 'The check command succeeds',
				probes: [
					{ type: 'probe', name: 'check-command-succeeds', tolerance: 0, provider: { type: 'process', path: 'redis-cli', arguments: ['ping'] } },
				],
			},
			method: [{ type: 'action', name: 'inject-fault', provider: { type: 'process', path: 'docker', arguments: ['stop', 'redis'] } }],
			rollbacks: [{ type: 'action', name: 'undo-fault', provider: { type: 'process', path: 'docker', arguments: ['start', 'redis'] } }],
		});
	});

	it('an action without a rollback has no rollbacks key; a command with shell features runs through sh -c', () => {
		expect(starterExperiment({ ...basics, action: 'docker kill shop-redis-1 && sleep 5' })).toEqual({
			...basics,
			method: [
				{ type: 'action', name: 'inject-fault', provider: { type: 'process', path: 'sh', arguments: ['-c', 'docker kill shop-redis-1 && sleep 5'] } },
			],
		});
	});

	it('writes keys in the order the Chaos Toolkit documents them', () => {
		const experiment = starterExperiment({ ...basics, tags: ['x'], url: 'http://x/', action: 'true', rollback: 'true' });

		expect(Object.keys(experiment)).toEqual(['title', 'description', 'tags', 'steady-state-hypothesis', 'method', 'rollbacks']);
	});

	it('refuses answers that cannot make a valid experiment, listing every problem', () => {
		const answers: InitAnswers = {
			title: ' ',
			description: '',
			url: 'ftp://x',
			command: "echo 'hi",
			expectStatus: 99,
			action: 'say "hi',
			rollback: 'undo \\',
		};

		expect(() => starterExperiment(answers)).toThrow(UserError);
		expect(() => starterExperiment(answers)).toThrow(
			[
				'cannot create the experiment:',
				'  - the title is empty: say in a few words what the experiment tests',
				'  - the description is empty: say what you expect to happen and why',
				'  - both a URL and a command were given for the steady state: choose one',
				"  - 'ftp://x' is not an http:// or https:// URL: the http provider only speaks HTTP",
				'  - 99 is not an HTTP status: use a whole number from 100 to 599, e.g. 200',
				"  - the steady-state command has an unclosed ' quote: close it, or quote the command differently",
				'  - the action command has an unclosed " quote: close it, or quote the command differently',
				'  - the rollback command ends with a lone backslash: remove it, or escape what follows',
			].join('\n'),
		);
		expect(() => starterExperiment({ ...basics, expectStatus: 200 })).toThrow('an expected HTTP status was given without a URL to check');
		expect(() => starterExperiment({ ...basics, url: 'localhost:8080' })).toThrow(
			"'localhost:8080' is not an http:// or https:// URL: the http provider only speaks HTTP",
		);
		expect(() => starterExperiment({ ...basics, url: 'not a url' })).toThrow(
			"'not a url' is not a URL: write it in full, e.g. http://localhost:8080/health",
		);
	});
});

describe('splitCommandLine', () => {
	it.each([
		['curl -sf http://localhost:8080/health', ['curl', '-sf', 'http://localhost:8080/health']],
		["docker stop 'my app'", ['docker', 'stop', 'my app']],
		['echo "a b" c\\ d  e', ['echo', 'a b', 'c d', 'e']],
		['echo "say \\"hi\\"" \'it\'"s"', ['echo', 'say "hi"', 'its']],
		['printf "a\\nb"', ['printf', 'a\\nb']],
		['curl http://x/page#top', ['curl', 'http://x/page#top']],
		['stress-ng --cpu=2 --timeout 30s', ['stress-ng', '--cpu=2', '--timeout', '30s']],
	])('%s is a simple command', (line, words) => {
		expect(splitCommandLine(line)).toEqual({ words, needsShell: false });
	});

	it.each([
		'curl -s http://x | grep ok',
		'docker stop web && sleep 2',
		'echo hi > /tmp/out',
		'kill $(pidof nginx)',
		'echo "$HOME"',
		'ls *.log',
		'ls ~',
		'FOO=1 env',
		'cd /srv && make',
		"grep '' /etc/hosts",
		'true; false',
		'echo hi # a comment',
	])('%s needs a shell', (line) => {
		expect(splitCommandLine(line).needsShell).toBe(true);
	});

	it('refuses what no shell would run', () => {
		expect(() => splitCommandLine("echo 'open")).toThrow("the command has an unclosed ' quote: close it, or quote the command differently");
		expect(() => splitCommandLine('   ')).toThrow('the command is empty: type the command line to run');
	});
});

describe('processProvider', () => {
	it('uses the program as path and the words as a list, the form the reference tool runs without a shell', () => {
		expect(processProvider('  docker   stop web ')).toEqual({ type: 'process', path: 'docker', arguments: ['stop', 'web'] });
		expect(processProvider('uptime')).toEqual({ type: 'process', path: 'uptime', arguments: [] });
	});

	it('runs anything that needs a shell as sh -c with the line as typed', () => {
		expect(processProvider(' curl -s http://x | grep -q ok ')).toEqual({
			type: 'process',
			path: 'sh',
			arguments: ['-c', 'curl -s http://x | grep -q ok'],
		});
	});
});

describe('serializeExperiment', () => {
	const experiment = starterExperiment({
		...basics,
		description: 'Line one.\nLine two: with a colon.',
		tags: ['redis'],
		url: 'http://localhost:8080/health?full=1',
		action: 'docker stop redis',
		rollback: 'docker start redis',
	});

	it('JSON: two-space indent, a final newline, and the same experiment back', () => {
		const text = serializeExperiment(experiment, 'json');

		expect(text.startsWith('{\n  "title": "The shop survives losing its cache",\n  "description"')).toBe(true);
		expect(text.endsWith('}\n')).toBe(true);
		expect(JSON.parse(text)).toEqual(experiment);
	});

	it('YAML: the same experiment back, read as YAML 1.1 (the reference tool) or 1.2 (our runner)', () => {
		const text = serializeExperiment(experiment, 'yaml');

		expect(text).toContain('title: The shop survives losing its cache\n');
		expect(text).toContain('      tolerance: 200\n');
		expect(parseYaml(text, { version: '1.1' })).toEqual(experiment);
		expect(parseYaml(text, { version: '1.2' })).toEqual(experiment);
	});

	it.each(['no', 'on', 'Yes', '0o12', '012', '1:30', '~', 'null', '3.0'])('YAML keeps %j a string in both YAML versions', (title) => {
		const tricky = starterExperiment({ title, description: 'off' });
		const text = serializeExperiment(tricky, 'yaml');

		expect(parseYaml(text, { version: '1.1' })).toEqual(tricky);
		expect(parseYaml(text, { version: '1.2' })).toEqual(tricky);
	});
});

describe('experimentFormatFor', () => {
	it.each([
		['experiment.json', 'json'],
		['exp/Experiment.YAML', 'yaml'],
		['e.yml', 'yaml'],
	])('%s is %s', (path, format) => {
		expect(experimentFormatFor(path)).toBe(format);
	});

	it('refuses another extension, saying which ones work', () => {
		expect(() => experimentFormatFor('experiment.txt')).toThrow(
			"cannot tell the format of 'experiment.txt': name the experiment file with .json, .yaml or .yml",
		);
	});
});

/** A terminal stand-in: what the questions printed so far, and a way to type lines. */
function fakeTerminal() {
	const input = new PassThrough();
	const output = new PassThrough();
	let printed = '';
	output.on('data', (chunk: Buffer) => {
		printed += chunk.toString('utf8');
	});
	return { io: { input, output }, input, printed: () => printed };
}

describe('askInitAnswers', () => {
	it('asks each question, re-asking on bad answers, from input that arrives all at once', async () => {
		const terminal = fakeTerminal();
		terminal.input.write(
			[
				'',
				'The shop survives losing its cache',
				'Pages still load.',
				'redis, cache',
				'ftp',
				'h',
				'localhost:8080',
				'http://localhost:8080/health',
				'two hundred',
				'600',
				'204',
				"echo 'stop",
				'echo stop redis',
				'no-such-program-for-chaos-tests start redis',
				'',
			].join('\n'),
		);

		const answers = await askInitAnswers(terminal.io);

		expect(answers).toEqual({
			title: 'The shop survives losing its cache',
			description: 'Pages still load.',
			tags: ['redis', 'cache'],
			url: 'http://localhost:8080/health',
			expectStatus: 204,
			action: 'echo stop redis',
			rollback: 'no-such-program-for-chaos-tests start redis',
		});
		// Piped input is not echoed, so each answer's line ends where the next prompt or message begins.
		expect(terminal.printed().split('\n')).toEqual([
			'Answer a few questions to create a starter experiment. Press Enter to keep the [default].',
			'Experiment title:   Please type a title, e.g. "The shop survives losing its cache".',
			'Experiment title: What do you expect to happen, and why? Tags, separated by commas (Enter for none): ' +
				'Steady-state probe: an HTTP check, a command, or none? (http/command/none) [http]:   Please answer http, command or none.',
			'Steady-state probe: an HTTP check, a command, or none? (http/command/none) [http]: ' +
				"URL to check:   'localhost:8080' is not an http:// or https:// URL: the http provider only speaks HTTP",
			"URL to check: Expected HTTP status [200]:   'two hundred' is not an HTTP status: use a whole number from 100 to 599, e.g. 200",
			'Expected HTTP status [200]:   600 is not an HTTP status: use a whole number from 100 to 599, e.g. 200',
			'Expected HTTP status [200]: Action to run as the method, a command line (Enter for none): ' +
				"  the action command has an unclosed ' quote: close it, or quote the command differently",
			'Action to run as the method, a command line (Enter for none): Rollback command that undoes the action (Enter for none): ' +
				"  Note: 'no-such-program-for-chaos-tests' is not on this machine's PATH; chaos validate will refuse the experiment until it is.",
			'',
		]);
	});

	it('takes the defaults on Enter, shows them in brackets, and "-" clears an optional one', async () => {
		const terminal = fakeTerminal();
		terminal.input.write('\n\n\n\n\n\n-\n');

		const answers = await askInitAnswers(terminal.io, {
			title: 'Kill the cache',
			description: 'Pages still load.',
			tags: ['redis'],
			url: 'http://localhost:8080/',
			expectStatus: 200,
			action: 'echo stop redis',
		});

		expect(answers).toEqual({
			title: 'Kill the cache',
			description: 'Pages still load.',
			tags: ['redis'],
			url: 'http://localhost:8080/',
			expectStatus: 200,
		});
		expect(terminal.printed()).toContain('Experiment title [Kill the cache]: ');
		expect(terminal.printed()).toContain('Tags, separated by commas (- for none) [redis]: ');
		expect(terminal.printed()).toContain('URL to check [http://localhost:8080/]: ');
		expect(terminal.printed()).toContain('Action to run as the method, a command line (- for none) [echo stop redis]: ');
		expect(terminal.printed()).not.toContain('Rollback');
	});

	it('a command probe, answered line by line as a person types after each question', async () => {
		const terminal = fakeTerminal();
		const lines = ['Cache outage', 'Pages load.', '', 'command', 'echo "ok', 'echo ok | grep -q ok', '', ''];
		// A question is one write ending in a space; messages end in a newline. Answer only questions.
		terminal.io.output.on('data', (chunk: Buffer) => {
			if (chunk.toString('utf8').endsWith(' ')) setImmediate(() => terminal.input.write(`${lines.shift()}\n`));
		});

		const answers = await askInitAnswers(terminal.io, {});

		expect(answers).toEqual({ title: 'Cache outage', description: 'Pages load.', command: 'echo ok | grep -q ok' });
		expect(terminal.printed()).toContain('the steady-state command has an unclosed " quote: close it, or quote the command differently');
		expect(terminal.printed()).not.toContain('Note:');
	});

	it('stops with a UserError when the input ends before every question is answered', async () => {
		const terminal = fakeTerminal();
		terminal.input.end('Only a title\n');

		await expect(askInitAnswers(terminal.io)).rejects.toThrow(
			new UserError('chaos init stopped before every question was answered, so no experiment was written'),
		);
	});
});
