import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatProblems, type Problem } from '../schemas/problems.ts';
import { InvalidExperiment } from './errors.ts';
import { parseSource } from './source.ts';
import { validateExperiment } from './validate.ts';

const FILE = 'experiments/storefront.json';
const ENV = { PATH: '/usr/bin:/bin' };

function httpProvider(extra: Record<string, unknown> = {}) {
	return { type: 'http', url: 'http://127.0.0.1:9/health', ...extra };
}

function probe(extra: Record<string, unknown> = {}) {
	return { type: 'probe', name: 'storefront-up', provider: httpProvider(), ...extra };
}

function experiment(extra: Record<string, unknown> = {}) {
	return { title: 'The storefront survives', description: 'Restart Redis.', method: [], ...extra };
}

function problemsOf(data: unknown, env: Record<string, string | undefined> = ENV): Problem[] {
	try {
		validateExperiment(data, { file: FILE, env });
	} catch (error) {
		if (error instanceof InvalidExperiment) return error.problems;
		throw error;
	}
	throw new Error('expected the experiment to be invalid');
}

/** field: message, the way a person reads them. */
function summary(data: unknown, env?: Record<string, string | undefined>): string[] {
	return problemsOf(data, env).map((problem) => `${problem.field}: ${problem.message}`);
}

describe('validateExperiment: a valid experiment', () => {
	it('returns the experiment as written', () => {
		const data = experiment({
			$schema: 'http://localhost:4321/schemas/experiment.schema.json',
			'x-course': { lesson: 3 },
			'steady-state-hypothesis': { title: 'Storefront answers', probes: [probe({ tolerance: 200 })] },
			method: [{ type: 'action', name: 'restart', provider: { type: 'process', path: 'sh', arguments: ['-c', 'true'] }, pauses: { after: 1 } }],
			rollbacks: [{ ref: 'restart' }],
		});

		expect(validateExperiment(data, { file: FILE, env: ENV })).toEqual(data);
	});

	it('accepts an empty method, which only checks the steady state', () => {
		expect(validateExperiment(experiment(), { file: FILE, env: ENV }).method).toEqual([]);
	});
});

