import { z } from 'zod';
import { withFix } from './problems.ts';

/**
 * A lab's manifest, `labs/<id>/lab.yaml`: the containers of a learner's sandbox, the images they
 * run, and the tasks with the checks that grade them. Paths are relative to the lab's folder.
 */

const NAME = /^[a-z][a-z0-9-]{0,30}$/;
const nameFix = 'Use a short lowercase name: letters, digits and dashes, starting with a letter (e.g. `storefront`).';

const relativePath = withFix(
	z
		.string()
		.min(1)
		.refine((value) => !value.startsWith('/') && !value.split('/').includes('..'), 'must be a path inside the lab folder'),
	'Give a path relative to the lab folder, without `..`, e.g. `checks/probe.sh`.',
);

const absolutePath = withFix(
	z.string().regex(/^\/[A-Za-z0-9._/-]*$/, 'must be an absolute path'),
	'Give an absolute path inside the container, e.g. `/home/learner`.',
);

/** A writable in-memory mount. A bare path, or `path: options` with tmpfs options such as `uid=1000,exec,size=32m`. */
const tmpfsSchema = z.record(absolutePath, withFix(z.string(), 'Give tmpfs mount options as one string, e.g. `"uid=1000,gid=1000,mode=0755,exec"`, or `""` for none.'));

const readySchema = z.strictObject({
	exec: withFix(
		z.array(z.string().min(1)).min(1),
		'Give the command as a list of arguments that exits 0 once the container is ready, e.g. `exec: ["redis-cli", "ping"]`.',
	),
	timeoutSeconds: withFix(z.number().int().min(1).max(300).default(30), 'Give whole seconds between 1 and 300.'),
});

const resourcesSchema = z.strictObject({
	cpus: withFix(z.number().positive().max(2).default(0.5), 'Give a fraction of a CPU between 0 and 2, e.g. `0.5`.'),
	memoryMb: withFix(z.number().int().min(16).max(2048).default(256), 'Give whole megabytes between 16 and 2048, e.g. `256`.'),
	pids: withFix(z.number().int().min(16).max(4096).default(256), 'Give a process limit between 16 and 4096, e.g. `256`.'),
});

/**
 * What the platform does when a container's main process ends on its own (a kill fault, a crash).
 * The platform restarts it after the delay, as an orchestrator would; a `stop` fault is deliberate
 * and is never undone by the policy.
 */
export const RESTART_POLICIES = ['never', 'on-failure', 'always'] as const;

const restartSchema = z.strictObject({
	policy: withFix(
		z.enum(RESTART_POLICIES).default('never'),
		'Use `never` (stays down until started), `on-failure` (restarted when it exits non-zero, e.g. killed) or `always`.',
	),
	delaySeconds: withFix(z.number().min(0).max(60).default(2), 'Give seconds between 0 and 60 before the restart, e.g. `2`.'),
});

/** Ports the fault agent keeps for itself: the fault API and the proxy API. */
const AGENT_PORTS = [80, 8474];

/**
 * A fault proxy the lab places between two of its services: it listens on `faults:<listen>` and
 * forwards to `upstream`. The lab points the client at the proxy, and the learner adds toxics to it
 * by its name through the Toxiproxy API at http://faults:8474.
 */
const proxySchema = z.strictObject({
	listen: withFix(
		z
			.number()
			.int()
			.min(1)
			.max(65535)
			.refine((port) => !AGENT_PORTS.includes(port), 'is a port the fault agent uses itself'),
		'Give the port the proxy listens on in the `faults` container, other than 80 and 8474, e.g. `26379`.',
	),
	upstream: withFix(
		z.string().regex(/^[a-z][a-z0-9-]{0,30}:\d{1,5}$/, 'must be container:port'),
		'Give the container and port the proxy forwards to, e.g. `redis:6379`.',
	),
});

