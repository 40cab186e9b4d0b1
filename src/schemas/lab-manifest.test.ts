import { describe, expect, it } from 'vitest';
import { labManifestSchema } from './lab-manifest.ts';
import { parseYaml, validate, ValidationError } from './problems.ts';

const FILE = 'labs/demo/lab.yaml';
const TITLE = 'The labs have problems:';

/** The smallest manifest the schema accepts: one workstation container and one task. */
const MINIMAL = `title: Demo
summary: One container and one task.
containers:
  box:
    image: platform/workstation
    workstation: true
tasks:
  - id: probe
    title: Write a probe
    goal: Write a probe that tells the truth.
    solution:
      explanation: Write it with curl -f.
      script: solution/probe.sh
    check:
      container: box
      script: checks/probe.sh
`;

/** Two containers built from the lab's own images, so that image and container problems have somewhere to live. */
const TWO_CONTAINERS = `title: Demo
summary: A workstation and a service.
images:
  web: images/web
containers:
  box:
    image: platform/workstation
    workstation: true
  web:
    image: web
tasks:
  - id: probe
    title: Write a probe
    goal: Write a probe that tells the truth.
    solution:
      explanation: Write it with curl -f.
      script: solution/probe.sh
    check:
      container: box
      script: checks/probe.sh
`;

function parseManifest(text: string) {
	const { value, locate } = parseYaml(text, FILE, TITLE);
	return validate(labManifestSchema, value ?? {}, FILE, TITLE, locate);
}

function manifestError(text: string): ValidationError {
	try {
		parseManifest(text);
	} catch (error) {
		if (error instanceof ValidationError) return error;
		throw error;
	}
	throw new Error('expected the manifest to be rejected');
}

describe('a valid lab manifest', () => {
	it('gets the defaults for everything it leaves out', () => {
		const manifest = parseManifest(MINIMAL);

		expect(manifest.images).toEqual({});
		expect(manifest.minutes).toBeUndefined();
		expect(manifest.containers.box).toEqual({
			image: 'platform/workstation',
			workstation: true,
			env: {},
			resources: { cpus: 0.5, memoryMb: 256, pids: 256 },
			readOnlyRoot: true,
			tmpfs: { '/tmp': '', '/run': '' },
			restart: { policy: 'never', delaySeconds: 2 },
		});
		expect(manifest.proxies).toEqual({});
		expect(manifest.tasks[0]?.check).toEqual({ container: 'box', script: 'checks/probe.sh', timeoutSeconds: 60 });
	});

	it('keeps what the author wrote over the defaults, and fills in the rest of a partial block', () => {
		const manifest = parseManifest(
			TWO_CONTAINERS.replace(
				'    image: web\n',
				'    image: web\n    readOnlyRoot: false\n    resources:\n      memoryMb: 128\n    tmpfs:\n      /data: size=8m\n    ready:\n      exec: ["true"]\n',
			),
		);

		expect(manifest.containers.web).toMatchObject({
			workstation: false,
			readOnlyRoot: false,
			resources: { cpus: 0.5, memoryMb: 128, pids: 256 },
			tmpfs: { '/data': 'size=8m' },
			ready: { exec: ['true'], timeoutSeconds: 30 },
		});
	});

	it('accepts a lab image by the name it has under `images`', () => {
		expect(parseManifest(TWO_CONTAINERS).containers.web?.image).toBe('web');
	});
});