describe('validateExperiment: the reference tool\'s rules, each with its message, field and a fix', () => {
	const cases: Array<[string, unknown, string, string]> = [
		['an empty mapping', {}, '', 'an empty experiment is not an experiment'],
		['nothing at all', null, '', 'an empty experiment is not an experiment'],
		['no title', { description: 'D', method: [] }, 'title', 'experiment requires a title'],
		['an empty title', experiment({ title: '' }), 'title', 'experiment requires a title'],
		['no description', { title: 'T', method: [] }, 'description', 'experiment requires a description'],
		['an empty tag', experiment({ tags: ['redis', ''] }), 'tags[1]', 'experiment tags must be a non-empty string'],
		['a tag that is not text', experiment({ tags: [3] }), 'tags[0]', 'experiment tags must be a non-empty string'],
		['no method', { title: 'T', description: 'D' }, 'method', 'an experiment requires a method, which can be empty for only checking steady state hypothesis'],
		['an extension without a name', experiment({ extensions: [{ name: '  ' }] }), 'extensions[0].name', 'All extensions require a non-empty name'],
		['a hypothesis without a title', experiment({ 'steady-state-hypothesis': { probes: [] } }), 'steady-state-hypothesis.title', 'hypothesis requires a title'],
		[
			'a hypothesis probe without a tolerance',
			experiment({ 'steady-state-hypothesis': { title: 'H', probes: [probe()] } }),
			'steady-state-hypothesis.probes[0].tolerance',
			'hypothesis probe must have a tolerance entry',
		],
		[
			'an unknown tolerance type',
			experiment({ 'steady-state-hypothesis': { title: 'H', probes: [probe({ tolerance: { type: 'exact', value: 200 } })] } }),
			'steady-state-hypothesis.probes[0].tolerance.type',
			"hypothesis probe tolerance type 'exact' is unsupported",
		],
		['an activity without a type', experiment({ method: [{ name: 'a', provider: httpProvider() }] }), 'method[0].type', 'an activity must have a type'],
		['an unknown activity type', experiment({ method: [probe({ type: 'sleep' })] }), 'method[0].type', "'sleep' is not a supported activity type"],
		['an activity without a name', experiment({ method: [probe({ name: '' })] }), 'method[0].name', 'an activity must have a name'],
		['an activity without a provider', experiment({ method: [{ type: 'probe', name: 'a' }] }), 'method[0].provider', 'an activity requires a provider'],
		['a provider without a type', experiment({ method: [probe({ provider: { url: 'http://x' } })] }), 'method[0].provider.type', 'a provider must have a type'],
		['an unknown provider type', experiment({ method: [probe({ provider: { type: 'ftp' } })] }), 'method[0].provider.type', "unknown provider type 'ftp'"],
		['an HTTP activity without a URL', experiment({ method: [probe({ provider: { type: 'http' } })] }), 'method[0].provider.url', 'a HTTP activity must have a URL'],
		[
			'HTTP headers that are not a mapping',
			experiment({ method: [probe({ provider: httpProvider({ headers: ['Accept: text/plain'] }) })] }),
			'method[0].provider.headers',
			'a HTTP activities expect headers as a mapping',
		],
		['a process activity without a path', experiment({ method: [probe({ provider: { type: 'process' } })] }), 'method[0].provider.path', 'a process activity must have a path'],
		[
			'a program that is not on PATH',
			experiment({ method: [probe({ name: 'check', provider: { type: 'process', path: 'no-such-program-here' } })] }),
			'method[0].provider.path',
			"path 'no-such-program-here' cannot be found, in activity 'check'",
		],
		['an activity timeout that is not a number', experiment({ method: [probe({ timeout: '5s' })] }), 'method[0].timeout', 'activity timeout must be a number'],
		['background that is not a boolean', experiment({ method: [probe({ background: 'yes' })] }), 'method[0].background', 'activity background must be a boolean'],
		[
			'a pause that is neither a number nor a variable',
			experiment({ method: [probe({ pauses: { before: '5s' } })] }),
			'method[0].pauses.before',
			'activity before pause must be a number or a pattern to a variable from the configuration or secrets',
		],
		['an empty ref', experiment({ method: [{ ref: '' }] }), 'method[0].ref', 'reference to activity must be non-empty strings'],
		['a ref to nothing', experiment({ method: [{ ref: 'restart-redis' }] }), 'method[0].ref', "referenced activity 'restart-redis' could not be found in the experiment"],
		[
			'configuration read from a missing environment variable',
			experiment({ configuration: { base_url: { type: 'env', key: 'STOREFRONT_URL' } } }),
			'configuration.base_url',
			'Configuration makes reference to an environment key that does not exist: STOREFRONT_URL',
		],
		[
			'a secret read from a missing environment variable',
			experiment({ secrets: { storefront: { token: { type: 'env', key: 'STOREFRONT_TOKEN' } } } }),
			'secrets.storefront.token',
			'Secrets make reference to an environment key that does not exist: STOREFRONT_TOKEN',
		],
	];

	it.each(cases)('%s', (_name, data, field, message) => {
		const problems = problemsOf(data);

		expect(problems.map((problem) => ({ file: problem.file, field: problem.field, message: problem.message }))).toEqual([{ file: FILE, field, message }]);
		expect(problems[0]?.fix).toMatch(/\S/);
	});
});

