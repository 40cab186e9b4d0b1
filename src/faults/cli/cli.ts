import http from 'node:http';
import { parseArgs } from 'node:util';

/**
 * The workstation's `faults` command: the learner's fault API (the sandbox's `faults` helper) from
 * a terminal or a Chaos Toolkit process probe. It only shapes requests; the platform checks them,
 * so a refusal prints the platform's own reason and fix.
 */

export interface Io {
	stdout: (text: string) => void;
	stderr: (text: string) => void;
	env: Record<string, string | undefined>;
}

export const DEFAULT_URL = 'http://faults';

/** Longer than the agent's own wait on the platform, so its 504 explains a slow answer. */
const REQUEST_TIMEOUT_MS = 30_000;

const PROXY_HINT = 'Network faults go through the fault proxy: the Toxiproxy API at http://faults:8474.';

interface Command {
	usage: string;
	summary: string;
	options?: Record<string, { type: 'string' | 'boolean' }>;
	/** Names of the positional arguments, all required. */
	positionals: string[];
	/** An option the command cannot do without, and an example value for the usage error. */
	required?: { option: string; example: string };
	/** The fault request, or undefined for commands that are not a fault. */
	request?: (args: Record<string, string>, values: Record<string, string | boolean | undefined>) => Record<string, unknown>;
}

const SIGNAL = { signal: { type: 'string' } } as const;
const containerCommand = (kind: string, summary: string): Command => ({
	usage: `faults ${kind} <target>`,
	summary,
	positionals: ['target'],
	request: ({ target }) => ({ kind, target }),
});
const packetCommand = (kind: string, summary: string): Command => ({
	usage: `faults ${kind} <target> --percent P`,
	summary,
	options: { percent: { type: 'string' } },
	positionals: ['target'],
	required: { option: 'percent', example: '5' },
	request: ({ target }, values) => ({ kind, target, ...numbers(values, ['percent'], { fractions: true }) }),
});

const COMMANDS: Record<string, Command> = {
	kill: {
		usage: 'faults kill <target> [--signal KILL]',
		summary: 'send a signal to a container\'s main process (default SIGKILL)',
		options: SIGNAL,
		positionals: ['target'],
		request: ({ target }, { signal }) => ({ kind: 'kill', target, ...(signal === undefined ? {} : { signal }) }),
	},
	stop: containerCommand('stop', 'stop a container'),
	start: containerCommand('start', 'start a stopped container'),
	restart: containerCommand('restart', 'restart a container'),
	pause: containerCommand('pause', 'freeze every process of a container'),
	unpause: containerCommand('unpause', 'let a paused container run again'),
	'kill-process': {
		usage: 'faults kill-process <target> <process-name> [--signal KILL]',
		summary: 'signal every process of that name inside a container',
		options: SIGNAL,
		positionals: ['target', 'process-name'],
		request: ({ target, 'process-name': process }, { signal }) => ({ kind: 'kill-process', target, process, ...(signal === undefined ? {} : { signal }) }),
	},
	cpu: {
		usage: 'faults cpu <target> [--workers 1] [--seconds 30]',
		summary: 'busy CPU workers inside a container, within its own CPU limit',
		options: { workers: { type: 'string' }, seconds: { type: 'string' } },
		positionals: ['target'],
		request: ({ target }, values) => ({ kind: 'cpu', target, ...numbers(values, ['workers', 'seconds']) }),
	},
	memory: {
		usage: 'faults memory <target> --megabytes M [--seconds 30]',
		summary: 'hold memory inside a container, within its own memory limit',
		options: { megabytes: { type: 'string' }, seconds: { type: 'string' } },
		positionals: ['target'],
		required: { option: 'megabytes', example: '64' },
		request: ({ target }, values) => ({ kind: 'memory', target, ...numbers(values, ['megabytes', 'seconds']) }),
	},
	'end-pressure': {
		usage: 'faults end-pressure <target> [--only cpu|memory]',
		summary: 'end CPU and/or memory pressure in a container before its time',
		options: { only: { type: 'string' } },
		positionals: ['target'],
		request: ({ target }, { only }) => ({ kind: 'end-pressure', target, ...(only === undefined ? {} : { pressure: only }) }),
	},
	delay: {
		usage: 'faults delay <target> --milliseconds MS [--jitter MS]',
		summary: 'delay every packet a container sends',
		options: { milliseconds: { type: 'string' }, jitter: { type: 'string' } },
		positionals: ['target'],
		required: { option: 'milliseconds', example: '300' },
		request: ({ target }, values) => ({ kind: 'delay', target, ...numbers(values, ['milliseconds', 'jitter']) }),
	},
	loss: packetCommand('loss', 'drop a share of the packets a container sends'),
	corrupt: packetCommand('corrupt', 'corrupt a share of the packets a container sends'),
	duplicate: packetCommand('duplicate', 'send a share of a container\'s packets twice'),
	'end-netem': containerCommand('end-netem', 'take the interface fault off a container'),
	log: { usage: 'faults log [--json]', summary: 'every fault of this lab, newest first', options: { json: { type: 'boolean' } }, positionals: [] },
	reset: { usage: 'faults reset', summary: 'undo every fault still in effect, proxies included', positionals: [] },
};

