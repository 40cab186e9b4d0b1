import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { parseYaml, ValidationError, type Locator } from '../schemas/problems.ts';
import { InvalidExperiment, UserError } from './errors.ts';

/**
 * Reads an experiment from a file or an http(s) URL, as JSON or YAML. A source that cannot be read
 * is the person's mistake about where the file is (a UserError, one line); a file that does not
 * parse is a problem in the experiment, pointed at by line and column.
 */

export interface LoadedSource {
	/** The source as given: a path as typed, or the URL. Problems name it. */
	file: string;
	data: unknown;
	/** Finds where a field sits in the text, for problems that point at a line. */
	locate?: Locator;
}

export interface LoadOptions {
	/** Check the certificate of an https source (`--no-verify-tls` turns it off). */
	verifyTls?: boolean;
	/** Where relative paths start; the process's working directory when left out. */
	cwd?: string;
}

type Format = 'json' | 'yaml';

const URL_SOURCE = /^[a-z][a-z0-9+.-]*:\/\//i;
const FETCH_TIMEOUT_MS = 30_000;
const MAX_REDIRECTS = 5;

export async function loadSource(source: string, options: LoadOptions = {}): Promise<LoadedSource> {
	if (URL_SOURCE.test(source)) {
		const scheme = source.slice(0, source.indexOf(':')).toLowerCase();
		if (scheme !== 'http' && scheme !== 'https') {
			throw new UserError(`'${scheme}' is not a supported source scheme: give a file path or an http(s) URL.`);
		}
		const response = await fetchText(source, options.verifyTls ?? true);
		const format = formatOfContentType(response.contentType) ?? formatOfPath(new URL(response.url).pathname) ?? sniffFormat(response.text);
		return parseAs(format, response.text, source);
	}
	const text = await readSourceFile(source, path.resolve(options.cwd ?? process.cwd(), source));
	const format = formatOfPath(source);
	if (!format) throw new UserError(`"${source}": only files with json, yaml or yml extensions are supported.`);
	return parseAs(format, text, source);
}

/** Parses text already in hand; `file` names it in problems and its extension says JSON or YAML. */
export function parseSource(text: string, file: string): LoadedSource {
	const pathname = URL_SOURCE.test(file) ? new URL(file).pathname : file;
	return parseAs(formatOfPath(pathname) ?? sniffFormat(text), text, file);
}

function parseAs(format: Format, text: string, file: string): LoadedSource {
	// Editors on Windows save a byte-order mark that JSON.parse rejects.
	const content = text.startsWith('\uFEFF') ? text.slice(1) : text;
	return format === 'json' ? parseJson(content, file) : parseYamlSource(content, file);
}

function formatOfPath(pathname: string): Format | undefined {
	const extension = path.extname(pathname).toLowerCase();
	if (extension === '.json') return 'json';
	if (extension === '.yaml' || extension === '.yml') return 'yaml';
	return undefined;
}

function formatOfContentType(contentType: string): Format | undefined {
	if (/json/i.test(contentType)) return 'json';
	if (/yaml|yml/i.test(contentType)) return 'yaml';
	return undefined;
}