describe('restart policies and fault proxies', () => {
	it('reads a restart policy and a proxy between two containers', () => {
		const manifest = parseManifest(
			TWO_CONTAINERS.replace('    image: web\n', '    image: web\n    restart:\n      policy: on-failure\n      delaySeconds: 1\n').replace(
				'tasks:\n',
				'proxies:\n  web:\n    listen: 28080\n    upstream: web:8080\ntasks:\n',
			),
		);

		expect(manifest.containers.web?.restart).toEqual({ policy: 'on-failure', delaySeconds: 1 });
		expect(manifest.proxies).toEqual({ web: { listen: 28080, upstream: 'web:8080' } });
	});

	it('reports an unknown restart policy with the three it knows', () => {
		const error = manifestError(TWO_CONTAINERS.replace('    image: web\n', '    image: web\n    restart:\n      policy: sometimes\n'));

		expect(error.problems[0]).toMatchObject({ field: 'containers.web.restart.policy', line: 12 });
		expect(error.problems[0]?.fix).toContain('on-failure');
	});

	it('reports a proxy to a container the lab does not have, on a port the agent uses, or on a port taken twice', () => {
		const error = manifestError(
			TWO_CONTAINERS.replace(
				'tasks:\n',
				'proxies:\n  db:\n    listen: 25432\n    upstream: postgres:5432\n  api:\n    listen: 8474\n    upstream: web:8080\n  again:\n    listen: 25432\n    upstream: web:8080\ntasks:\n',
			),
		);

		expect(error.problems.map((problem) => problem.field).sort()).toEqual(['proxies.again.listen', 'proxies.api.listen', 'proxies.db.upstream']);
		const byField = new Map(error.problems.map((problem) => [problem.field, problem]));
		expect(byField.get('proxies.db.upstream')?.message).toContain('"postgres" is not a container of this lab (box, web)');
		expect(byField.get('proxies.api.listen')?.message).toContain('fault agent');
		expect(byField.get('proxies.again.listen')?.message).toContain('"db"');
	});

	it('reports an upstream that is not container:port', () => {
		const error = manifestError(TWO_CONTAINERS.replace('tasks:\n', 'proxies:\n  web:\n    listen: 28080\n    upstream: http://web\ntasks:\n'));

		expect(error.problems[0]).toMatchObject({ field: 'proxies.web.upstream' });
		expect(error.problems[0]?.fix).toContain('redis:6379');
	});
});