describe('validateExperiment: every problem at once', () => {
	it('reports problems from all parts of the experiment, not just the first', () => {
		expect(
			summary({
				description: 'D',
				tags: [''],
				'steady-state-hypothesis': { title: 'H', probes: [probe({ tolerance: 1.5 })] },
				method: [probe({ provider: { type: 'http' } }), { ref: 'nowhere' }],
				rollbacks: [{ type: 'action', name: 'undo', provider: { type: 'process', path: 'no-such-program-here' } }],
			}),
		).toEqual([
			'title: experiment requires a title',
			'tags[0]: experiment tags must be a non-empty string',
			'steady-state-hypothesis.probes[0].tolerance: hypothesis probe tolerance must either be an integer, a string, a boolean or a pair of values for boundaries. It can also be a dictionary which is a probe activity definition that takes an argument called `value` with the value of the probe itself to be validated',
			'method[0].provider.url: a HTTP activity must have a URL',
			"method[1].ref: referenced activity 'nowhere' could not be found in the experiment",
			"rollbacks[0].provider.path: path 'no-such-program-here' cannot be found, in activity 'undo'",
		]);
	});

	it('reports every broken field of one activity', () => {
		expect(summary(experiment({ method: [{ type: 'sleep', provider: { type: 'ftp' }, background: 1 }] }))).toEqual([
			"method[0].type: 'sleep' is not a supported activity type",
			'method[0].name: an activity must have a name',
			"method[0].provider.type: unknown provider type 'ftp'",
			'method[0].background: activity background must be a boolean',
		]);
	});

	it('puts every message in the error, and the problems in file order with their line and column', () => {
		const yaml = [
			'title: The storefront survives', // 1
			'description: Restart Redis.', // 2
			'steady-state-hypothesis:', // 3
			'  title: Storefront answers', // 4
			'  probes:', // 5
			'    - type: probe', // 6
			'      name: storefront-up', // 7
			'      provider:', // 8
			'        type: http', // 9
			'        url: http://storefront:8080/health', // 10
			'method:', // 11
			'  - type: action', // 12
			'    name: restart-redis', // 13
			'    provider:', // 14
			'      type: process', // 15
			'      path: no-such-program-here', // 16
			'  - type: probe', // 17
			'    name: check', // 18
			'    provider:', // 19
			'      type: http', // 20
			'  - ref: restart-redi', // 21
			'  - type: action', // 22
			'    name: legacy', // 23
			'    provider:', // 24
			'      type: python', // 25
			'      module: chaosk8s.pod.actions', // 26
			'      func: terminate_pods', // 27
			'',
		].join('\n');
		const { data, locate } = parseSource(yaml, 'storefront.yaml');

		let error: unknown;
		try {
			validateExperiment(data, { file: 'storefront.yaml', locate, env: ENV });
		} catch (thrown) {
			error = thrown;
		}

		expect(error).toBeInstanceOf(InvalidExperiment);
		const problems = (error as InvalidExperiment).problems;
		expect(problems.map(({ field, line, column }) => `${line}:${column} ${field}`)).toEqual([
			// A missing field is pointed at where it should have been: its activity, or its parent's key.
			'6:7 steady-state-hypothesis.probes[0].tolerance',
			'16:7 method[0].provider.path',
			'19:5 method[1].provider.url',
			'21:5 method[2].ref',
			'25:7 method[3].provider.type',
		]);
		expect(problems[3]?.fix).toContain("Did you mean 'restart-redis'?");
		for (const problem of problems) expect((error as Error).message).toContain(problem.message);
		expect(formatProblems(problems)).toContain("  storefront.yaml:16:7 method[0].provider.path: path 'no-such-program-here' cannot be found, in activity 'restart-redis'");
	});
});

describe('validateExperiment: refs', () => {
	it('resolves refs by name across hypothesis probes, method and rollbacks', () => {
		const data = experiment({
			'steady-state-hypothesis': { title: 'H', probes: [probe({ tolerance: 200 }), { ref: 'storefront-up', tolerance: [200, 204] }] },
			method: [{ type: 'action', name: 'restart', provider: httpProvider({ method: 'POST' }) }, { ref: 'storefront-up' }],
			rollbacks: [{ type: 'action', name: 'undo', provider: httpProvider() }, { ref: 'restart' }],
		});

		expect(validateExperiment(data, { file: FILE, env: ENV })).toEqual(data);
	});

	it('finds rollback names from the method too, and reports dangling refs in every list', () => {
		expect(
			summary(
				experiment({
					'steady-state-hypothesis': { title: 'H', probes: [{ ref: 'ghost', tolerance: true }] },
					method: [{ ref: 'undo' }, { ref: 'Storefront-Up' }],
					rollbacks: [{ type: 'action', name: 'undo', provider: httpProvider() }, { ref: 'phantom' }],
				}),
			),
		).toEqual([
			"steady-state-hypothesis.probes[0].ref: referenced activity 'ghost' could not be found in the experiment",
			"method[1].ref: referenced activity 'Storefront-Up' could not be found in the experiment",
			"rollbacks[1].ref: referenced activity 'phantom' could not be found in the experiment",
		]);
	});

	it('asks a ref in the hypothesis for a tolerance, as the reference tool does', () => {
		expect(summary(experiment({ 'steady-state-hypothesis': { title: 'H', probes: [probe({ tolerance: 200 }), { ref: 'storefront-up' }] } }))).toEqual([
			'steady-state-hypothesis.probes[1].tolerance: hypothesis probe must have a tolerance entry',
		]);
	});

	it('treats a mapping with `ref` as a reference, whatever else it holds', () => {
		expect(summary(experiment({ method: [{ ref: 7, type: 'probe' }] }))).toEqual(['method[0].ref: reference to activity must be non-empty strings']);
	});
});

