import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { AgentConfigError, parseProxiesOption, startAgent } from './agent.ts';
import { parseHealthOption } from './health.ts';

/**
 * The `faults` helper container's program. Its defaults are the container's layout, so the image
 * runs it with no arguments; tests and a developer pass their own ports and socket.
 */

const USAGE = `usage: faults-agent [--host 0.0.0.0] [--port 80] [--proxy-port 8474] [--channel /run/steady-state/platform.sock] [--proxies JSON] [--ready-file PATH]

  --host        address both APIs listen on (default 0.0.0.0)
  --port        port of the fault API, forwarded to the platform (default 80)
  --proxy-port  port of the Toxiproxy-compatible proxy API (default 8474)
  --channel     the platform's UNIX socket for this sandbox (default /run/steady-state/platform.sock)
  --proxies     the lab's proxies, created before the ready file, as a JSON array in the format of
                Toxiproxy's POST /populate:
                [{"name":"redis","listen":"0.0.0.0:26379","upstream":"redis:6379","enabled":true}]
                A reset (POST /reset, or SIGHUP) keeps them: it removes their toxics and enables them.
  --health      the lab's health target, sampled on a fixed beat and sent to the platform's health
                series: {"url":"http://storefront:8080/health","intervalMs":1000,"timeoutMs":1000}
  --ready-file  a file to create once both APIs listen, for a readiness check that costs no process

Signals: SIGHUP resets every proxy, as POST /reset on the proxy API does, and the agent keeps running;
SIGINT and SIGTERM stop it. Every change made through the proxy API is sent to the platform's fault log.`;

function fail(message: string): never {
	process.stderr.write(`faults-agent: ${message}\n`);
	process.exit(2);
}

function count(n: number, one: string, many = `${one}s`): string {
	return `${n} ${n === 1 ? one : many}`;
}

function portOption(name: string, value: string): number {
	const port = Number(value);
	if (!/^\d+$/.test(value) || port > 65535) fail(`--${name} must be a number from 0 to 65535, got "${value}"\n${USAGE}`);
	return port;
}

async function main(): Promise<void> {
	let values;
	try {
		({ values } = parseArgs({
			options: {
				host: { type: 'string', default: '0.0.0.0' },
				port: { type: 'string', default: '80' },
				'proxy-port': { type: 'string', default: '8474' },
				channel: { type: 'string', default: '/run/steady-state/platform.sock' },
				proxies: { type: 'string' },
				health: { type: 'string' },
				'ready-file': { type: 'string' },
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
	const port = portOption('port', values.port);
	const proxyPort = portOption('proxy-port', values['proxy-port']);
	let proxies;
	try {
		proxies = values.proxies === undefined ? undefined : parseProxiesOption(values.proxies);
	} catch (error) {
		fail((error as Error).message);
	}
	let health;
	try {
		health = values.health === undefined ? undefined : parseHealthOption(values.health);
	} catch (error) {
		fail((error as Error).message);
	}
	const agent = await startAgent({ host: values.host, port, proxyPort, channel: values.channel, proxies, health }).catch((error: Error) =>
		fail(error instanceof AgentConfigError ? error.message : `cannot listen on ${values.host}: ${error.message}`),
	);
	if (values['ready-file']) writeFileSync(values['ready-file'], `${process.pid}\n`);
	process.stdout.write(`faults agent: fault API on ${values.host}:${agent.port}, proxy API on ${values.host}:${agent.proxyPort}, platform channel ${values.channel}\n`);
	// The lab page's "undo all faults" for the proxies: the platform signals the container.
	process.on('SIGHUP', () => {
		agent.proxy.proxies.reset().then(
			({ toxicsRemoved, proxiesEnabled }) =>
				process.stdout.write(`faults agent: SIGHUP: reset the proxies, ${count(toxicsRemoved, 'toxic')} removed and ${count(proxiesEnabled, 'proxy', 'proxies')} enabled again\n`),
			(error: Error) => process.stderr.write(`faults agent: SIGHUP: the proxies could not all be reset: ${error.message}\n`),
		);
	});
	for (const signal of ['SIGINT', 'SIGTERM'] as const) {
		process.once(signal, () => {
			void agent.close().then(() => process.exit(0));
		});
	}
}

await main();
