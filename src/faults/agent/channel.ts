import http from 'node:http';

/**
 * The agent's side of the sandbox's fault channel: one HTTP exchange over the UNIX socket that the
 * platform serves for this sandbox alone. Answers come back as bytes, untouched, so the learner
 * sees exactly what the platform said.
 */

export interface ChannelReply {
	status: number;
	contentType: string;
	body: Buffer;
}

export interface ChannelCall {
	method: 'GET' | 'POST';
	path: string;
	body?: Buffer;
	timeoutMs: number;
}

/** Nothing answered on the socket: missing (the platform is restarting), refused, or cut off. */
export class ChannelDown extends Error {}

/** The platform took the connection but did not answer in time; the fault may still be happening. */
export class ChannelTimeout extends Error {}

export function callChannel(socketPath: string, call: ChannelCall): Promise<ChannelReply> {
	return new Promise((resolve, reject) => {
		let settled = false;
		const settle = (outcome: () => void) => {
			if (settled) return;
			settled = true;
			clearTimeout(timer);
			outcome();
		};
		const headers: http.OutgoingHttpHeaders = {};
		if (call.body) {
			headers['content-type'] = 'application/json';
			headers['content-length'] = call.body.length;
		}
		const request = http.request({ socketPath, method: call.method, path: call.path, headers }, (response) => {
			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('end', () =>
				settle(() =>
					resolve({
						status: response.statusCode ?? 502,
						contentType: response.headers['content-type'] ?? 'application/json',
						body: Buffer.concat(chunks),
					}),
				),
			);
			response.on('error', (error) => settle(() => reject(new ChannelDown(error.message))));
		});
		// One timer for the whole exchange, so a platform that sends headers and then stalls is cut too.
		const timer = setTimeout(() => {
			settle(() => reject(new ChannelTimeout(`no answer within ${call.timeoutMs} ms`)));
			request.destroy();
		}, call.timeoutMs);
		request.on('error', (error) => settle(() => reject(new ChannelDown(error.message))));
		request.end(call.body);
	});
}
