import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startApi } from './api.ts';
import { ApiError } from './errors.ts';

/**
 * The fault proxy as a program, started like `toxiproxy-server`: `--host` and `--port` for the API
 * (Toxiproxy's defaults), `--config` for a JSON file of proxies to create first, in the format of
 * `toxiproxy-server -config` and `POST /populate`.
 */

const USAGE = `usage: fault-proxy [--host 0.0.0.0] [--port 8474] [--config proxies.json]

  --host    address the HTTP API listens on (default 0.0.0.0)
  --port    port of the HTTP API (default 8474)
  --config  JSON array of proxies to create at start, as for POST /populate:
            [{"name": "redis", "listen": "0.0.0.0:26379", "upstream": "redis:6379"}]`;

function fail(message: string): never {
	process.stderr.write(`fault-proxy: ${message}\n`);
	process.exit(2);
}

async function main(): Promise<void> {
	let values;
	try {
		({ values } = parseArgs({
			options: {
				host: { type: 'string', default: '0.0.0.0' },
				port: { type: 'string', default: '8474' },
				config: { type: 'string' },
				help: { type: 'boolean', short: 'h' },
			},
		}));
	} catch (error) {
		fail(`${(error as Error).message}\n${USAGE}`);
	}
	if (values.help) {
		process.stdout.write(`${USAGE}\n`);
		return;
	}
	const port = Number(values.port);
	if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be a number from 0 to 65535, got "${values.port}"`);

	const api = await startApi(values.host, port).catch((error: Error) =>
		fail(`cannot listen on ${values.host}:${port}: ${error.message}`),
	);
	if (values.config) {
		const text = await readFile(values.config, 'utf8').catch((error: Error) => fail(`cannot read --config: ${error.message}`));
		let proxies: unknown;
		try {
			proxies = JSON.parse(text);
		} catch (error) {
			fail(`--config ${values.config} is not valid JSON: ${(error as Error).message}`);
		}
		await api.proxies.populate(proxies).catch((error: Error) => {
			fail(`--config ${values.config}: ${error instanceof ApiError ? error.message : String(error)}`);
		});
	}
	process.stdout.write(`fault proxy API listening on ${values.host}:${api.port} with ${api.proxies.list().length} proxies\n`);
	for (const signal of ['SIGINT', 'SIGTERM'] as const) {
		process.once(signal, () => {
			void api.close().then(() => process.exit(0));
		});
	}
}

await main();
