import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../schemas/problems.ts';
import { containerSpecs, LabCatalog, memberSpecs, summarize } from './catalog.ts';

const repositoryRoot = path.resolve(import.meta.dirname, '..', '..');

const DEMO_MANIFEST = `title: Demo
summary: A workstation and a web service.
images:
  web: images/web
containers:
  box:
    image: platform/workstation
    workstation: true
  web:
    image: web
    user: www:www
    command: [web-server, --port, "8080"]
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

let root: string;

beforeEach(async () => {
	root = await mkdtemp(path.join(tmpdir(), 'steady-labs-'));
});

afterEach(async () => {
	await rm(root, { recursive: true, force: true });
});

async function writeProject(files: Record<string, string>): Promise<void> {
	for (const [name, text] of Object.entries(files)) {
		const file = path.join(root, name);
		await mkdir(path.dirname(file), { recursive: true });
		await writeFile(file, text);
	}
}

/** A complete, valid lab `demo`, to which a test adds or removes one thing. */
function demoLab(manifest = DEMO_MANIFEST): Record<string, string> {
	return {
		'labs/demo/lab.yaml': manifest,
		'labs/demo/images/web/Dockerfile': 'FROM scratch\n',
		'labs/demo/checks/probe.sh': '#!/bin/sh\necho "demo check"\n',
		'labs/demo/solution/probe.sh': '#!/bin/sh\necho "demo solution"\n',
	};
}

async function loadError(): Promise<ValidationError> {
	const error = await LabCatalog.load(root).then(
		() => undefined,
		(caught: unknown) => caught,
	);
	if (error instanceof ValidationError) return error;
	throw new Error(`expected the labs to be rejected, got ${String(error)}`);
}

describe('the labs in this repository', () => {
	it('load, with the steady-state lab\'s workstation, check script and images', async () => {
		const catalog = await LabCatalog.load(repositoryRoot);
		const lab = catalog.get('steady-state');

		expect(catalog.ids()).toContain('steady-state');
		expect(lab?.workstation).toBe('workstation');
		expect(lab?.checkScripts.get('probe')).toBe(await readFile(path.join(repositoryRoot, 'labs/steady-state/checks/probe.sh'), 'utf8'));
		expect(lab?.containerImages).toEqual({
			faults: 'faults',
			workstation: 'lab-steady-state-workstation',
			storefront: 'lab-steady-state-storefront',
			redis: 'lab-steady-state-redis',
		});
	});

	it('give image recipes for the platform workstation and each of the lab\'s images, with their build folders', async () => {
		const catalog = await LabCatalog.load(repositoryRoot);

		expect(catalog.recipes).toEqual(
			expect.arrayContaining([
				{ name: 'workstation', context: path.join(repositoryRoot, 'sandbox/images/workstation'), generated: expect.any(Function) },
				{ name: 'lab-steady-state-workstation', context: path.join(repositoryRoot, 'labs/steady-state/images/workstation') },
				{ name: 'lab-steady-state-storefront', context: path.join(repositoryRoot, 'labs/steady-state/images/storefront') },
				{ name: 'lab-steady-state-redis', context: path.join(repositoryRoot, 'labs/steady-state/images/redis') },
			]),
		);
	});

	it('bundle the chaos runner and the faults command into the workstation image, each one Node module with a shebang', async () => {
		const catalog = await LabCatalog.load(repositoryRoot);
		const workstation = catalog.recipes.find((recipe) => recipe.name === 'workstation');
		const files = await workstation?.generated?.();
		const bundle = String(files?.['chaos/chaos.mjs'] ?? '');

		expect(Object.keys(files ?? {})).toEqual(['chaos/chaos.mjs', 'faults/faults.mjs']);
		expect(String(files?.['faults/faults.mjs']).startsWith('#!/usr/bin/env node\n')).toBe(true);
		expect(bundle.startsWith('#!/usr/bin/env node\n')).toBe(true);
		// Self-contained: nothing left for a node_modules the image does not have.
		expect(bundle).not.toMatch(/from ["'](zod|yaml|esbuild)["']/);
		expect(bundle).toContain('Experiment looks valid');
	});

	it('summarize a lab for a lesson page without its check scripts', async () => {
		const lab = (await LabCatalog.load(repositoryRoot)).get('steady-state');
		if (!lab) throw new Error('the steady-state lab is missing');
		const summary = summarize(lab);
		const firstLine = lab.checkScripts.get('probe')?.split('\n')[0];

		expect(summary).toMatchObject({ id: 'steady-state', title: lab.manifest.title, tasks: [{ id: 'probe', title: 'Write a steady-state probe' }] });
		expect(Object.keys(summary).sort()).toEqual(['id', 'minutes', 'summary', 'tasks', 'title']);
		expect(Object.keys(summary.tasks[0] ?? {}).sort()).toEqual(['goal', 'hints', 'id', 'solution', 'title']);
		expect(summary.tasks[0]?.hints.length).toBeGreaterThan(0);
		expect(summary.tasks[0]?.solution.script).toContain('steady-state.sh');
		expect(firstLine).toBe('#!/bin/bash');
		expect(JSON.stringify(summary)).not.toContain(firstLine);
		expect(JSON.stringify(summary)).not.toContain('checks/probe.sh');
	});
});

describe('LabCatalog.load on a project of its own', () => {
	it('loads a valid lab, resolving platform and lab images to recipes', async () => {
		await writeProject(demoLab());

		const catalog = await LabCatalog.load(root);

		expect(catalog.ids()).toEqual(['demo']);
		expect(catalog.get('demo')?.containerImages).toEqual({ faults: 'faults', box: 'workstation', web: 'lab-demo-web' });
		expect(catalog.get('demo')?.checkScripts.get('probe')).toBe('#!/bin/sh\necho "demo check"\n');
		expect(catalog.recipes.map((recipe) => recipe.name).sort()).toEqual(['faults', 'lab-demo-web', 'workstation']);
	});

	it('has no labs, only the platform\'s recipes, when there is no labs folder', async () => {
		const catalog = await LabCatalog.load(root);

		expect(catalog.list()).toEqual([]);
		expect(catalog.recipes).toEqual([
			{ name: 'workstation', context: path.join(root, 'sandbox/images/workstation'), generated: expect.any(Function) },
			{ name: 'faults', context: path.join(root, 'sandbox/images/faults'), generated: expect.any(Function) },
		]);
	});

	it('leaves out a lab folder whose name starts with _', async () => {
		await writeProject({ ...demoLab(), 'labs/_wip/notes.txt': 'not a lab yet' });

		expect((await LabCatalog.load(root)).ids()).toEqual(['demo']);
	});

	it('reports a lab folder without lab.yaml', async () => {
		await writeProject({ 'labs/empty/notes.txt': 'nothing here' });

		expect((await loadError()).message).toMatchInlineSnapshot(`
			"The labs have problems:
			  labs/empty/lab.yaml is missing
			    Fix: Add labs/empty/lab.yaml (see README, "Writing a lab"), or prefix the folder with \`_\` to leave it out."
		`);
	});

	it('reports a lab folder whose name cannot be a lab id', async () => {
		await writeProject({ 'labs/My_Lab/lab.yaml': DEMO_MANIFEST });

		expect((await loadError()).problems).toEqual([
			{
				file: 'labs/My_Lab/',
				field: '',
				message: '"My_Lab" is not a valid lab id',
				fix: 'Rename the folder to lowercase letters, digits and dashes, starting with a letter; the folder name is the lab\'s id.',
			},
		]);
	});

	it('reports an image folder without a Dockerfile at the image\'s line', async () => {
		const { 'labs/demo/images/web/Dockerfile': _dockerfile, ...files } = demoLab();
		await writeProject(files);

		expect((await loadError()).message).toMatchInlineSnapshot(`
			"The labs have problems:
			  labs/demo/lab.yaml:4:3 images.web: labs/demo/images/web/Dockerfile does not exist
			    Fix: Point the image at a folder of this lab that holds a Dockerfile."
		`);
	});

	it('reports a missing check script at its line', async () => {
		const { 'labs/demo/checks/probe.sh': _script, ...files } = demoLab();
		await writeProject(files);

		expect((await loadError()).message).toMatchInlineSnapshot(`
			"The labs have problems:
			  labs/demo/lab.yaml:22:7 tasks.0.check.script: labs/demo/checks/probe.sh is not a readable file
			    Fix: Add the check script, or correct the path (it is relative to the lab folder)."
		`);
	});

	it('reports a platform image the platform does not provide', async () => {
		await writeProject(demoLab(DEMO_MANIFEST.replace('image: platform/workstation', 'image: platform/unknown')));

		expect((await loadError()).message).toMatchInlineSnapshot(`
			"The labs have problems:
			  labs/demo/lab.yaml:7:5 containers.box.image: "platform/unknown" is not a platform image
			    Fix: Use one of: platform/workstation, or one of this lab's images."
		`);
	});

	it('reports manifest problems with the lab.yaml path', async () => {
		await writeProject(demoLab(DEMO_MANIFEST.replace('title: Demo', 'titel: Demo')));

		expect((await loadError()).problems.map((problem) => [problem.file, problem.message])).toEqual([
			['labs/demo/lab.yaml', 'is required (expected string)'],
			['labs/demo/lab.yaml', 'unknown field "titel"'],
		]);
	});

	it('reports the problems of every lab in one error, and loads none of them', async () => {
		const { 'labs/demo/checks/probe.sh': _script, ...files } = demoLab();
		await writeProject({
			...files,
			'labs/empty/notes.txt': 'nothing here',
			'labs/good/lab.yaml': DEMO_MANIFEST,
			'labs/good/images/web/Dockerfile': 'FROM scratch\n',
			'labs/good/checks/probe.sh': 'exit 0\n',
			'labs/good/solution/probe.sh': 'exit 0\n',
		});

		expect((await loadError()).problems.map((problem) => problem.file)).toEqual(['labs/demo/lab.yaml', 'labs/empty/lab.yaml']);
	});
});

