import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { ApiError, toxicNotFound } from './errors.ts';
import { createStage, type Chunk, type ConnectionControl, type Stage, type Stream, type Toxic } from './toxics.ts';

/**
 * A TCP proxy with Toxiproxy's behaviour: it listens where it is told, dials its upstream (by DNS
 * name, looked up for each connection) for every client, and passes bytes each way through that
 * direction's chain of toxics. Toxics added, changed or removed apply to open connections too.
 */

export interface Address {
	host: string;
	port: number;
}

/**
 * `host:port`, `[v6]:port`, or `:port` (every interface) when `emptyHost` allows it. Port 0 asks
 * the system for a free port, which only makes sense for a listen address.
 */
export function parseAddress(value: string, field: 'listen' | 'upstream'): Address {
	const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^\s:[\]]*)):(\d{1,5})$/.exec(value);
	const host = match?.[1] ?? match?.[2] ?? '';
	const port = Number(match?.[3]);
	const lowest = field === 'listen' ? 0 : 1;
	if (!match || port < lowest || port > 65535 || (field === 'upstream' && host === '')) {
		const example = field === 'listen' ? '"0.0.0.0:26379" (or port 0 for any free port)' : '"redis:6379"';
		throw new ApiError(`${field} must be host:port with a port from ${lowest} to 65535, like ${example}; got "${value}"`, 400);
	}
	return { host, port };
}

