import { access, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ImageRecipe } from '../../sandbox/images.ts';
import type { MemberSpec } from '../../sandbox/sandbox.ts';
import type { ContainerSpec } from '../../sandbox/spec.ts';
import { labManifestSchema, type LabManifest } from '../schemas/lab-manifest.ts';
import { parseYaml, validate, ValidationError, type Locator, type Problem } from '../schemas/problems.ts';

/** A lab as the platform uses it: its validated manifest, its check scripts, and its images as recipes. */
export interface Lab {
	id: string;
	manifest: LabManifest;
	/** Check script text by task id, read once so that a check always runs what was validated. */
	checkScripts: Map<string, string>;
	/** Solution script text by task id: shown to a learner who asks, and run by `npm run labs:verify`. */
	solutionScripts: Map<string, string>;
	/** Image recipe name for each container. */
	containerImages: Record<string, string>;
	workstation: string;
}

/** What a lesson page shows about a lab, without anything the learner should not see (check scripts). */
export interface LabSummary {
	id: string;
	title: string;
	summary: string;
	minutes?: number;
	tasks: { id: string; title: string; goal: string; hints: string[]; solution: { explanation: string; script: string } }[];
}

/** Images the platform itself provides to every lab, by the name a manifest uses. */
export const PLATFORM_IMAGES: Record<string, { recipe: string; folder: string; generated?: ImageRecipe['generated'] }> = {
	// The workstation carries the `chaos` runner and the `faults` command, bundled when the image is built.
	'platform/workstation': {
		recipe: 'workstation',
		folder: 'sandbox/images/workstation',
		generated: async () => ({
			'chaos/chaos.mjs': await (await import('../chaos/bundle.ts')).bundleChaos(),
			'faults/faults.mjs': await (await import('../faults/cli/bundle.ts')).bundleFaultsCli(),
		}),
	},
};

/**
 * The fault agent every sandbox gets as its helper container `faults`: the learner's fault API
 * (`http://faults/`) and the Toxiproxy-compatible proxy (`http://faults:8474`). It forwards fault
 * requests to the platform over the sandbox's own channel; the learner never controls it.
 */
export const FAULTS_HELPER = {
	name: 'faults',
	recipe: 'faults',
	folder: 'sandbox/images/faults',
	generated: async () => ({ 'agent/faults-agent.mjs': await (await import('../faults/agent/bundle.ts')).bundleFaultsAgent() }),
} satisfies { name: string; recipe: string; folder: string; generated: ImageRecipe['generated'] };

const FAULTS_HELPER_SPEC = {
	role: 'helper',
	// nobody: the agent needs no user of its own, and owns nothing in the image.
	user: '65534:65534',
	env: {},
	// The agent creates the file once both its APIs listen; checking it costs no second Node process.
	ready: { exec: ['test', '-e', '/tmp/ready'], timeoutSeconds: 30 },
	// Half a CPU: Node parsing the agent at a quarter CPU added seconds to every lab start.
	resources: { cpus: 0.5, memoryMb: 96, pids: 64 },
	readOnlyRoot: true,
	tmpfs: { '/tmp': '' },
} satisfies Omit<ContainerSpec, 'name' | 'image'>;

const TITLE = 'The labs have problems:';

export class LabCatalog {
	private readonly labs: Map<string, Lab>;
	readonly recipes: ImageRecipe[];

	private constructor(labs: Map<string, Lab>, recipes: ImageRecipe[]) {
		this.labs = labs;
		this.recipes = recipes;
	}

	/** Reads and checks every `labs/<id>/lab.yaml`, reporting the problems of all labs at once. */
	static async load(projectRoot: string): Promise<LabCatalog> {
		const labsDir = path.join(projectRoot, 'labs');
		const problems: Problem[] = [];
		const labs = new Map<string, Lab>();
		const recipes = new Map<string, ImageRecipe>(
			[...Object.values(PLATFORM_IMAGES), FAULTS_HELPER].map(({ recipe, folder, generated }) => [recipe, { name: recipe, context: path.join(projectRoot, folder), generated }]),
		);
		const entries = await readdir(labsDir, { withFileTypes: true }).catch(() => []);
		for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
			if (!entry.isDirectory() || entry.name.startsWith('_') || entry.name.startsWith('.')) continue;
			const lab = await loadLab(projectRoot, entry.name, problems);
			if (!lab) continue;
			labs.set(lab.id, lab);
			for (const [key, folder] of Object.entries(lab.manifest.images)) {
				const name = labImageRecipe(lab.id, key);
				recipes.set(name, { name, context: path.join(labsDir, lab.id, folder) });
			}
		}
		if (problems.length > 0) throw new ValidationError(TITLE, problems);
		return new LabCatalog(labs, [...recipes.values()]);
	}

	get(id: string): Lab | undefined {
		return this.labs.get(id);
	}

	list(): Lab[] {
		return [...this.labs.values()];
	}

	ids(): string[] {
		return [...this.labs.keys()];
	}
}