describe('an invalid lab manifest', () => {
	it('names the file, the field, its line and column and how to fix it', () => {
		const error = manifestError(MINIMAL.replace('summary: One container and one task.', 'summary: One container.\nminutes: forty'));

		expect(error.problems).toEqual([
			expect.objectContaining({ file: FILE, field: 'minutes', line: 3, column: 1, fix: 'Give the expected time in whole minutes.' }),
		]);
		expect(error.message).toContain('labs/demo/lab.yaml:3:1 minutes:');
		expect(error.message).toMatch(/\n {4}Fix: Give the expected time in whole minutes\.$/);
	});

	it.each([
		['a mistyped field', MINIMAL.replace('title: Demo', 'titel: Demo')],
		['a number written as a word', MINIMAL.replace('summary: One container and one task.', 'summary: One container.\nminutes: forty')],
		['an image the lab does not have', TWO_CONTAINERS.replace('    image: web\n', '    image: nginx\n')],
		['no workstation', MINIMAL.replace('    workstation: true\n', '')],
		['two workstations', TWO_CONTAINERS.replace('    image: web\n', '    image: web\n    workstation: true\n')],
		['a check in a missing container', MINIMAL.replace('container: box', 'container: redis')],
		['a duplicate task id', `${MINIMAL}${MINIMAL.slice(MINIMAL.indexOf('  - id: probe'))}`],
		['a script outside the lab', MINIMAL.replace('script: checks/probe.sh', 'script: ../x.sh')],
	])('says where and how to fix %s', (_case, text) => {
		const error = manifestError(text);

		expect(error.problems.length).toBeGreaterThan(0);
		for (const problem of error.problems) {
			expect(problem).toMatchObject({ file: FILE, line: expect.any(Number), column: expect.any(Number), fix: expect.any(String) });
			const where = `${FILE}:${problem.line}:${problem.column}${problem.field ? ` ${problem.field}:` : ''} ${problem.message}`;
			expect(error.message).toContain(`${where}\n    Fix: ${problem.fix}`);
		}
	});

	it('reports a typo in a field name with the field it most likely meant', () => {
		const error = manifestError(MINIMAL.replace('title: Demo', 'titel: Demo'));

		expect(error.message).toContain('Did you mean "title"?');
		expect(error.message).toMatchInlineSnapshot(`
			"The labs have problems:
			  labs/demo/lab.yaml:1:1 title: is required (expected string)
			    Fix: Give the lab a title, e.g. \`Steady state under a paused dependency\`.
			  labs/demo/lab.yaml:1:1 unknown field "titel"
			    Fix: Did you mean "title"? Known fields here: title, summary, minutes, images, containers, proxies, health, tasks."
		`);
	});

	// Zod reports an unknown key at the path of the object holding it; the problem must point at the key itself.
	it('points at the line of the mistyped field itself', () => {
		const error = manifestError(MINIMAL.replace('summary:', 'sumary:'));
		const unknown = error.problems.find((problem) => problem.message === 'unknown field "sumary"');

		expect(unknown).toMatchObject({ line: 2, column: 1 });
	});

	// Zod 4 leaves the input out of its issues; a wrong type must not be reported as a missing field.
	it('reports a number written as a word as the wrong type, not as missing', () => {
		const error = manifestError(MINIMAL.replace('summary: One container and one task.\n', 'summary: One container and one task.\nminutes: forty\n'));

		expect(error.message).toBe(
			[
				'The labs have problems:',
				'  labs/demo/lab.yaml:3:1 minutes: expected number, received string',
				'    Fix: Give the expected time in whole minutes.',
			].join('\n'),
		);
	});

	it('reports a container whose image is neither one of the lab\'s images nor a platform image', () => {
		const error = manifestError(TWO_CONTAINERS.replace('    image: web\n', '    image: nginx\n'));

		expect(error.problems.map((problem) => problem.field)).toEqual(['containers.web.image']);
		expect(error.message).toMatchInlineSnapshot(`
			"The labs have problems:
			  labs/demo/lab.yaml:10:5 containers.web.image: "nginx" is not one of this lab's images (web) nor a platform image
			    Fix: Add the image under \`images:\` with the folder of its Dockerfile, or use \`platform/workstation\`."
		`);
	});

	it('reports a lab without a workstation container', () => {
		const error = manifestError(MINIMAL.replace('    workstation: true\n', ''));

		expect(error.message).toMatchInlineSnapshot(`
			"The labs have problems:
			  labs/demo/lab.yaml:3:1 containers: exactly one container must have \`workstation: true\`, found none
			    Fix: Mark the container where the learner's terminal should open with \`workstation: true\`, and only that one."
		`);
	});

	it('reports a lab with two workstation containers, naming both', () => {
		const error = manifestError(TWO_CONTAINERS.replace('    image: web\n', '    image: web\n    workstation: true\n'));

		expect(error.message).toMatchInlineSnapshot(`
			"The labs have problems:
			  labs/demo/lab.yaml:5:1 containers: exactly one container must have \`workstation: true\`, found box, web
			    Fix: Mark the container where the learner's terminal should open with \`workstation: true\`, and only that one."
		`);
	});

	it('reports a check that runs in a container the lab does not have', () => {
		const error = manifestError(MINIMAL.replace('container: box', 'container: redis'));

		expect(error.message).toMatchInlineSnapshot(`
			"The labs have problems:
			  labs/demo/lab.yaml:15:7 tasks.0.check.container: "redis" is not a container of this lab (box)
			    Fix: Run the check in one of the containers listed under \`containers:\`, usually the workstation."
		`);
	});

	it('reports two tasks with the same id', () => {
		const secondTask = MINIMAL.slice(MINIMAL.indexOf('  - id: probe'));
		const error = manifestError(`${MINIMAL}${secondTask}`);

		expect(error.problems.map((problem) => problem.field)).toEqual(['tasks.1.id']);
		expect(error.message).toMatchInlineSnapshot(`
			"The labs have problems:
			  labs/demo/lab.yaml:17:5 tasks.1.id: task id "probe" is used twice
			    Fix: Give every task its own id; learners' results are stored by it."
		`);
	});

	it('reports a check script outside the lab folder', () => {
		const error = manifestError(MINIMAL.replace('script: checks/probe.sh', 'script: ../x.sh'));

		expect(error.message).toMatchInlineSnapshot(`
			"The labs have problems:
			  labs/demo/lab.yaml:16:7 tasks.0.check.script: must be a path inside the lab folder
			    Fix: Give a path relative to the lab folder, without \`..\`, e.g. \`checks/probe.sh\`."
		`);
	});

	it('reports an absolute check script path', () => {
		const error = manifestError(MINIMAL.replace('script: checks/probe.sh', 'script: /etc/passwd'));

		expect(error.problems.map((problem) => [problem.field, problem.message])).toEqual([
			['tasks.0.check.script', 'must be a path inside the lab folder'],
		]);
	});

	it('reports YAML that does not parse, with the parser\'s reason and a fix', () => {
		const error = manifestError(MINIMAL.replace('summary: One container and one task.', 'summary: One: container and one task.'));

		expect(error.problems).toEqual([
			expect.objectContaining({
				file: FILE,
				field: '',
				message: 'not valid YAML: Nested mappings are not allowed in compact mappings',
				fix: 'Check indentation, colons and quoting on that line (values that contain ": " or start with a special character need quotes).',
			}),
		]);
	});

	// With `prettyErrors: false` the yaml library leaves `linePos` empty; the position comes from `error.pos`.
	it('reports YAML that does not parse at the line and column of the mistake', () => {
		const error = manifestError(MINIMAL.replace('summary: One container and one task.', 'summary: One: container and one task.'));

		expect(error.message).toBe(
			[
				'The labs have problems:',
				'  labs/demo/lab.yaml:2:10 not valid YAML: Nested mappings are not allowed in compact mappings',
				'    Fix: Check indentation, colons and quoting on that line (values that contain ": " or start with a special character need quotes).',
			].join('\n'),
		);
	});

	it('lists every problem at once, not just the first', () => {
		const error = manifestError(
			MINIMAL.replace('title: Demo', 'title: ""').replace('container: box', 'container: redis').replace('script: checks/probe.sh', 'script: ../x.sh'),
		);

		expect(error.problems.map((problem) => problem.field).sort()).toEqual(['tasks.0.check.container', 'tasks.0.check.script', 'title']);
	});
});