function formatAddress(host: string, port: number): string {
	return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Above this many unsent bytes a link stops reading, so a slowed stream pushes back on its sender. */
const HIGH_WATER_BYTES = 256 * 1024;

interface Entry {
	toxic: Toxic;
	/** Absent when the toxicity roll for this connection came up "no". */
	stage: Stage | undefined;
}

/**
 * One direction of one connection: reads from `source`, runs each chunk through the toxics in
 * order, writes to `destination`. One chunk at a time, so order is kept and a slow toxic slows
 * the whole direction, as on a real link.
 */
class Link {
	private entries: Entry[] = [];
	private readonly queue: Chunk[] = [];
	private queuedBytes = 0;
	private ended = false;
	private wake: (() => void) | undefined;
	private readonly source: net.Socket;
	private readonly destination: net.Socket;
	private readonly isOpen: () => boolean;
	private readonly control: ConnectionControl;

	constructor(source: net.Socket, destination: net.Socket, control: ConnectionControl, isOpen: () => boolean) {
		this.source = source;
		this.destination = destination;
		this.control = control;
		this.isOpen = isOpen;
		source.on('data', (data: Buffer) => {
			this.queue.push({ data, readAt: performance.now() });
			this.queuedBytes += data.length;
			if (this.queuedBytes > HIGH_WATER_BYTES) source.pause();
			this.wake?.();
		});
		source.on('end', () => {
			this.ended = true;
			this.wake?.();
		});
	}

	/** Toxicity is decided here, once per toxic per connection, as Toxiproxy does. */
	add(toxic: Toxic): void {
		const stage = Math.random() < toxic.toxicity ? createStage(toxic, this.control) : undefined;
		this.entries.push({ toxic, stage });
	}

	replace(toxic: Toxic): void {
		const index = this.entries.findIndex((entry) => entry.toxic.name === toxic.name);
		const old = this.entries[index];
		if (!old) return;
		old.stage?.detach(false);
		const stage = Math.random() < toxic.toxicity ? createStage(toxic, this.control) : undefined;
		this.entries = this.entries.map((entry, i) => (i === index ? { toxic, stage } : entry));
	}

	remove(name: string): void {
		const removed = this.entries.find((entry) => entry.toxic.name === name);
		this.entries = this.entries.filter((entry) => entry !== removed);
		removed?.stage?.detach(true);
	}

	/** When the connection goes: every wait ends and the pump, seeing it closed, stops. */
	detachAll(): void {
		for (const entry of this.entries) entry.stage?.detach(false);
		this.wake?.();
	}

	async pump(): Promise<void> {
		for (;;) {
			const chunk = this.queue.shift();
			if (chunk) {
				this.queuedBytes -= chunk.data.length;
				if (this.queuedBytes <= HIGH_WATER_BYTES / 2 && this.source.isPaused()) this.source.resume();
				// A snapshot: toxics added meanwhile apply from the next chunk; removed ones detach and
				// let this chunk through.
				const stages = this.entries.flatMap((entry) => (entry.stage ? [entry.stage] : []));
				await this.run(stages, 0, chunk);
			} else if (this.ended) {
				break;
			} else {
				await new Promise<void>((resolve) => (this.wake = resolve));
				this.wake = undefined;
			}
			if (!this.isOpen()) return;
		}
		for (const entry of this.entries) await entry.stage?.end();
		if (this.isOpen() && !this.destination.destroyed) this.destination.end();
	}

	private async run(stages: Stage[], index: number, chunk: Chunk): Promise<void> {
		if (!this.isOpen()) return;
		const stage = stages[index];
		if (stage) return stage.process(chunk, (next) => this.run(stages, index + 1, next));
		await this.write(chunk.data);
	}

	/** Resolves once the destination takes more, so the chain waits for a slow reader. */
	private write(data: Buffer): Promise<void> {
		if (this.destination.destroyed || this.destination.writableEnded) return Promise.resolve();
		if (this.destination.write(data)) return Promise.resolve();
		return new Promise((resolve) => {
			const done = () => {
				this.destination.off('drain', done);
				this.destination.off('close', done);
				resolve();
			};
			this.destination.on('drain', done);
			this.destination.on('close', done);
		});
	}
}

/** A client and the upstream connection opened for it. */
class Connection implements ConnectionControl {
	private open = true;
	private readonly client: net.Socket;
	private readonly upstream: net.Socket;
	readonly links: Record<Stream, Link>;

	constructor(client: net.Socket, upstream: net.Socket, toxics: Toxic[], onGone: () => void) {
		this.client = client;
		this.upstream = upstream;
		const isOpen = () => this.open;
		this.links = {
			upstream: new Link(client, upstream, this, isOpen),
			downstream: new Link(upstream, client, this, isOpen),
		};
		for (const toxic of toxics) this.links[toxic.stream].add(toxic);
		let closed = 0;
		for (const socket of [client, upstream]) {
			// Either side failing ends the conversation for both, as a broken TCP path would.
			socket.on('error', () => this.destroy());
			socket.on('close', () => {
				closed += 1;
				if (closed === 1) this.destroy();
				if (closed === 2) onGone();
			});
		}
		// A pump that fails can only mean a socket went away under it: end the whole connection.
		this.links.upstream.pump().catch(() => this.destroy());
		this.links.downstream.pump().catch(() => this.destroy());
		client.resume();
	}

	close(): void {
		if (!this.stop()) return;
		for (const socket of [this.client, this.upstream]) {
			socket.end();
			// end() flushes what was written; then the socket goes even if the peer never answers.
			socket.once('finish', () => socket.destroy());
		}
	}

	reset(): void {
		if (!this.stop()) return;
		this.client.resetAndDestroy();
		this.upstream.resetAndDestroy();
	}

	destroy(): void {
		if (!this.stop()) return;
		this.client.destroy();
		this.upstream.destroy();
	}

	private stop(): boolean {
		if (!this.open) return false;
		this.open = false;
		this.links.upstream.detachAll();
		this.links.downstream.detachAll();
		return true;
	}
}

export interface ProxySettings {
	name: string;
	listen: string;
	upstream: string;
	enabled: boolean;
}

export class Proxy {
	readonly name: string;
	private listenAddress: string;
	private upstreamAddress: string;
	private server: net.Server | undefined;
	private readonly connections = new Set<Connection>();
	private toxicList: Toxic[] = [];

	constructor(name: string, listen: string, upstream: string) {
		this.name = name;
		this.listenAddress = listen;
		this.upstreamAddress = upstream;
	}

	get enabled(): boolean {
		return this.server !== undefined;
	}

	get listen(): string {
		return this.listenAddress;
	}

	get upstream(): string {
		return this.upstreamAddress;
	}

	/** Upstream toxics first, then downstream, each in the order they were added (Toxiproxy's order). */
	get toxics(): Toxic[] {
		return [...this.toxicList].sort((a, b) => (a.stream === b.stream ? 0 : a.stream === 'upstream' ? -1 : 1));
	}

	toJSON(): ProxySettings & { toxics: Toxic[] } {
		return { name: this.name, listen: this.listen, upstream: this.upstream, enabled: this.enabled, toxics: this.toxics };
	}

	/**
	 * Listens on the configured address; the address shown afterwards carries the real port, so a
	 * proxy asked for port 0 tells where it ended up.
	 */
	async start(): Promise<void> {
		if (this.server) return;
		const { host, port } = parseAddress(this.listenAddress, 'listen');
		const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => this.accept(client));
		await new Promise<void>((resolve, reject) => {
			server.once('error', reject);
			server.listen({ host: host === '' ? undefined : host, port }, () => {
				server.off('error', reject);
				resolve();
			});
		}).catch((error: NodeJS.ErrnoException) => {
			const reason = error.code === 'EADDRINUSE' ? 'the address is already in use; pick another port' : error.message;
			throw new ApiError(`cannot listen on ${this.listenAddress}: ${reason}`, error.code === 'EADDRINUSE' ? 409 : 400);
		});
		const bound = server.address() as net.AddressInfo;
		this.listenAddress = formatAddress(host === '' ? '::' : host, bound.port);
		this.server = server;
	}

	/** An outage: no new connections, and the open ones are cut. */
	stop(): void {
		const server = this.server;
		if (!server) return;
		this.server = undefined;
		server.close();
		for (const connection of this.connections) connection.destroy();
		this.connections.clear();
	}

	/** Toxiproxy's update: fields left out keep their value; a new address restarts the listener. */
	async update(changes: Partial<Omit<ProxySettings, 'name'>>): Promise<void> {
		const listen = changes.listen ?? this.listenAddress;
		const upstream = changes.upstream ?? this.upstreamAddress;
		const enabled = changes.enabled ?? this.enabled;
		parseAddress(listen, 'listen');
		parseAddress(upstream, 'upstream');
		if (listen !== this.listenAddress || upstream !== this.upstreamAddress) {
			this.stop();
			this.listenAddress = listen;
			this.upstreamAddress = upstream;
		}
		if (enabled) await this.start();
		else this.stop();
	}

	toxic(name: string): Toxic {
		const found = this.toxicList.find((toxic) => toxic.name === name);
		if (!found) throw toxicNotFound(name, this.toxicList.map((toxic) => toxic.name));
		return found;
	}

	addToxic(toxic: Toxic): void {
		if (this.toxicList.some((existing) => existing.name === toxic.name)) {
			throw new ApiError(`toxic already exists: "${toxic.name}"; give the new one another name, or update or delete this one`, 409);
		}
		this.toxicList.push(toxic);
		for (const connection of this.connections) connection.links[toxic.stream].add(toxic);
	}

	replaceToxic(toxic: Toxic): void {
		this.toxicList = this.toxicList.map((existing) => (existing.name === toxic.name ? toxic : existing));
		for (const connection of this.connections) connection.links[toxic.stream].replace(toxic);
	}

	removeToxic(name: string): void {
		const toxic = this.toxic(name);
		this.toxicList = this.toxicList.filter((existing) => existing !== toxic);
		for (const connection of this.connections) connection.links[toxic.stream].remove(name);
	}

	removeAllToxics(): void {
		for (const toxic of this.toxics) this.removeToxic(toxic.name);
	}

	private accept(client: net.Socket): void {
		const { host, port } = parseAddress(this.upstreamAddress, 'upstream');
		// Each connection looks the name up again, so an upstream container that was recreated
		// with a new address is found.
		const upstream = net.connect({ host, port, allowHalfOpen: true });
		const refuse = () => {
			client.destroy();
			upstream.destroy();
		};
		upstream.once('error', refuse);
		client.once('error', refuse);
		upstream.once('connect', () => {
			upstream.off('error', refuse);
			client.off('error', refuse);
			if (!this.enabled || client.destroyed) return refuse();
			const connection = new Connection(client, upstream, this.toxicList, () => this.connections.delete(connection));
			this.connections.add(connection);
		});
	}
}
