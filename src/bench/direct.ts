import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import type { Engine } from '../../sandbox/engine.ts';
import { runCommand } from '../../sandbox/exec.ts';
import { networkName, type SandboxIdentity } from '../../sandbox/labels.ts';
import { containerOptions, networkOptions, removeSandboxObjects } from '../../sandbox/sandbox.ts';
import type { ContainerSpec } from '../../sandbox/spec.ts';
import type { Stopwatch } from './stats.ts';
import { OutputTap, type BenchTerminal } from './terminal.ts';

/**
 * The baseline: the same lab started with plain engine calls and nothing of the platform in between
 * (no HTTP, no database, no status events, no headless terminal). The network and container options
 * come from `sandbox/sandbox.ts` itself, so both paths ask the engine for exactly the same work.
 */

/** How often readiness commands are retried: as soon as a simple client would, with no backoff. */
const READY_POLL_MS = 25;
const FIRST_BYTE_TIMEOUT_MS = 30_000;

export interface DirectLab {
	identity: SandboxIdentity;
	terminal: DirectTerminal;
}

/**
 * Starts the lab straight on the engine and opens the workstation's login shell. Each step is a lap
 * of `watch`: network, create, start, ready, shell (exec created and attached), first byte. A lab
 * that fails part-way is removed before the error is rethrown.
 */
export async function startDirectLab(
	engine: Engine,
	platformId: string,
	specs: ContainerSpec[],
	watch: Stopwatch,
	signal: AbortSignal,
): Promise<DirectLab> {
	const workstation = specs.find((spec) => spec.role === 'workstation');
	if (!workstation) throw new Error('The lab has no workstation container to open a shell in');
	const identity: SandboxIdentity = { platformId, sandboxId: randomBytes(6).toString('hex'), learnerId: 'bench', labId: 'steady-state' };
	const network = networkName(identity.sandboxId);
	try {
		await engine.createNetwork(networkOptions(identity));
		watch.lap('network');

		const containers = await Promise.all(specs.map((spec) => engine.createContainer(containerOptions(identity, spec, network))));
		watch.lap('create');

		await Promise.all(containers.map((container) => container.start()));
		watch.lap('start');

		await Promise.all(specs.map((spec, index) => waitUntilReady(containers[index] as Docker.Container, spec, signal)));
		watch.lap('ready');

		const terminal = await DirectTerminal.open(containers[specs.indexOf(workstation)] as Docker.Container, workstation);
		watch.lap('shell');
		watch.lap('first byte', await terminal.output.firstOutput(FIRST_BYTE_TIMEOUT_MS, signal));
		return { identity, terminal };
	} catch (error) {
		await removeSandboxObjects(engine, platformId, identity.sandboxId);
		throw error;
	}
}

export async function stopDirectLab(engine: Engine, lab: DirectLab): Promise<void> {
	lab.terminal.close();
	await removeSandboxObjects(engine, lab.identity.platformId, lab.identity.sandboxId);
}

async function waitUntilReady(container: Docker.Container, spec: ContainerSpec, signal: AbortSignal): Promise<void> {
	if (!spec.ready) return;
	const deadline = performance.now() + spec.ready.timeoutSeconds * 1000;
	for (;;) {
		const result = await runCommand(container, spec.ready.exec, { timeoutMs: 5000, signal });
		if (result.exitCode === 0) return;
		if (performance.now() > deadline) {
			throw new Error(`The ${spec.name} container was not ready within ${spec.ready.timeoutSeconds} s: ${`${result.stdout}${result.stderr}`.trim().slice(-300)}`);
		}
		await sleep(READY_POLL_MS, undefined, { signal });
	}
}

/** `docker exec -it <workstation> bash -l` as the learner, the shell the platform's terminal runs. */
export class DirectTerminal implements BenchTerminal {
	readonly output = new OutputTap();
	private readonly stream: Duplex;

	private constructor(stream: Duplex) {
		this.stream = stream;
		stream.on('data', (chunk: Buffer) => this.output.push(chunk));
		stream.on('close', () => this.output.fail(new Error('The shell stream closed')));
		stream.on('error', (error: Error) => this.output.fail(error));
	}

	static async open(container: Docker.Container, spec: ContainerSpec): Promise<DirectTerminal> {
		const exec = await container.exec({
			Cmd: ['/bin/bash', '-l'],
			AttachStdin: true,
			AttachStdout: true,
			AttachStderr: true,
			Tty: true,
			User: spec.user,
			WorkingDir: spec.workdir,
			Env: ['TERM=xterm-256color'],
		});
		// Tty on start too, or the engine frames the output; resizing only after the start resolved.
		const stream = (await exec.start({ hijack: true, stdin: true, Tty: true })) as Duplex;
		const terminal = new DirectTerminal(stream);
		exec.resize({ h: 24, w: 80 }).catch(() => undefined);
		return terminal;
	}

	send(keys: string): void {
		if (!this.stream.destroyed) this.stream.write(keys);
	}

	close(): void {
		this.stream.destroy();
	}
}
