import { createReadStream } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import sirv from 'sirv';
import { isAllowedHost } from '../platform/origins.ts';
import type { Platform } from '../platform/platform.ts';

type AstroHandler = (req: IncomingMessage, res: ServerResponse, next: () => void, locals: App.Locals) => Promise<void>;

/**
 * The platform's one HTTP server: prerendered lesson pages and assets from `dist/client`, the lab
 * API through Astro's Node adapter (with the platform passed in as `locals`), and the terminal
 * WebSocket. Requests for a Host the platform does not answer to are refused first.
 */
export async function createHttpServer(platform: Platform, projectRoot: string): Promise<http.Server> {
	const clientDir = path.join(projectRoot, 'dist', 'client');
	const entry = path.join(projectRoot, 'dist', 'server', 'entry.mjs');
	const { handler } = (await import(entry)) as { handler: AstroHandler };
	const assets = sirv(clientDir, {
		etag: true,
		setHeaders(res, pathname) {
			// Astro fingerprints everything under /_astro/, so those files never change.
			if (pathname.startsWith('/_astro/')) res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
		},
	});
	const notFound = (res: ServerResponse) => {
		res.statusCode = 404;
		res.setHeader('Content-Type', 'text/html; charset=utf-8');
		createReadStream(path.join(clientDir, '404.html'))
			.on('error', () => res.end('Not found'))
			.pipe(res);
	};
	const server = http.createServer((req, res) => {
		res.setHeader('X-Content-Type-Options', 'nosniff');
		res.setHeader('Referrer-Policy', 'same-origin');
		res.setHeader('X-Frame-Options', 'DENY');
		if (!isAllowedHost(req.headers.host, platform.config.allowedHosts)) {
			refuseHost(res, req.headers.host);
			return;
		}
		const runAstro = () => {
			// A fresh object per request: routes and Starlight add their own locals to it.
			handler(req, res, () => notFound(res), { platform } as App.Locals).catch((error: unknown) => {
				console.error(error);
				if (!res.headersSent) res.writeHead(500).end('Internal error');
			});
		};
		if (req.url?.startsWith('/api/')) runAstro();
		else assets(req, res, runAstro);
	});
	server.on('upgrade', (req, socket, head) => {
		if (!isAllowedHost(req.headers.host, platform.config.allowedHosts)) {
			socket.end('HTTP/1.1 421 Misdirected Request\r\nConnection: close\r\n\r\n');
			return;
		}
		if (!platform.gateway.handleUpgrade(req, socket, head)) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
	});
	// Keep-alive sockets of closed browsers should not hold a shutdown up.
	server.keepAliveTimeout = 5000;
	return server;
}

function refuseHost(res: ServerResponse, host: string | undefined): void {
	res.writeHead(421, { 'Content-Type': 'text/plain; charset=utf-8' });
	res.end(
		`This Steady State server does not answer to the host name "${host ?? ''}".\n` +
			'Open it as http://localhost:<port>, or add the name to STEADY_ALLOWED_HOSTS (comma-separated).\n',
	);
}
