import { appendFileSync } from 'node:fs';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error' | 'critical';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warning: 30, error: 40, critical: 50 };

export interface Logger {
	debug(message: string): void;
	info(message: string): void;
	warning(message: string): void;
	error(message: string): void;
	critical(message: string): void;
}

export interface LoggerOptions {
	/** Console output (the reference tool logs to stderr); undefined for silence. */
	console?: (line: string) => void;
	/** INFO, or DEBUG with --verbose. */
	consoleLevel?: LogLevel;
	/** A file that gets every record at DEBUG level, like the reference tool's chaostoolkit.log. */
	file?: string;
	fileFormat?: 'string' | 'json';
}

/**
 * Log lines in the reference tool's shape, `[2026-11-25 10:00:00 INFO] Probe: app-is-up`, so that
 * what learners see (and search for) matches the Chaos Toolkit's own output. Writing the log file
 * must never break a run: a read-only directory only costs the file.
 */
export function createLogger(options: LoggerOptions): Logger {
	const consoleRank = RANK[options.consoleLevel ?? 'info'];
	let fileBroken = false;
	const write = (level: LogLevel, message: string) => {
		const now = new Date();
		if (options.console && RANK[level] >= consoleRank) options.console(`[${localStamp(now)} ${level.toUpperCase()}] ${message}`);
		if (options.file && !fileBroken) {
			const record =
				options.fileFormat === 'json'
					? JSON.stringify({ time: now.toISOString(), level: level.toUpperCase(), message })
					: `[${localStamp(now)} ${level.toUpperCase()}] ${message}`;
			try {
				appendFileSync(options.file, `${record}\n`);
			} catch {
				fileBroken = true;
			}
		}
	};
	return {
		debug: (message) => write('debug', message),
		info: (message) => write('info', message),
		warning: (message) => write('warning', message),
		error: (message) => write('error', message),
		critical: (message) => write('critical', message),
	};
}

export const silentLogger: Logger = createLogger({});

function localStamp(date: Date): string {
	const pad = (value: number) => String(value).padStart(2, '0');
	return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
