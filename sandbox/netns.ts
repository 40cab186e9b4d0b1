import { randomBytes } from 'node:crypto';
import type { Engine } from './engine.ts';
import { isNotFound } from './engine.ts';
import { captureOutput, type ExecResult } from './exec.ts';
import { networkHelperHostConfig } from './hardening.ts';
import { containerName, LABELS, sandboxLabels, type SandboxIdentity } from './labels.ts';

export interface NetworkNamespaceCommand {
	/** The sandbox member whose network namespace the helper joins. */
	member: string;
	/** An image with the tools the command needs (`tc` from iproute2, and `sh`). */
	image: string;
	argv: string[];
	timeoutMs: number;
}

/**
 * Runs one command in a short-lived helper that shares a member's network namespace, with
 * NET_ADMIN and no other capability (see `networkHelperHostConfig`), and removes the helper
 * whatever happened. This is how interface faults reach a learner's container without the
 * learner's container, or the learner, ever holding NET_ADMIN.
 */
export async function runInNetworkNamespace(engine: Engine, identity: SandboxIdentity, command: NetworkNamespaceCommand): Promise<ExecResult> {
	const [entrypoint, ...args] = command.argv;
	if (!entrypoint) throw new Error('A network helper needs a command');
	const member = containerName(identity.sandboxId, command.member);
	const container = await engine.createContainer({
		// Unique, since two faults on one member may overlap; findable beside the member in `docker ps -a`.
		name: `${member}-net-${randomBytes(3).toString('hex')}`,
		Image: command.image,
		Entrypoint: [entrypoint],
		Cmd: args,
		User: '0:0',
		Labels: { ...sandboxLabels(identity), [LABELS.container]: `${command.member}-net`, [LABELS.role]: 'helper' },
		AttachStdout: true,
		AttachStderr: true,
		Tty: false,
		HostConfig: networkHelperHostConfig(member),
	});
	try {
		const stream = await container.attach({ stream: true, stdout: true, stderr: true });
		const output = captureOutput(container, stream);
		await container.start();
		let timer: NodeJS.Timeout | undefined;
		const exited = await Promise.race([
			container.wait().then((status: { StatusCode: number }) => status.StatusCode),
			new Promise<null>((resolve) => {
				timer = setTimeout(() => resolve(null), command.timeoutMs);
			}),
		]).finally(() => clearTimeout(timer));
		if (exited !== null) await streamEnded(stream);
		return { exitCode: exited, ...output(), timedOut: exited === null };
	} finally {
		await container.remove({ force: true }).catch((error: unknown) => {
			if (!isNotFound(error)) throw error;
		});
	}
}

/** The attach stream may deliver its last bytes just after the container's exit is reported. */
function streamEnded(stream: NodeJS.ReadableStream): Promise<void> {
	if ((stream as { readableEnded?: boolean }).readableEnded) return Promise.resolve();
	return new Promise((resolve) => {
		const timer = setTimeout(resolve, 1000);
		const done = () => {
			clearTimeout(timer);
			resolve();
		};
		stream.once('end', done);
		stream.once('close', done);
	});
}
