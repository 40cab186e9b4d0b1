import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ActivityFailed } from '../errors.ts';
import type { Provider } from '../types.ts';
import { runProvider } from './index.ts';

describe('runProvider', () => {
	it('runs a process provider', async () => {
		const result = await runProvider({ type: 'process', path: 'echo', arguments: ['ran'] }, { verifyTls: true });
		expect(result).toEqual({ status: 0, stdout: 'ran\n', stderr: '' });
	});

	it('runs an http provider', async () => {
		const server = createServer((_request, response) => response.end('answered'));
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		try {
			const { port } = server.address() as AddressInfo;
			const result = await runProvider({ type: 'http', url: `http://127.0.0.1:${port}/` }, { verifyTls: true });
			expect(result).toMatchObject({ status: 200, body: 'answered' });
		} finally {
			server.close();
		}
	});

	it('turns away a provider type it cannot run, for experiments run without validation', async () => {
		const python = { type: 'python', module: 'os', func: 'getcwd' } as unknown as Provider;
		const error = await runProvider(python, { verifyTls: true }).catch((rejection: unknown) => rejection);
		expect(error).toBeInstanceOf(ActivityFailed);
		expect((error as Error).message).toBe("provider type 'python' is not available in this runner: use an http or a process provider");
	});
});
