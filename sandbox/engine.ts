import Docker from 'dockerode';

/**
 * The Docker engine the platform drives. Everything outside the process that the platform creates
 * (networks, containers, images, exec sessions) goes through this one connection.
 */
export type Engine = Docker;

/** Connects to the engine named by DOCKER_HOST, or to the local socket. Does not touch the network. */
export function connectEngine(dockerHost = process.env.DOCKER_HOST): Engine {
	if (!dockerHost) return new Docker({ socketPath: '/var/run/docker.sock' });
	if (dockerHost.startsWith('unix://')) return new Docker({ socketPath: dockerHost.slice('unix://'.length) });
	const url = new URL(dockerHost.replace(/^tcp:/, 'http:'));
	return new Docker({ host: url.hostname, port: Number(url.port || 2375), protocol: url.protocol === 'https:' ? 'https' : 'http' });
}

export type EngineStatus =
	| { ok: true; version: string; apiVersion: string }
	| { ok: false; problem: string; fix: string };

/**
 * Asks the engine for its version. Never throws: an unreachable engine is an expected state
 * (lesson pages keep serving), reported with what is wrong and how to fix it.
 */
export async function probeEngine(engine: Engine): Promise<EngineStatus> {
	try {
		const version = await engine.version();
		return { ok: true, version: version.Version, apiVersion: version.ApiVersion };
	} catch (error) {
		return { ok: false, ...explainEngineError(error) };
	}
}

export function explainEngineError(error: unknown): { problem: string; fix: string } {
	const code = (error as NodeJS.ErrnoException | undefined)?.code;
	const where = describeEndpoint();
	if (code === 'ENOENT' || code === 'ECONNREFUSED') {
		return {
			problem: `The Docker engine is not running (nothing answers at ${where}).`,
			fix: 'Start it, e.g. `sudo systemctl start docker`, or `sudo dockerd &` on a machine without systemd, then try again.',
		};
	}
	if (code === 'EACCES') {
		return {
			problem: `The platform may not use the Docker engine at ${where} (permission denied).`,
			fix: 'Run the platform as a user in the `docker` group (`sudo usermod -aG docker $USER`, then log in again), or as root.',
		};
	}
	const message = error instanceof Error ? error.message : String(error);
	return {
		problem: `The Docker engine at ${where} did not answer: ${message}`,
		fix: 'Check that the engine is running and that DOCKER_HOST (if set) points at it.',
	};
}

function describeEndpoint(): string {
	return process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

/** True for the engine's "no such object" answer, which teardown treats as already done. */
export function isNotFound(error: unknown): boolean {
	return (error as { statusCode?: number } | undefined)?.statusCode === 404;
}

/** True for "already started/stopped" (304), which lifecycle calls treat as success. */
export function isNotModified(error: unknown): boolean {
	return (error as { statusCode?: number } | undefined)?.statusCode === 304;
}

/** True for "removal already in progress" (409), another teardown got there first. */
export function isConflict(error: unknown): boolean {
	return (error as { statusCode?: number } | undefined)?.statusCode === 409;
}