describe('task hints and solutions', () => {
	it('takes hints as a list, none by default, and requires a solution with words and a script', () => {
		expect(parseManifest(MINIMAL).tasks[0]?.hints).toEqual([]);
		expect(parseManifest(MINIMAL.replace('    solution:', '    hints:\n      - Try curl.\n    solution:')).tasks[0]?.hints).toEqual(['Try curl.']);

		const missing = manifestError(MINIMAL.replace(/    solution:\n.*\n.*\n/, ''));
		expect(missing.problems).toEqual([expect.objectContaining({ field: 'tasks.0.solution', fix: expect.stringContaining('Give every task a `solution:`') })]);
		const outside = manifestError(MINIMAL.replace('script: solution/probe.sh', 'script: ../probe.sh'));
		expect(outside.problems).toEqual([expect.objectContaining({ field: 'tasks.0.solution.script', message: 'must be a path inside the lab folder' })]);
	});
});

describe('the health target', () => {
	it('is optional, with a one-second beat by default, and must name a container of the lab', () => {
		expect(parseManifest(MINIMAL).health).toBeUndefined();
		expect(parseManifest(`${MINIMAL}health:\n  url: http://box:8080/health\n`).health).toEqual({ url: 'http://box:8080/health', intervalMs: 1000, timeoutMs: 1000 });

		expect(manifestError(`${MINIMAL}health:\n  url: http://web:8080/health\n`).problems).toEqual([
			expect.objectContaining({ field: 'health.url', message: '"web" is not a container of this lab (box)' }),
		]);
		expect(manifestError(`${MINIMAL}health:\n  url: http://box:8080/health\n  intervalMs: 10\n`).problems).toEqual([expect.objectContaining({ field: 'health.intervalMs' })]);
	});
});