const USAGE = `usage: faults <command> [arguments]

Faults in your own sandbox, through the fault API at ${DEFAULT_URL} (FAULTS_URL overrides it).

commands:
${Object.values(COMMANDS)
	.map((command) => `  ${command.usage.padEnd(62)}${command.summary}`)
	.join('\n')}

Signals: KILL, TERM, INT, HUP, QUIT, USR1, USR2 (with or without SIG).
delay, loss, corrupt and duplicate change what a container sends on its own network interface; they
need the kernel's netem, and where it has none the platform says so.
${PROXY_HINT}
Run \`faults <command> --help\` for one command.`;

class UsageError extends Error {}

/** Bad arguments: the command's usage, exit 2. Refusals and failures of the API: exit 1. */
export async function main(argv: string[], io: Io): Promise<number> {
	const [name, ...rest] = argv;
	if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
		(name === undefined ? io.stderr : io.stdout)(`${USAGE}\n`);
		return name === undefined ? 2 : 0;
	}
	const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
	if (!command) {
		io.stderr(`faults: unknown command "${name}"\n\n${USAGE}\n`);
		return 2;
	}
	let values: Record<string, string | boolean | undefined>;
	let args: Record<string, string>;
	try {
		const parsed = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
		values = parsed.values;
		if (values.help) {
			io.stdout(`usage: ${command.usage}\n  ${command.summary}\n\n${PROXY_HINT}\n`);
			return 0;
		}
		if (parsed.positionals.length !== command.positionals.length) {
			const wanted = command.positionals.length === 0 ? 'no arguments' : command.positionals.map((positional) => `<${positional}>`).join(' ');
			throw new UsageError(`${name} takes ${wanted}, got ${parsed.positionals.length === 0 ? 'none' : parsed.positionals.join(' ')}`);
		}
		const { required } = command;
		if (required && values[required.option] === undefined) throw new UsageError(`${name} needs --${required.option}, e.g. --${required.option} ${required.example}`);
		args = Object.fromEntries(command.positionals.map((positional, index) => [positional, parsed.positionals[index] ?? '']));
	} catch (error) {
		io.stderr(`faults: ${(error as Error).message}\nusage: ${command.usage}\n`);
		return 2;
	}

	const url = (io.env.FAULTS_URL || DEFAULT_URL).replace(/\/+$/, '');
	try {
		if (command.request) {
			let request: Record<string, unknown>;
			try {
				request = command.request(args, values);
			} catch (error) {
				if (!(error instanceof UsageError)) throw error;
				io.stderr(`faults: ${error.message}\nusage: ${command.usage}\n`);
				return 2;
			}
			const record = (await call(url, 'POST', '/faults', request)) as { message?: string };
			io.stdout(`${record.message ?? 'Done.'}\n`);
		} else if (name === 'log') {
			const body = (await call(url, 'GET', '/faults')) as { faults?: LogEntry[] };
			io.stdout(values.json ? `${JSON.stringify(body, null, 2)}\n` : formatLog(body.faults ?? []));
		} else {
			const body = (await call(url, 'POST', '/reset')) as { reverted?: LogEntry[] };
			const reverted = body.reverted ?? [];
			io.stdout(
				reverted.length === 0
					? 'Nothing was in effect; the proxies are reset (enabled, no toxics).\n'
					: `${reverted.map((entry) => entry.message).join('\n')}\nThe proxies are reset (enabled, no toxics).\n`,
			);
		}
		return 0;
	} catch (error) {
		if (!(error instanceof ApiFailure)) throw error;
		io.stderr(`faults: ${error.message}\n${error.fix ? `${error.fix}\n` : ''}`);
		return 1;
	}
}