export function summarize(lab: Lab): LabSummary {
	return {
		id: lab.id,
		title: lab.manifest.title,
		summary: lab.manifest.summary,
		minutes: lab.manifest.minutes,
		tasks: lab.manifest.tasks.map(({ id, title, goal, hints, solution }) => ({
			id,
			title,
			goal,
			hints,
			// The solution is the learner's to read when they ask; the check script never leaves the platform.
			solution: { explanation: solution.explanation, script: lab.solutionScripts.get(id) ?? '' },
		})),
	};
}

/**
 * Who and where each container runs as. Workstation defaults keep manifests short: the learner is
 * uid 1000 in /home/learner.
 */
export function memberSpecs(lab: Lab): MemberSpec[] {
	const members: MemberSpec[] = Object.entries(lab.manifest.containers).map(([name, container]) => ({
		name,
		role: container.workstation ? 'workstation' : 'service',
		user: container.user ?? (container.workstation ? '1000:1000' : undefined),
		workdir: container.workdir ?? (container.workstation ? '/home/learner' : undefined),
	}));
	members.push({ name: FAULTS_HELPER.name, role: FAULTS_HELPER_SPEC.role, user: FAULTS_HELPER_SPEC.user });
	return members;
}

/**
 * The engine tag of every image a lab's containers run, by recipe name; `ensure` finds or builds one
 * (an ImageBuilder's `ensure`, possibly made cancellable by the caller).
 */
export async function labImageTags(lab: Lab, ensure: (recipe: string) => Promise<string>): Promise<Record<string, string>> {
	const tags: Record<string, string> = {};
	for (const recipe of new Set(Object.values(lab.containerImages))) tags[recipe] = await ensure(recipe);
	return tags;
}

/**
 * The sandbox a lab asks for, with its images resolved to engine tags, plus the fault helper with
 * `channel`, the host folder of this sandbox's channel to the platform.
 */
export function containerSpecs(lab: Lab, imageTags: Record<string, string>, channel: string): ContainerSpec[] {
	return memberSpecs(lab).map((member) => {
		const tag = imageTags[lab.containerImages[member.name] ?? ''];
		if (member.name === FAULTS_HELPER.name) {
			if (!tag) throw new Error(`No image was prepared for the fault helper of lab ${lab.id}`);
			return { ...FAULTS_HELPER_SPEC, name: member.name, image: tag, channel, command: faultsAgentCommand(lab) };
		}
		const container = lab.manifest.containers[member.name];
		if (!container || !tag) throw new Error(`No image was prepared for container ${member.name} of lab ${lab.id}`);
		return {
			...member,
			image: tag,
			command: container.command,
			env: container.env,
			ready: container.ready,
			resources: container.resources,
			readOnlyRoot: container.readOnlyRoot,
			tmpfs: container.tmpfs,
			restart: container.restart,
		};
	});
}

/**
 * Arguments to the agent (the image's entrypoint): the lab's proxies, created before it is ready,
 * and its health target, which the agent samples for the platform.
 */
export function faultsAgentCommand(lab: Lab): string[] | undefined {
	const args: string[] = [];
	const proxies = Object.entries(lab.manifest.proxies).map(([name, proxy]) => ({ name, listen: `0.0.0.0:${proxy.listen}`, upstream: proxy.upstream, enabled: true }));
	if (proxies.length > 0) args.push('--proxies', JSON.stringify(proxies));
	if (lab.manifest.health) args.push('--health', JSON.stringify(lab.manifest.health));
	return args.length > 0 ? args : undefined;
}

