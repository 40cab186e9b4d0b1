import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { startApi, type ApiServer } from './api.ts';

/** Real servers on loopback, port 0, for the proxy's tests. */

export interface Upstream {
	port: number;
	close(): Promise<void>;
}

/** Serves `onConnection` on 127.0.0.1 at a free port. */
export async function serve(onConnection: (socket: net.Socket) => void): Promise<Upstream> {
	const sockets = new Set<net.Socket>();
	const server = net.createServer((socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
		socket.on('error', () => {});
		onConnection(socket);
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		port: (server.address() as net.AddressInfo).port,
		async close() {
			for (const socket of sockets) socket.destroy();
			await new Promise<void>((resolve) => server.close(() => resolve()));
		},
	};
}

export const echoServer = () => serve((socket) => socket.pipe(socket));

/** Sends `size` bytes of a known pattern as soon as a client connects, then ends. */
export const sendingServer = (size: number) => serve((socket) => socket.end(pattern(size)));

export function pattern(size: number): Buffer {
	return Buffer.from(Array.from({ length: size }, (_, i) => i % 251));
}

export interface Api {
	api: ApiServer;
	request(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
}

export async function startTestApi(): Promise<Api> {
	const api = await startApi('127.0.0.1', 0);
	return {
		api,
		async request(method, path, body) {
			const response = await fetch(`http://127.0.0.1:${api.port}${path}`, {
				method,
				// fetch refuses a body on GET; the API ignores one there anyway.
				body: body === undefined || method === 'GET' ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
			});
			const text = await response.text();
			return { status: response.status, json: text === '' ? undefined : JSON.parse(text) };
		},
	};
}

export function portOf(listen: string): number {
	return Number(listen.slice(listen.lastIndexOf(':') + 1));
}

export function connect(port: number, host = '127.0.0.1'): Promise<net.Socket> {
	return new Promise((resolve, reject) => {
		const socket = net.connect({ port, host });
		socket.once('connect', () => {
			socket.off('error', reject);
			resolve(socket);
		});
		socket.once('error', reject);
	});
}

/** Writes `payload` and resolves with the milliseconds until as many bytes came back. */
export function roundTrip(socket: net.Socket, payload = Buffer.from('ping')): Promise<number> {
	return new Promise((resolve, reject) => {
		const start = performance.now();
		let received = 0;
		const onData = (data: Buffer) => {
			received += data.length;
			if (received >= payload.length) {
				cleanup();
				resolve(performance.now() - start);
			}
		};
		const onClose = () => {
			cleanup();
			reject(new Error(`connection closed after ${received} of ${payload.length} bytes`));
		};
		const cleanup = () => {
			socket.off('data', onData);
			socket.off('close', onClose);
		};
		socket.on('data', onData);
		socket.on('close', onClose);
		socket.write(payload);
	});
}

export interface Received {
	data: Buffer;
	/** How many 'data' events it came in. */
	pieces: number;
	/** Milliseconds from the call to the end of the stream. */
	endedAfter: number;
	/** Milliseconds from the call to the first byte. */
	firstAfter: number;
	error: NodeJS.ErrnoException | undefined;
}

/** Reads until the connection ends or closes, noting how and when. */
export function readAll(socket: net.Socket): Promise<Received> {
	return new Promise((resolve) => {
		const start = performance.now();
		const chunks: Buffer[] = [];
		let firstAfter = Number.NaN;
		let error: NodeJS.ErrnoException | undefined;
		socket.on('data', (data: Buffer) => {
			if (chunks.length === 0) firstAfter = performance.now() - start;
			chunks.push(data);
		});
		socket.on('error', (cause) => (error = cause));
		socket.on('close', () =>
			resolve({ data: Buffer.concat(chunks), pieces: chunks.length, endedAfter: performance.now() - start, firstAfter, error }),
		);
	});
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