function numbers(values: Record<string, string | boolean | undefined>, names: string[], options: { fractions?: boolean } = {}): Record<string, number> {
	const result: Record<string, number> = {};
	const pattern = options.fractions ? /^\d+(\.\d+)?$/ : /^\d+$/;
	for (const name of names) {
		const value = values[name];
		if (typeof value !== 'string') continue;
		if (!pattern.test(value)) throw new UsageError(`--${name} must be a ${options.fractions ? 'number, like 5 or 0.5' : 'whole number'}, got "${value}"`);
		result[name] = Number(value);
	}
	return result;
}

interface LogEntry {
	at: string;
	kind: string;
	target: string;
	parameters: Record<string, unknown>;
	outcome: string;
	message: string;
}

/** The log as a table: one line per fault, the message last so a long one only runs off the right edge. */
export function formatLog(entries: LogEntry[]): string {
	if (entries.length === 0) return 'No faults yet.\n';
	const rows = entries.map((entry) => [
		entry.at.replace('T', ' ').replace(/\.\d+Z$|Z$/, ''),
		entry.kind,
		entry.target,
		Object.entries(entry.parameters ?? {})
			.map(([key, value]) => `${key}=${String(value)}`)
			.join(' ') || '-',
		entry.outcome,
		entry.message,
	]);
	const header = ['TIME (UTC)', 'KIND', 'TARGET', 'PARAMETERS', 'OUTCOME', 'MESSAGE'];
	const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
	const line = (cells: string[]) => cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  ');
	return `${[header, ...rows].map(line).join('\n')}\n`;
}

class ApiFailure extends Error {
	readonly fix: string | undefined;
	constructor(message: string, fix?: string) {
		super(message);
		this.fix = fix;
	}
}

/** One JSON exchange with the fault API; anything but a 2xx becomes an ApiFailure with the API's own words. */
function call(base: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
	const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
	return new Promise((resolve, reject) => {
		let target: URL;
		try {
			target = new URL(`${base}${path}`);
		} catch {
			reject(new ApiFailure(`FAULTS_URL "${base}" is not a URL.`, `Unset it to use ${DEFAULT_URL}, or give one like http://faults.`));
			return;
		}
		const request = http.request(
			target,
			{ method, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}, timeout: REQUEST_TIMEOUT_MS },
			(response) => {
				const chunks: Buffer[] = [];
				response.on('data', (chunk: Buffer) => chunks.push(chunk));
				response.on('error', (error) => reject(new ApiFailure(`the fault API at ${base} broke off its answer: ${error.message}`, 'Try again in a moment.')));
				response.on('end', () => {
					const status = response.statusCode ?? 0;
					const text = Buffer.concat(chunks).toString('utf8');
					let json: { error?: unknown; fix?: unknown } | undefined;
					try {
						json = JSON.parse(text);
					} catch {
						reject(new ApiFailure(`the fault API at ${base} answered ${status} with something that is not JSON.`, `Check that FAULTS_URL points at the fault API (default ${DEFAULT_URL}).`));
						return;
					}
					if (status >= 200 && status < 300) resolve(json);
					else if (typeof json?.error === 'string') reject(new ApiFailure(json.error, typeof json.fix === 'string' ? json.fix : undefined));
					else reject(new ApiFailure(`the fault API at ${base} answered ${status}.`));
				});
			},
		);
		request.on('timeout', () => request.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
		request.on('error', (error) => reject(new ApiFailure(`cannot reach the fault API at ${base}: ${error.message}`, 'It runs in your sandbox as `faults`; wait a moment and try again, or reset the lab.')));
		request.end(payload);
	});
}