/** For a source that says nothing of its format: JSON is a mapping or list, anything else is read as YAML. */
function sniffFormat(text: string): Format {
	return /^\uFEFF?\s*[{[]/.test(text) ? 'json' : 'yaml';
}

async function readSourceFile(source: string, absolute: string): Promise<string> {
	try {
		return await readFile(absolute, 'utf8');
	} catch (error) {
		const code = (error as NodeJS.ErrnoException).code;
		const where = path.isAbsolute(source) ? '' : ` (looked for ${absolute})`;
		if (code === 'ENOENT' || code === 'ENOTDIR') throw new UserError(`Path "${source}" does not exist${where}.`);
		if (code === 'EISDIR') throw new UserError(`Path "${source}" is a directory: give the experiment file inside it (.json, .yaml or .yml).`);
		if (code === 'EACCES' || code === 'EPERM') throw new UserError(`Path "${source}" cannot be read: permission denied.`);
		throw new UserError(`Path "${source}" cannot be read: ${code ?? (error as Error).message}.`);
	}
}

// ---------------------------------------------------------------------------------------------
// JSON

const JSON_FIX = 'Every name and text value needs double quotes, items are separated by commas, and there is no comma after the last one.';

function parseJson(text: string, file: string): LoadedSource {
	// An empty file is an empty experiment, which validation names as such.
	if (text.trim() === '') return { file, data: null };
	let data: unknown;
	try {
		data = JSON.parse(text);
	} catch (error) {
		// V8's message does not always carry a position, and never a line: find the first mistake ourselves.
		const mistake = firstJsonMistake(text) ?? { offset: 0, reason: (error as Error).message };
		const { line, column } = lineAndColumn(text, mistake.offset);
		throw new InvalidExperiment([{ file, field: '', line, column, message: `not valid JSON: ${mistake.reason}`, fix: JSON_FIX }]);
	}
	return { file, data, locate: jsonLocator(text, file) };
}

/**
 * JSON is YAML, so the YAML parser finds where fields sit. A JSON text it refuses (a duplicate key,
 * which JSON allows) just has no locator: problems then name the field without a line.
 */
function jsonLocator(text: string, file: string): Locator | undefined {
	try {
		return parseYaml(text, file, 'Invalid experiment').locate;
	} catch (error) {
		if (error instanceof ValidationError) return undefined;
		throw error;
	}
}

class JsonMistake extends Error {
	readonly offset: number;
	constructor(reason: string, offset: number) {
		super(reason);
		this.offset = offset;
	}
}

/** The first place `text` breaks the JSON grammar, said in words a person can act on. */
function firstJsonMistake(text: string): { offset: number; reason: string } | undefined {
	let at = 0;
	function fail(reason: string, offset = at): never {
		throw new JsonMistake(reason, offset);
	}

	const skipSpace = () => {
		for (;;) {
			const char = text[at];
			if (char === ' ' || char === '\t' || char === '\n' || char === '\r') at += 1;
			else if (char === '/' && (text[at + 1] === '/' || text[at + 1] === '*')) fail('JSON does not allow comments');
			else if (char === '#') fail('JSON does not allow comments');
			else return;
		}
	};

	const string = () => {
		const start = at;
		at += 1;
		for (;;) {
			const char = text[at];
			if (char === undefined || char === '\n') fail('this text is not closed: a missing "', start);
			if (char === '"') {
				at += 1;
				return;
			}
			if (char === '\\') {
				const escape = text[at + 1] ?? '';
				if (escape === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) at += 6;
				else if ('"\\/bfnrt'.includes(escape) && escape !== '') at += 2;
				else fail(`"\\${escape}" is not a JSON escape: write a backslash as \\\\`);
			} else if (char < ' ') {
				fail('a control character (such as a tab) inside text must be escaped, e.g. \\t');
			} else {
				at += 1;
			}
		}
	};

	const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
	const number = () => {
		NUMBER.lastIndex = at;
		if (!NUMBER.exec(text)) fail('this is not a valid number');
		at = NUMBER.lastIndex;
	};

	/** Items of an object or array, with the separators and closing bracket checked. */
	const items = (close: '}' | ']', item: () => void) => {
		at += 1;
		skipSpace();
		if (text[at] === close) {
			at += 1;
			return;
		}
		for (;;) {
			item();
			const end = at;
			skipSpace();
			if (text[at] === close) {
				at += 1;
				return;
			}
			if (text[at] === ',') {
				const comma = at;
				at += 1;
				skipSpace();
				if (text[at] === close) fail(`a comma before "${close}": JSON allows none after the last item`, comma);
				continue;
			}
			if (at >= text.length) fail(`the file ends before the closing "${close}"`);
			// Point just after the previous item, where the comma is most likely missing.
			fail(`expected "," or "${close}" after this ${close === '}' ? 'value' : 'item'}: a missing comma?`, end);
		}
	};

	const value = (): void => {
		skipSpace();
		const char = text[at];
		if (char === undefined) return fail('the file ends where a value should be');
		if (char === '{') {
			return items('}', () => {
				skipSpace();
				if (text[at] === "'") fail('names need double quotes, not single quotes');
				if (text[at] !== '"') fail('expected a name in double quotes');
				string();
				skipSpace();
				if (text[at] !== ':') fail('expected ":" after the name');
				at += 1;
				value();
			});
		}
		if (char === '[') return items(']', value);
		if (char === '"') return string();
		if (char === '-' || (char >= '0' && char <= '9')) return number();
		for (const word of ['true', 'false', 'null']) {
			if (text.startsWith(word, at)) {
				at += word.length;
				return;
			}
		}
		if (char === "'") return fail('text needs double quotes, not single quotes');
		return fail(`expected a value, found "${char}" (text needs double quotes)`);
	};

	try {
		value();
		skipSpace();
		if (at < text.length) fail('more text after the end of the JSON value');
		return undefined;
	} catch (error) {
		if (error instanceof JsonMistake) return { offset: error.offset, reason: error.message };
		throw error;
	}
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
	const before = text.slice(0, offset);
	const lineStart = before.lastIndexOf('\n') + 1;
	return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

// ---------------------------------------------------------------------------------------------
// YAML

function parseYamlSource(text: string, file: string): LoadedSource {
	try {
		// YAML 1.1, as the reference tool's PyYAML reads it: `background: yes` is true there and here.
		const { value, locate } = parseYaml(text, file, 'Invalid experiment', 0, { version: '1.1' });
		return { file, data: value, locate };
	} catch (error) {
		if (error instanceof ValidationError) throw new InvalidExperiment(error.problems);
		throw error;
	}
}

// ---------------------------------------------------------------------------------------------
// HTTP

interface Fetched {
	text: string;
	contentType: string;
	/** After redirects. */
	url: string;
}

function fetchText(url: string, verifyTls: boolean, redirectsLeft = MAX_REDIRECTS): Promise<Fetched> {
	const failed = (reason: string) => new UserError(`Failed to fetch the experiment from ${url}: ${reason}`);
	return new Promise((resolve, reject) => {
		const target = new URL(url);
		const headers = { Accept: 'application/json, application/x-yaml, text/yaml' };
		const onResponse = (response: http.IncomingMessage) => {
			const status = response.statusCode ?? 0;
			const location = response.headers.location;
			if (status >= 300 && status < 400 && location) {
				response.resume();
				if (redirectsLeft === 0) return reject(failed(`more than ${MAX_REDIRECTS} redirects.`));
				return resolve(fetchText(new URL(location, target).href, verifyTls, redirectsLeft - 1));
			}
			if (status < 200 || status >= 300) {
				response.resume();
				return reject(failed(`HTTP ${status}${response.statusMessage ? ` ${response.statusMessage}` : ''}.`));
			}
			response.setEncoding('utf8');
			let text = '';
			response.on('data', (chunk: string) => {
				text += chunk;
			});
			response.on('end', () => resolve({ text, contentType: response.headers['content-type'] ?? '', url: target.href }));
			response.on('error', (error) => reject(failed(networkReason(error))));
		};
		const request =
			target.protocol === 'https:'
				? https.get(target, { headers, rejectUnauthorized: verifyTls, timeout: FETCH_TIMEOUT_MS }, onResponse)
				: http.get(target, { headers, timeout: FETCH_TIMEOUT_MS }, onResponse);
		request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
		request.on('error', (error) => reject(failed(networkReason(error))));
	});
}

function networkReason(error: Error): string {
	const code = (error as NodeJS.ErrnoException).code ?? '';
	if (code === 'ECONNREFUSED') return 'connection refused (is the server running, on that port?).';
	if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found (check the host name).';
	if (code === 'ETIMEDOUT') return `no answer within ${FETCH_TIMEOUT_MS / 1000} seconds.`;
	if (code === 'ECONNRESET') return 'the connection was closed before the answer arrived.';
	if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) return `the server's certificate is not trusted (${code}); pass --no-verify-tls to skip the check.`;
	return `${error.message.split('\n')[0]}.`;
}
