import { z } from 'zod';
import { problemsFromZod, withFix } from '../schemas/problems.ts';
import { LabError } from '../platform/errors.ts';

/**
 * A learner's request for a state or resource fault in their own sandbox, as it arrives from the
 * fault API or the `faults` command. Each kind has its own strict parameters; targets are member
 * names of the sandbox (whether one exists is the service's question, not the schema's).
 */

/** Signals a learner may send, by their full name; `KILL`, `kill` and `SIGKILL` all mean SIGKILL. */
export const SIGNALS = ['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;
export type Signal = (typeof SIGNALS)[number];

/** A pressure fault never outlives this, whatever was asked; the lab is a short exercise. */
export const MAX_PRESSURE_SECONDS = 600;
/** CPU workers when the target has no CPU limit of its own; with one, its limit rounded up (at most this). */
export const MAX_CPU_WORKERS = 4;
/** The largest memory limit a lab manifest can give a container. */
export const MAX_MEMORY_MEGABYTES = 2048;

const target = withFix(
	z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'must be a container name'),
	'Name one of your sandbox\'s containers, e.g. `redis`.',
);

const signal = withFix(
	z
		.string()
		.transform((value) => {
			const upper = value.trim().toUpperCase();
			return upper.startsWith('SIG') ? upper : `SIG${upper}`;
		})
		.pipe(z.enum(SIGNALS)),
	`Give one of ${SIGNALS.join(', ')} (with or without the SIG prefix).`,
);

const seconds = withFix(
	z.number().int().min(1).max(MAX_PRESSURE_SECONDS).default(30),
	`Give whole seconds from 1 to ${MAX_PRESSURE_SECONDS}, e.g. \`30\`.`,
);

const containerFault = <K extends string>(kind: K) => z.strictObject({ kind: z.literal(kind), target });

/** Interface delay never exceeds this, as the fault proxy's latency does not: past it, a lab is only waiting. */
export const MAX_NETEM_DELAY_MS = 60_000;

const delayMilliseconds = z.number().int().max(MAX_NETEM_DELAY_MS, `must be at most ${MAX_NETEM_DELAY_MS} ms (one minute)`);

const percent = withFix(
	z.number().gt(0).max(100),
	'Give a percentage of packets above 0 and at most 100, e.g. `5` or `0.5`.',
);

/** An interface fault on a share of the target's packets, through the kernel's netem. */
const packetFault = <K extends string>(kind: K) => z.strictObject({ kind: z.literal(kind), target, percent });

export const faultSchemas = {
	/** Sends a signal to the container's main process: the engine's `kill`. */
	kill: z.strictObject({ kind: z.literal('kill'), target, signal: signal.default('SIGKILL') }),
	stop: containerFault('stop'),
	start: containerFault('start'),
	restart: containerFault('restart'),
	pause: containerFault('pause'),
	unpause: containerFault('unpause'),
	/** Signals every process of that name inside the target, as the target's own user. */
	'kill-process': z.strictObject({
		kind: z.literal('kill-process'),
		target,
		process: withFix(
			z.string().regex(/^[A-Za-z0-9._+:-]{1,64}$/, 'must be a process name'),
			'Give the process\'s command name as `ps` shows it, e.g. `redis-server`.',
		),
		signal: signal.default('SIGKILL'),
	}),
	/** Busy loops inside the target, so the load counts against the target's own CPU limit. */
	cpu: z.strictObject({
		kind: z.literal('cpu'),
		target,
		workers: withFix(
			z.number().int().min(1).max(MAX_CPU_WORKERS).default(1),
			`Give a whole number of busy workers from 1 to ${MAX_CPU_WORKERS} (at most the target's CPU limit, rounded up).`,
		),
		seconds,
	}),
	/** Memory held by a process inside the target, so it counts against the target's own memory limit. */
	memory: z.strictObject({
		kind: z.literal('memory'),
		target,
		megabytes: withFix(
			z.number().int().min(1).max(MAX_MEMORY_MEGABYTES),
			'Give whole megabytes, less than the target\'s memory limit, e.g. `64`.',
		),
		seconds,
	}),
	/** Holds every packet the target sends for a while (netem delay), with optional jitter. */
	delay: z.strictObject({
		kind: z.literal('delay'),
		target,
		milliseconds: withFix(delayMilliseconds.min(1), `Give whole milliseconds from 1 to ${MAX_NETEM_DELAY_MS}, e.g. \`300\`.`),
		jitter: withFix(delayMilliseconds.min(0).default(0), 'Give whole milliseconds of jitter, at most the delay itself, e.g. `50`.'),
	}).refine((request) => request.jitter <= request.milliseconds, { path: ['jitter'], message: 'must not exceed the delay in milliseconds' }),
	/** Drops that share of the packets the target sends (netem loss). */
	loss: packetFault('loss'),
	/** Flips a bit in that share of the packets the target sends (netem corrupt). */
	corrupt: packetFault('corrupt'),
	/** Sends that share of the target's packets twice (netem duplicate). */
	duplicate: packetFault('duplicate'),
	/** Takes the interface fault off the target's interface. A rollback's undo. */
	'end-netem': containerFault('end-netem'),
	/** Ends pressure started in the target before its time: one kind, or both. A rollback's undo. */
	'end-pressure': z.strictObject({
		kind: z.literal('end-pressure'),
		target,
		pressure: withFix(z.enum(['cpu', 'memory']).optional(), 'Give `cpu` or `memory`, or leave it out to end both.'),
	}),
} as const;