const containerSchema = z.strictObject({
	image: withFix(
		z.string().min(1),
		'Name an image from this manifest\'s `images`, or a platform image: `platform/workstation`.',
	),
	/** The learner's terminal lands in the one container marked `workstation: true`. */
	workstation: z.boolean().default(false),
	user: withFix(z.string().regex(/^[a-z0-9_-]+(:[a-z0-9_-]+)?$/).optional(), 'Give a user name or uid, optionally with a group, e.g. `1000` or `redis:redis`.'),
	workdir: absolutePath.optional(),
	command: withFix(z.array(z.string()).min(1).optional(), 'Give the command as a list of arguments, e.g. `["redis-server", "/etc/redis/lab.conf"]`.'),
	env: withFix(z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}), 'Give environment variables as `NAME: "value"` pairs; quote numbers.'),
	ready: readySchema.optional(),
	resources: resourcesSchema.prefault({}),
	readOnlyRoot: withFix(z.boolean().default(true), 'Use `true` (the default) unless the container must write outside its tmpfs mounts.'),
	tmpfs: tmpfsSchema.default({ '/tmp': '', '/run': '' }),
	restart: restartSchema.prefault({}),
});

const checkSchema = z.strictObject({
	/** The container the platform runs the check script in. */
	container: withFix(z.string().min(1), 'Name one of this manifest\'s `containers`.'),
	script: relativePath,
	timeoutSeconds: withFix(z.number().int().min(1).max(600).default(60), 'Give whole seconds between 1 and 600.'),
});

/**
 * How to complete a task: said in words for the learner who asks, and as a script that
 * `npm run labs:verify` runs as the learner in the workstation to prove the check can pass.
 */
const solutionSchema = withFix(
	z.strictObject({
		explanation: withFix(z.string().min(1), 'Explain the solution in a few sentences: what to do and why it works.'),
		script: relativePath,
	}),
	'Give every task a `solution:` with `explanation:` (for the learner) and `script:` (a shell script, relative to the lab folder, that does the task in the workstation).',
);

const taskSchema = z.strictObject({
	id: withFix(z.string().regex(NAME), nameFix),
	title: withFix(z.string().min(1), 'Give the task a short title, e.g. `Write a steady-state probe`.'),
	/** One or two sentences the lab panel shows beside the task. */
	goal: withFix(z.string().min(1), 'Say in a sentence or two what the learner must achieve.'),
	/** Shown one at a time when the learner asks, gentlest first. */
	hints: withFix(z.array(z.string().min(1)).max(5).default([]), 'List up to five hints, gentlest first, one item per line starting with `- `.'),
	solution: solutionSchema,
	check: checkSchema,
});