describe('validateExperiment: the python provider', () => {
	const python = { type: 'python', module: 'chaosk8s.pod.actions', func: 'terminate_pods', arguments: { label_selector: 'app=redis' } };

	it('is rejected with a problem that names the activity and shows a process provider instead', () => {
		const [problem, ...others] = problemsOf(experiment({ method: [{ type: 'action', name: 'kill-redis', provider: python }] }));

		expect(others).toEqual([]);
		expect(problem).toMatchObject({
			field: 'method[0].provider.type',
			message: "activity 'kill-redis' uses the python provider, which is not available in this runner: use process or http",
		});
		expect(problem?.fix).toContain('provider: {type: process, path: python3, arguments: ["-c", "from chaosk8s.pod.actions import terminate_pods; terminate_pods()"]}');
		expect(problem?.fix).toContain('type: http');
	});

	it('is rejected in a probe tolerance too', () => {
		expect(
			summary(
				experiment({
					'steady-state-hypothesis': { title: 'H', probes: [probe({ tolerance: { type: 'probe', name: 'judge', provider: python } })] },
				}),
			),
		).toEqual(["steady-state-hypothesis.probes[0].tolerance.provider.type: activity 'judge' uses the python provider, which is not available in this runner: use process or http"]);
	});
});

describe('validateExperiment: tolerances', () => {
	const withTolerance = (tolerance: unknown) => experiment({ 'steady-state-hypothesis': { title: 'H', probes: [probe({ tolerance })] } });

	it.each([
		['a boolean', true],
		['a status', 200],
		['a string', 'ok'],
		['accepted statuses', [200, 204, 301]],
		['a range as a pair', [200, 299]],
		['a regex', { type: 'regex', pattern: '^ok\\b', target: 'stdout' }],
		['a jsonpath with count', { type: 'jsonpath', path: '$.items[*]', count: 3, target: 'body' }],
		['a jsonpath with expect', { type: 'jsonpath', path: '$.status', expect: 'up' }],
		['a range', { type: 'range', range: [0, 0.5], target: 'body' }],
		['a probe', { type: 'probe', name: 'judge', provider: { type: 'process', path: 'sh', arguments: '-c true' } }],
	])('accepts %s', (_name, tolerance) => {
		const data = withTolerance(tolerance);
		expect(validateExperiment(data, { file: FILE, env: ENV })).toEqual(data);
	});

	const typeMessage =
		'hypothesis probe tolerance must either be an integer, a string, a boolean or a pair of values for boundaries. It can also be a dictionary which is a probe activity definition that takes an argument called `value` with the value of the probe itself to be validated';

	it.each([
		['a fraction, which the reference tool does not take', 0.5, 'tolerance', typeMessage],
		['null', null, 'tolerance', 'hypothesis probe must have a tolerance entry'],
		['a mapping without a type', { pattern: 'ok' }, 'tolerance.type', "hypothesis probe tolerance type 'None' is unsupported"],
		['a regex without a pattern', { type: 'regex' }, 'tolerance.pattern', 'hypothesis regex probe tolerance must have a `pattern` key'],
		['a regex that does not compile', { type: 'regex', pattern: '(ok' }, 'tolerance.pattern', 'hypothesis probe tolerance pattern (ok seems invalid: Invalid regular expression: /(ok/: Unterminated group'],
		['a jsonpath without a path', { type: 'jsonpath' }, 'tolerance.path', 'hypothesis jsonpath probe tolerance must have a `path` key'],
		['a blank jsonpath', { type: 'jsonpath', path: '  ' }, 'tolerance.path', 'hypothesis probe tolerance JSON path cannot be empty'],
		['a range without bounds', { type: 'range' }, 'tolerance.range', 'hypothesis range probe tolerance must have a `range` key'],
		['a range that is not a list', { type: 'range', range: '200-299' }, 'tolerance.range', 'hypothesis range must be a sequence'],
		['a range of three values', { type: 'range', range: [1, 2, 3] }, 'tolerance.range', 'hypothesis range sequence must be made of two values'],
		['a range with a text bound', { type: 'range', range: ['low', 5] }, 'tolerance.range[0]', 'hypothesis range lower boundary must be a number'],
		['a probe without a provider', { type: 'probe', name: 'judge' }, 'tolerance.provider', 'an activity requires a provider'],
	])('rejects %s', (_name, tolerance, field, message) => {
		expect(summary(withTolerance(tolerance))).toEqual([`steady-state-hypothesis.probes[0].${field}: ${message}`]);
	});

	it('does not check tolerances outside the hypothesis, as the reference tool never uses them', () => {
		const data = experiment({ method: [probe({ tolerance: 0.5 })] });
		expect(validateExperiment(data, { file: FILE, env: ENV })).toEqual(data);
	});
});

