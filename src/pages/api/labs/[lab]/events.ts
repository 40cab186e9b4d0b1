import type { APIRoute } from 'astro';
import { route } from '../../../../api/respond.ts';
import type { LabStatus } from '../../../../platform/labs.ts';

export const prerender = false;

const encoder = new TextEncoder();

/** Server-sent events: the lab's status now, then again on every change, until the page goes away. */
export const GET: APIRoute = route(async ({ params, request }, { platform, learnerId }) => {
	const labId = params.lab ?? '';
	const initial = await platform.labs.status(learnerId, labId);
	let cleanup = () => undefined as void;
	const stream = new ReadableStream<Uint8Array>({
		start(controller) {
			const write = (text: string) => {
				try {
					controller.enqueue(encoder.encode(text));
				} catch {
					cleanup();
				}
			};
			const send = (status: LabStatus) => write(`event: status\ndata: ${JSON.stringify(status)}\n\n`);
			send(initial);
			const unsubscribe = platform.labs.subscribe(learnerId, labId, send);
			// Comments keep proxies from closing a quiet stream.
			const heartbeat = setInterval(() => write(': keep-alive\n\n'), 15_000);
			cleanup = () => {
				unsubscribe();
				clearInterval(heartbeat);
			};
			request.signal.addEventListener('abort', () => {
				cleanup();
				try {
					controller.close();
				} catch {
					// Already closed.
				}
			});
		},
		cancel() {
			cleanup();
		},
	});
	return new Response(stream, {
		headers: { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' },
	});
});