export const labManifestSchema = z
	.strictObject({
		title: withFix(z.string().min(1), 'Give the lab a title, e.g. `Steady state under a paused dependency`.'),
		summary: withFix(z.string().min(1), 'Say in one sentence what the learner does in this lab.'),
		minutes: withFix(z.number().int().min(1).max(600).optional(), 'Give the expected time in whole minutes.'),
		/** Images this lab builds: a name and the folder holding its Dockerfile. */
		images: withFix(z.record(z.string().regex(NAME), relativePath).default({}), 'Map image names to folders with a Dockerfile, e.g. `redis: images/redis`.'),
		containers: withFix(
			z.record(z.string().regex(NAME, 'must be a short lowercase name'), containerSchema).refine((containers) => Object.keys(containers).length > 0, 'needs at least one container'),
			'List the sandbox\'s containers by name (lowercase letters, digits and dashes), each with at least an `image:`.',
		),
		/** Fault proxies by name, the name the learner uses in the Toxiproxy API. */
		proxies: withFix(
			z.record(z.string().regex(NAME, 'must be a short lowercase name'), proxySchema).default({}),
			'Name each proxy (lowercase letters, digits and dashes), e.g. `redis: { listen: 26379, upstream: "redis:6379" }`.',
		),
		/**
		 * What the platform's own probe watches while the lab runs: one HTTP address in the sandbox,
		 * asked on a fixed beat. Its samples are evidence for checks and the run timeline.
		 */
		health: withFix(
			z
				.strictObject({
					url: withFix(z.url({ protocol: /^http$/ }), 'Give an http:// address of one of this lab\'s containers, e.g. `http://storefront:8080/health`.'),
					intervalMs: withFix(z.number().int().min(250).max(10_000).default(1000), 'Give whole milliseconds between 250 and 10000.'),
					timeoutMs: withFix(z.number().int().min(100).max(10_000).default(1000), 'Give whole milliseconds between 100 and 10000.'),
				})
				.optional(),
			'Give `health:` with `url:` (and optionally `intervalMs:` and `timeoutMs:`).',
		),
		tasks: withFix(z.array(taskSchema).min(1), 'Give the lab at least one task with a check.'),
	})
	.superRefine((manifest, context) => {
		const containerNames = Object.keys(manifest.containers);
		// With no containers at all, the refine above has said so; nothing else here can be checked.
		if (containerNames.length === 0) return;
		const workstations = containerNames.filter((name) => manifest.containers[name]?.workstation);
		if (workstations.length !== 1) {
			context.addIssue({
				code: 'custom',
				path: ['containers'],
				message: `exactly one container must have \`workstation: true\`, found ${workstations.length === 0 ? 'none' : workstations.join(', ')}`,
				params: { fix: 'Mark the container where the learner\'s terminal should open with `workstation: true`, and only that one.' },
			});
		}
		for (const [name, container] of Object.entries(manifest.containers)) {
			if (!container.image.startsWith('platform/') && !(container.image in manifest.images)) {
				context.addIssue({
					code: 'custom',
					path: ['containers', name, 'image'],
					message: `"${container.image}" is not one of this lab's images (${Object.keys(manifest.images).join(', ') || 'none'}) nor a platform image`,
					params: { fix: 'Add the image under `images:` with the folder of its Dockerfile, or use `platform/workstation`.' },
				});
			}
		}
		const ports = new Map<number, string>();
		for (const [name, proxy] of Object.entries(manifest.proxies)) {
			const upstream = proxy.upstream.split(':')[0] ?? '';
			if (!containerNames.includes(upstream)) {
				context.addIssue({
					code: 'custom',
					path: ['proxies', name, 'upstream'],
					message: `"${upstream}" is not a container of this lab (${containerNames.join(', ')})`,
					params: { fix: 'Forward to one of the containers listed under `containers:`, e.g. `redis:6379`.' },
				});
			}
			const other = ports.get(proxy.listen);
			if (other) {
				context.addIssue({
					code: 'custom',
					path: ['proxies', name, 'listen'],
					message: `port ${proxy.listen} is already the proxy "${other}"'s`,
					params: { fix: 'Give every proxy its own port.' },
				});
			}
			ports.set(proxy.listen, name);
		}
		const healthHost = manifest.health ? new URL(manifest.health.url).hostname : undefined;
		if (healthHost !== undefined && !containerNames.includes(healthHost)) {
			context.addIssue({
				code: 'custom',
				path: ['health', 'url'],
				message: `"${healthHost}" is not a container of this lab (${containerNames.join(', ')})`,
				params: { fix: 'Point the health probe at one of the containers listed under `containers:`, by name.' },
			});
		}
		const seen = new Set<string>();
		manifest.tasks.forEach((task, index) => {
			if (seen.has(task.id)) {
				context.addIssue({ code: 'custom', path: ['tasks', index, 'id'], message: `task id "${task.id}" is used twice`, params: { fix: 'Give every task its own id; learners\' results are stored by it.' } });
			}
			seen.add(task.id);
			if (!containerNames.includes(task.check.container)) {
				context.addIssue({
					code: 'custom',
					path: ['tasks', index, 'check', 'container'],
					message: `"${task.check.container}" is not a container of this lab (${containerNames.join(', ')})`,
					params: { fix: 'Run the check in one of the containers listed under `containers:`, usually the workstation.' },
				});
			}
		});
	});

export type LabManifest = z.output<typeof labManifestSchema>;
export type LabContainer = LabManifest['containers'][string];
export type LabTask = LabManifest['tasks'][number];
export type LabProxy = LabManifest['proxies'][string];
export type RestartPolicy = LabContainer['restart'];