describe('validateExperiment: pauses, timeouts and other fields', () => {
	it('accepts a pause as seconds or exactly one ${variable}', () => {
		const data = experiment({ method: [probe({ pauses: { before: 0.5, after: '${settle}' } })] });
		expect(validateExperiment(data, { file: FILE, env: ENV })).toEqual(data);
	});

	it.each([['5s'], ['${a} and ${b}'], [[5]]])('rejects the pause %j', (pause) => {
		expect(summary(experiment({ method: [probe({ pauses: { after: pause } })] }))).toEqual([
			'method[0].pauses.after: activity after pause must be a number or a pattern to a variable from the configuration or secrets',
		]);
	});

	it('accepts HTTP timeouts as seconds, a [connect, read] pair or a variable', () => {
		const data = experiment({
			method: [probe({ provider: httpProvider({ timeout: 3 }) }), probe({ provider: httpProvider({ timeout: [1, 5] }) }), probe({ provider: httpProvider({ timeout: '${t}' }) })],
		});
		expect(validateExperiment(data, { file: FILE, env: ENV })).toEqual(data);
	});

	it('says what a URL without a scheme is missing, and leaves a URL built from variables alone', () => {
		expect(summary(experiment({ method: [probe({ provider: httpProvider({ url: 'storefront:8080/health' }) }), probe({ provider: httpProvider({ url: '${base_url}/health' }) })] }))).toEqual([
			'method[0].provider.url: a HTTP activity URL must start with http:// or https://',
		]);
	});

	it('says which kind a field must be when it is there but of the wrong kind', () => {
		expect(summary(experiment({ title: 42, runtime: { rollbacks: { strategy: 'sometimes' } } }))).toEqual([
			'title: experiment title must be a string',
			'runtime.rollbacks.strategy: rollback strategy must be one of default, always, never, deviated',
		]);
	});

	it('rejects an experiment that is not a mapping', () => {
		expect(summary(['title', 'method'])).toEqual([': an experiment must be a mapping with a title, a description and a method']);
	});

	it('reports an env value without a key as such, not as a literal', () => {
		expect(summary(experiment({ configuration: { token: { type: 'env' } } }))).toEqual(['configuration.token.key: an environment value must name its variable in `key`']);
	});
});

describe('validateExperiment: the environment', () => {
	const dir = mkdtempSync(join(tmpdir(), 'chaos-validate-'));
	const program = join(dir, 'lab-probe');
	writeFileSync(program, '#!/bin/sh\necho ok\n');
	chmodSync(program, 0o755);
	afterAll(() => rmSync(dir, { recursive: true, force: true }));

	const withProgram = experiment({ method: [probe({ name: 'check', provider: { type: 'process', path: 'lab-probe' } })] });

	it('looks process programs up on the PATH it is given', () => {
		expect(validateExperiment(withProgram, { file: FILE, env: { PATH: dir } })).toEqual(withProgram);
		expect(summary(withProgram, { PATH: '/usr/bin' })).toEqual(["method[0].provider.path: path 'lab-probe' cannot be found, in activity 'check'"]);
	});

	it('takes a path with a slash as written', () => {
		const data = experiment({ method: [probe({ provider: { type: 'process', path: program } })] });
		expect(validateExperiment(data, { file: FILE, env: { PATH: '' } })).toEqual(data);
	});

	it('reads configuration and secrets from the env it is given, defaults included', () => {
		const data = experiment({
			configuration: { base_url: { type: 'env', key: 'BASE_URL' }, retries: { type: 'env', key: 'RETRIES', default: 3 } },
			secrets: { storefront: { token: { type: 'env', key: 'TOKEN' } } },
		});

		expect(validateExperiment(data, { file: FILE, env: { ...ENV, BASE_URL: 'http://x', TOKEN: 's3cret' } })).toEqual(data);
		expect(summary(data, { ...ENV, TOKEN: 's3cret' })).toEqual(['configuration.base_url: Configuration makes reference to an environment key that does not exist: BASE_URL']);
	});
});