export type FaultKind = keyof typeof faultSchemas;
export const FAULT_KINDS = Object.keys(faultSchemas) as FaultKind[];
export type FaultRequest = { [K in FaultKind]: z.output<(typeof faultSchemas)[K]> }[FaultKind];
export type PressureKind = 'cpu' | 'memory';

/** Kinds that undo a fault rather than make one; the log records them as `reverted`. */
export const UNDO_KINDS: ReadonlySet<FaultKind> = new Set(['start', 'unpause', 'end-pressure', 'end-netem']);

/** Interface faults, made with the kernel's netem from a helper in the target's network namespace. */
export const NETEM_KINDS = ['delay', 'loss', 'corrupt', 'duplicate'] as const satisfies readonly FaultKind[];
export type NetemKind = (typeof NETEM_KINDS)[number];
export type NetemRequest = Extract<FaultRequest, { kind: NetemKind }>;

export function isNetemRequest(request: FaultRequest): request is NetemRequest {
	return (NETEM_KINDS as readonly string[]).includes(request.kind);
}

/**
 * Parses a request, or throws a 400 LabError naming the field, what is wrong, and the valid choices.
 * The kind is looked up first, so an unknown kind is answered with the list of kinds rather than
 * with every kind's parameters.
 */
export function parseFaultRequest(input: unknown): FaultRequest {
	const kind = typeof input === 'object' && input !== null ? (input as { kind?: unknown }).kind : undefined;
	if (typeof kind !== 'string' || !Object.hasOwn(faultSchemas, kind)) {
		const got = typeof kind === 'string' ? `"${kind}" is not a fault kind` : 'The request names no fault kind';
		throw new LabError(400, `${got}.`, `Set "kind" to one of: ${FAULT_KINDS.join(', ')}.`);
	}
	const schema: z.ZodType = faultSchemas[kind as FaultKind];
	const result = schema.safeParse(input);
	if (result.success) return result.data as FaultRequest;
	const problems = problemsFromZod(result.error, schema, 'fault request');
	const message = problems.map((problem) => `${problem.field || 'request'}: ${problem.message}`).join('; ');
	const fixes = [...new Set(problems.map((problem) => problem.fix).filter((fix): fix is string => Boolean(fix)))];
	throw new LabError(400, `Bad ${kind} fault: ${message}.`, fixes.join(' ') || undefined);
}

/** With a CPU limit (in the engine's nano-CPUs), as many busy workers as it allows, rounded up; without one, a fixed few. */
export function cpuWorkerBound(nanoCpus: number): number {
	return nanoCpus > 0 ? Math.min(MAX_CPU_WORKERS, Math.ceil(nanoCpus / 1e9)) : MAX_CPU_WORKERS;
}

/** The request's parameters, as the fault log keeps them: everything but the kind and the target. */
export function parametersOf(request: FaultRequest): Record<string, unknown> {
	const { kind: _kind, target: _target, ...parameters } = request;
	return parameters;
}