export function labImageRecipe(labId: string, key: string): string {
	return `lab-${labId}-${key}`;
}

async function loadLab(projectRoot: string, id: string, problems: Problem[]): Promise<Lab | undefined> {
	const file = path.posix.join('labs', id, 'lab.yaml');
	const labDir = path.join(projectRoot, 'labs', id);
	if (!/^[a-z][a-z0-9-]{0,40}$/.test(id)) {
		problems.push({ file: `labs/${id}/`, field: '', message: `"${id}" is not a valid lab id`, fix: 'Rename the folder to lowercase letters, digits and dashes, starting with a letter; the folder name is the lab\'s id.' });
		return undefined;
	}
	const text = await readFile(path.join(labDir, 'lab.yaml'), 'utf8').catch(() => undefined);
	if (text === undefined) {
		problems.push({ file, field: '', message: 'is missing', fix: `Add labs/${id}/lab.yaml (see README, "Writing a lab"), or prefix the folder with \`_\` to leave it out.` });
		return undefined;
	}
	let manifest: LabManifest;
	let locate: Locator;
	try {
		const parsed = parseYaml(text, file, TITLE);
		locate = parsed.locate;
		manifest = validate(labManifestSchema, parsed.value ?? {}, file, TITLE, locate);
	} catch (error) {
		if (error instanceof ValidationError) {
			problems.push(...error.problems);
			return undefined;
		}
		throw error;
	}

	const at = (fieldPath: (string | number)[]) => ({ field: fieldPath.join('.'), ...locateOrEmpty(locate, fieldPath) });
	for (const [key, folder] of Object.entries(manifest.images)) {
		if (!(await exists(path.join(labDir, folder, 'Dockerfile')))) {
			problems.push({ file, ...at(['images', key]), message: `labs/${id}/${folder}/Dockerfile does not exist`, fix: 'Point the image at a folder of this lab that holds a Dockerfile.' });
		}
	}
	const checkScripts = new Map<string, string>();
	const solutionScripts = new Map<string, string>();
	for (const [index, task] of manifest.tasks.entries()) {
		const solution = await readFile(path.join(labDir, task.solution.script), 'utf8').catch(() => undefined);
		if (solution === undefined) {
			problems.push({ file, ...at(['tasks', index, 'solution', 'script']), message: `labs/${id}/${task.solution.script} is not a readable file`, fix: 'Add the solution script, or correct the path (it is relative to the lab folder).' });
		} else {
			solutionScripts.set(task.id, solution);
		}
		const script = await readFile(path.join(labDir, task.check.script), 'utf8').catch(() => undefined);
		if (script === undefined) {
			problems.push({ file, ...at(['tasks', index, 'check', 'script']), message: `labs/${id}/${task.check.script} is not a readable file`, fix: 'Add the check script, or correct the path (it is relative to the lab folder).' });
		} else {
			checkScripts.set(task.id, script);
		}
	}
	const containerImages: Record<string, string> = { [FAULTS_HELPER.name]: FAULTS_HELPER.recipe };
	for (const [name, container] of Object.entries(manifest.containers)) {
		if (name === FAULTS_HELPER.name) {
			problems.push({ file, ...at(['containers', name]), message: `"${name}" is the name of the platform's fault agent in every sandbox`, fix: 'Give this container another name.' });
			continue;
		}
		const platformImage = PLATFORM_IMAGES[container.image];
		if (container.image.startsWith('platform/') && !platformImage) {
			problems.push({ file, ...at(['containers', name, 'image']), message: `"${container.image}" is not a platform image`, fix: `Use one of: ${Object.keys(PLATFORM_IMAGES).join(', ')}, or one of this lab's images.` });
			continue;
		}
		containerImages[name] = platformImage ? platformImage.recipe : labImageRecipe(id, container.image);
	}
	const workstation = Object.keys(manifest.containers).find((name) => manifest.containers[name]?.workstation) ?? '';
	return { id, manifest, checkScripts, solutionScripts, containerImages, workstation };
}

function locateOrEmpty(locate: Locator, fieldPath: (string | number)[]) {
	const position = locate(fieldPath);
	return position ? { line: position.line, column: position.column } : {};
}

async function exists(file: string): Promise<boolean> {
	return access(file).then(
		() => true,
		() => false,
	);
}