describe('memberSpecs and containerSpecs', () => {
	async function demo() {
		await writeProject(demoLab());
		const lab = (await LabCatalog.load(root)).get('demo');
		if (!lab) throw new Error('the demo lab did not load');
		return lab;
	}

	it('run the workstation as uid 1000 in /home/learner unless the manifest says otherwise', async () => {
		expect(memberSpecs(await demo())).toEqual([
			{ name: 'box', role: 'workstation', user: '1000:1000', workdir: '/home/learner' },
			{ name: 'web', role: 'service', user: 'www:www', workdir: undefined },
			{ name: 'faults', role: 'helper', user: '65534:65534' },
		]);
	});

	it('refuse a lab container named like the platform\'s fault agent', async () => {
		await writeProject(demoLab(DEMO_MANIFEST.replace('  web:\n', '  faults:\n')));

		await expect(LabCatalog.load(root)).rejects.toThrow(/"faults" is the name of the platform's fault agent/);
	});

	it('keep the workstation user and workdir a manifest gives', async () => {
		await writeProject(demoLab(DEMO_MANIFEST.replace('    workstation: true\n', '    workstation: true\n    user: "2000"\n    workdir: /work\n')));
		const lab = (await LabCatalog.load(root)).get('demo');

		expect(lab && memberSpecs(lab)[0]).toEqual({ name: 'box', role: 'workstation', user: '2000', workdir: '/work' });
		expect(lab && memberSpecs(lab).at(-1)).toEqual({ name: 'faults', role: 'helper', user: '65534:65534' });
	});

	it('give each container its image tag and the manifest\'s settings', async () => {
		const lab = await demo();

		const specs = containerSpecs(lab, { workstation: 'steady-state/workstation:aaa', 'lab-demo-web': 'steady-state/lab-demo-web:bbb', faults: 'steady-state/faults:ccc' }, '/srv/channels/abc');

		expect(specs).toEqual([
			{
				name: 'box',
				role: 'workstation',
				user: '1000:1000',
				workdir: '/home/learner',
				image: 'steady-state/workstation:aaa',
				command: undefined,
				env: {},
				ready: undefined,
				resources: { cpus: 0.5, memoryMb: 256, pids: 256 },
				readOnlyRoot: true,
				tmpfs: { '/tmp': '', '/run': '' },
				restart: { policy: 'never', delaySeconds: 2 },
			},
			expect.objectContaining({ name: 'web', role: 'service', image: 'steady-state/lab-demo-web:bbb', command: ['web-server', '--port', '8080'] }),
			// Every sandbox gets the platform's fault agent, the only container with the channel.
			expect.objectContaining({ name: 'faults', role: 'helper', image: 'steady-state/faults:ccc', user: '65534:65534', readOnlyRoot: true, channel: '/srv/channels/abc' }),
		]);
		expect(specs.filter((spec) => spec.channel)).toHaveLength(1);
		// With no proxies, the agent runs with its image's own arguments.
		expect(specs.at(-1)?.command).toBeUndefined();
	});

	it('pass the lab\'s proxies to the fault agent and its restart policy to each service', async () => {
		await writeProject(
			demoLab(
				DEMO_MANIFEST.replace('  web:\n', '  web:\n    restart:\n      policy: on-failure\n').replace(/^tasks:\n/m, 'proxies:\n  web:\n    listen: 28080\n    upstream: web:8080\ntasks:\n'),
			),
		);
		const lab = (await LabCatalog.load(root)).get('demo');
		if (!lab) throw new Error('the demo lab did not load');

		const specs = containerSpecs(lab, { workstation: 'steady-state/workstation:aaa', 'lab-demo-web': 'steady-state/lab-demo-web:bbb', faults: 'steady-state/faults:ccc' }, '/srv/channels/abc');

		expect(specs.find((spec) => spec.name === 'web')?.restart).toEqual({ policy: 'on-failure', delaySeconds: 2 });
		expect(specs.find((spec) => spec.name === 'faults')?.command).toEqual(['--proxies', '[{"name":"web","listen":"0.0.0.0:28080","upstream":"web:8080","enabled":true}]']);
	});

	it('refuse to build specs when an image has no tag yet', async () => {
		const lab = await demo();

		expect(() => containerSpecs(lab, { workstation: 'steady-state/workstation:aaa', faults: 'steady-state/faults:ccc' }, '/srv/channels/abc')).toThrowErrorMatchingInlineSnapshot(
			`[Error: No image was prepared for container web of lab demo]`,
		);
	});
});
