import { chmod, mkdir, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { Sandbox } from '../../sandbox/sandbox.ts';
import { isLabError } from '../platform/errors.ts';
import type { FaultRecord } from '../store/store.ts';
import { ProxyEventRejected } from './proxy-log.ts';
import { FaultError, type FaultService } from './service.ts';
import { HealthRejected, type HealthLog } from './health.ts';

/** The socket's name inside a sandbox's channel folder; the helper sees it at /run/steady-state/. */
export const CHANNEL_SOCKET = 'platform.sock';

const BODY_LIMIT_BYTES = 64 * 1024;

export interface FaultChannelsOptions {
	/** Folder holding one sub-folder per sandbox, e.g. `.data/channels`. Must be an absolute path. */
	root: string;
	faults: FaultService;
	/** Where the helper's health samples go; without it the route answers 404. */
	health?: HealthLog;
	log: (message: string) => void;
}

/**
 * The platform's end of each sandbox's fault channel: an HTTP server on a UNIX socket in a folder
 * that only that sandbox's helper container has mounted. The sandbox a request acts on is the one
 * whose socket it arrived on, never something the request says, so a learner can only ever fault
 * their own sandbox. The helper forwards the learner's requests here unchanged.
 */
export class FaultChannels {
	private readonly servers = new Map<string, Server>();
	private readonly options: FaultChannelsOptions;

	constructor(options: FaultChannelsOptions) {
		if (!path.isAbsolute(options.root)) throw new Error(`The channel root must be an absolute path, not "${options.root}"`);
		this.options = options;
	}

	/** The folder to mount into a sandbox's helper. Made before the sandbox, so the mount has a source. */
	folderFor(sandboxId: string): string {
		if (!/^[a-z0-9]{1,12}$/.test(sandboxId)) throw new Error(`"${sandboxId}" is not a sandbox id`);
		return path.join(this.options.root, sandboxId);
	}

	/** Makes the folder for a sandbox about to be created; `listen` answers once the sandbox exists. */
	async prepare(sandboxId: string): Promise<string> {
		const folder = this.folderFor(sandboxId);
		await mkdir(folder, { recursive: true, mode: 0o755 });
		return folder;
	}

	/** Serves a sandbox's channel (again, after a restart: the old socket file is replaced). */
	async listen(sandbox: Sandbox): Promise<void> {
		const sandboxId = sandbox.identity.sandboxId;
		await this.close(sandboxId, { keepFolder: true });
		const folder = await this.prepare(sandboxId);
		const socket = path.join(folder, CHANNEL_SOCKET);
		await rm(socket, { force: true });
		const server = createServer((request, response) => void this.handle(sandbox, request, response));
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen(socket, () => {
				server.off('error', reject);
				resolve();
			});
		});
		// The helper runs as an unprivileged user of its own; the folder is visible to it alone.
		await chmod(socket, 0o666);
		this.servers.set(sandboxId, server);
	}

	async close(sandboxId: string, options: { keepFolder?: boolean } = {}): Promise<void> {
		const server = this.servers.get(sandboxId);
		this.servers.delete(sandboxId);
		if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
		if (!options.keepFolder) await rm(this.folderFor(sandboxId), { recursive: true, force: true });
	}

	/** The log as the learner may read it, for the lab page. */
	faultLog(learnerId: string, labId: string): FaultRecord[] {
		return this.options.faults.log(learnerId, labId);
	}

	/** On shutdown: stop answering, but keep the folders, which running sandboxes still mount. */
	async closeAll(): Promise<void> {
		await Promise.all([...this.servers.keys()].map((sandboxId) => this.close(sandboxId, { keepFolder: true })));
	}

	private async handle(sandbox: Sandbox, request: IncomingMessage, response: ServerResponse): Promise<void> {
		const { faults } = this.options;
		const route = `${request.method} ${new URL(request.url ?? '/', 'http://channel').pathname}`;
		const { learnerId, labId } = sandbox.identity;
		try {
			if (route === 'GET /health') return send(response, 200, { ok: true });
			if (route === 'GET /faults') return send(response, 200, { faults: faults.log(learnerId, labId) });
			if (route === 'POST /faults') return send(response, 201, await faults.apply(sandbox, await readJson(request)));
			if (route === 'POST /reset') return send(response, 200, { reverted: await faults.revertAll(sandbox) });
			// Only the agent calls this: its fault API on port 80 does not forward it, so learners cannot write their log.
			if (route === 'POST /proxy-events') return send(response, 201, faults.recordProxyEvent(sandbox, await readJson(request)));
			// Likewise only the agent's own health probe: the series is evidence the learner cannot write.
			if (route === 'POST /health-samples' && this.options.health) return send(response, 201, this.options.health.record(sandbox.identity, await readJson(request)));
			return send(response, 404, { error: `No route ${route}.`, fix: 'Use GET /faults, POST /faults, POST /reset, POST /proxy-events or GET /health.' });
		} catch (error) {
			if (error instanceof HealthRejected) {
				return send(response, 400, { error: `The health samples were not recorded: ${error.message}.`, fix: 'Send {"samples": [{at, ok, status, latencyMs, error}]}, as the fault agent does.' });
			}
			if (error instanceof ProxyEventRejected) {
				return send(response, 400, { error: `The proxy event was not logged: ${error.message}.`, fix: 'Send one JSON object {kind, target, parameters, outcome, message}, as the fault agent does.' });
			}
			if (error instanceof FaultError) return send(response, error.status, { error: error.message, fix: error.fix, record: error.record });
			if (isLabError(error)) return send(response, error.status, { error: error.message, fix: error.fix });
			this.options.log(`Fault channel of sandbox ${sandbox.identity.sandboxId}: ${error instanceof Error ? error.stack : String(error)}`);
			return send(response, 500, { error: 'The platform could not apply that fault.', fix: 'Try again; if it keeps failing, tell your instructor.' });
		}
	}
}

class BadRequest extends Error {
	readonly status: number;
	readonly fix: string;
	constructor(status: number, message: string, fix: string) {
		super(message);
		this.name = 'LabError';
		this.status = status;
		this.fix = fix;
	}
}

async function readJson(request: IncomingMessage): Promise<unknown> {
	const chunks: Buffer[] = [];
	let size = 0;
	for await (const chunk of request) {
		size += (chunk as Buffer).length;
		if (size > BODY_LIMIT_BYTES) throw new BadRequest(413, 'The fault request is too large.', 'Send one fault as a small JSON object.');
		chunks.push(chunk as Buffer);
	}
	try {
		return JSON.parse(Buffer.concat(chunks).toString('utf8'));
	} catch {
		throw new BadRequest(400, 'The fault request is not valid JSON.', 'Send a JSON object such as {"kind": "pause", "target": "redis"}.');
	}
}

function send(response: ServerResponse, status: number, body: unknown): void {
	response.writeHead(status, { 'Content-Type': 'application/json' });
	response.end(JSON.stringify(body));
}
