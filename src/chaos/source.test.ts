import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Problem } from '../schemas/problems.ts';
import { InvalidExperiment, UserError } from './errors.ts';
import { loadSource, parseSource } from './source.ts';

const JSON_EXPERIMENT = `{
  "title": "The storefront survives",
  "description": "Restart Redis.",
  "method": [
    {"type": "probe", "name": "up", "provider": {"type": "http", "url": "http://storefront:8080/health"}}
  ]
}
`;

const YAML_EXPERIMENT = `title: The storefront survives
description: Restart Redis.
method:
  - type: probe
    name: up
    background: yes
    provider:
      type: http
      url: http://storefront:8080/health
`;

const EXPECTED = {
	title: 'The storefront survives',
	description: 'Restart Redis.',
	method: [{ type: 'probe', name: 'up', provider: { type: 'http', url: 'http://storefront:8080/health' } }],
};

function parseProblems(text: string, file: string): Problem[] {
	try {
		parseSource(text, file);
	} catch (error) {
		if (error instanceof InvalidExperiment) return error.problems;
		throw error;
	}
	throw new Error('expected the text not to parse');
}

async function userError(loading: Promise<unknown>): Promise<string> {
	try {
		await loading;
	} catch (error) {
		if (error instanceof UserError) return error.message;
		throw error;
	}
	throw new Error('expected a UserError');
}

describe('parseSource', () => {
	it('reads JSON, with a locator that points at fields', () => {
		const { file, data, locate } = parseSource(JSON_EXPERIMENT, 'storefront.json');

		expect(file).toBe('storefront.json');
		expect(data).toEqual(EXPECTED);
		expect(locate?.(['method', 0, 'provider', 'url'])).toEqual({ line: 5, column: 66 });
		expect(locate?.(['description'])).toEqual({ line: 3, column: 3 });
	});

	it('reads YAML as the reference tool does (YAML 1.1: `yes` is true), with a locator', () => {
		const { data, locate } = parseSource(YAML_EXPERIMENT, 'storefront.yaml');

		expect(data).toEqual({ ...EXPECTED, method: [{ ...EXPECTED.method[0], background: true }] });
		expect(locate?.(['method', 0, 'provider', 'url'])).toEqual({ line: 9, column: 7 });
	});

	it('goes by the extension: .yml is YAML, and JSON is YAML too', () => {
		expect(parseSource(YAML_EXPERIMENT, 'storefront.yml').data).toMatchObject({ title: 'The storefront survives' });
		expect(parseSource(JSON_EXPERIMENT, 'storefront.yaml').data).toEqual(EXPECTED);
	});

	it('reads a .json file as JSON, even when it holds YAML', () => {
		expect(parseProblems(YAML_EXPERIMENT, 'storefront.json')).toEqual([
			expect.objectContaining({ file: 'storefront.json', line: 1, column: 1, message: 'not valid JSON: expected a value, found "t" (text needs double quotes)' }),
		]);
	});

	it('takes the format of a URL from its path', () => {
		expect(parseSource(YAML_EXPERIMENT, 'http://course.local/labs/storefront.yaml?raw=1').data).toMatchObject({ description: 'Restart Redis.' });
	});

	it('reads an empty file as no experiment at all, which validation names', () => {
		expect(parseSource('\n', 'empty.json').data).toBeNull();
		expect(parseSource('', 'empty.yaml').data).toBeNull();
	});

	it('ignores the byte-order mark some editors write', () => {
		expect(parseSource(`\uFEFF${JSON_EXPERIMENT}`, 'storefront.json').data).toEqual(EXPECTED);
	});
});

describe('parseSource: malformed JSON points at the line and column of the mistake', () => {
	it.each([
		['a missing comma, just after the value before it', '{\n  "title": "T"\n  "description": "D"\n}', 2, 15, 'expected "," or "}" after this value: a missing comma?'],
		['a comma after the last item', '{\n  "method": [\n    {"ref": "a"},\n  ]\n}', 3, 17, 'a comma before "]": JSON allows none after the last item'],
		['single quotes', "{\n  'title': 'T'\n}", 2, 3, 'names need double quotes, not single quotes'],
		['a missing value', '{\n  "title": ,\n}', 2, 12, 'expected a value, found "," (text needs double quotes)'],
		['a file that ends too early', '{\n  "method": [\n', 3, 1, 'the file ends where a value should be'],
		['a comment', '{\n  // the title\n  "title": "T"\n}', 2, 3, 'JSON does not allow comments'],
		['a text that is not closed', '{\n  "title": "T\n}', 2, 12, 'this text is not closed: a missing "'],
	])('%s', (_name, text, line, column, reason) => {
		const problems = parseProblems(text, 'storefront.json');

		expect(problems).toEqual([{ file: 'storefront.json', field: '', line, column, message: `not valid JSON: ${reason}`, fix: expect.stringContaining('double quotes') }]);
	});
});

describe('parseSource: malformed YAML points at the line and column of the mistake', () => {
	it('reports a syntax error as an InvalidExperiment problem', () => {
		const text = 'title: T\nmethod:\n  - type: probe\n   name: up\n';
		const problems = parseProblems(text, 'storefront.yaml');

		expect(problems).toEqual([
			{
				file: 'storefront.yaml',
				field: '',
				line: 4,
				column: 1,
				message: 'not valid YAML: Sequence item without - indicator',
				fix: expect.stringContaining('indentation'),
			},
		]);
	});

	it('reports a key written twice', () => {
		expect(parseProblems('title: A\ndescription: D\ntitle: B\n', 'storefront.yaml')).toEqual([
			expect.objectContaining({ line: 3, column: 1, message: 'not valid YAML: Map keys must be unique' }),
		]);
	});
});

describe('loadSource: files', () => {
	const dir = mkdtempSync(join(tmpdir(), 'chaos-source-'));
	writeFileSync(join(dir, 'storefront.json'), JSON_EXPERIMENT);
	writeFileSync(join(dir, 'storefront.yaml'), YAML_EXPERIMENT);
	writeFileSync(join(dir, 'storefront.txt'), JSON_EXPERIMENT);
	mkdirSync(join(dir, 'experiments.json'));
	afterAll(() => rmSync(dir, { recursive: true, force: true }));

	it('reads a path relative to cwd and names the file as it was given', async () => {
		const loaded = await loadSource('storefront.json', { cwd: dir });

		expect(loaded.file).toBe('storefront.json');
		expect(loaded.data).toEqual(EXPECTED);
		expect(loaded.locate?.(['title'])).toEqual({ line: 2, column: 3 });
	});

	it('reads an absolute path, YAML by its extension', async () => {
		const loaded = await loadSource(join(dir, 'storefront.yaml'));
		expect(loaded.data).toMatchObject({ title: 'The storefront survives' });
	});

	it('says in one line that a missing file does not exist, and where it looked', async () => {
		const message = await userError(loadSource('nope.json', { cwd: dir }));

		expect(message).toBe(`Path "nope.json" does not exist (looked for ${join(dir, 'nope.json')}).`);
	});

	it('says a directory is not an experiment file', async () => {
		expect(await userError(loadSource('experiments.json', { cwd: dir }))).toBe(
			'Path "experiments.json" is a directory: give the experiment file inside it (.json, .yaml or .yml).',
		);
	});

	it('refuses an extension it cannot tell the format of, as the reference tool does', async () => {
		expect(await userError(loadSource('storefront.txt', { cwd: dir }))).toBe('"storefront.txt": only files with json, yaml or yml extensions are supported.');
	});
});

describe('loadSource: URLs', () => {
	let server: Server;
	let base: string;
	const requests: string[] = [];

	beforeAll(async () => {
		server = createServer((request, response) => {
			requests.push(`${request.url} ${request.headers.accept}`);
			const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
				response.writeHead(status, { 'Content-Type': type, ...headers });
				response.end(body);
			};
			if (request.url === '/experiment') return send(200, 'application/json', JSON_EXPERIMENT);
			if (request.url === '/experiment-yaml') return send(200, 'application/x-yaml; charset=utf-8', YAML_EXPERIMENT);
			if (request.url === '/raw/storefront.yaml') return send(200, 'text/plain', YAML_EXPERIMENT);
			if (request.url === '/moved') return send(302, 'text/plain', '', { Location: '/experiment' });
			if (request.url === '/broken.json') return send(200, 'application/json', '{"title": "T",}');
			return send(404, 'text/plain', 'no experiment here');
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	});

	afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

	it('reads JSON by its Content-Type, asking for JSON or YAML', async () => {
		const loaded = await loadSource(`${base}/experiment`);

		expect(loaded.file).toBe(`${base}/experiment`);
		expect(loaded.data).toEqual(EXPECTED);
		expect(requests).toContain('/experiment application/json, application/x-yaml, text/yaml');
	});

	it('reads YAML by its Content-Type', async () => {
		expect((await loadSource(`${base}/experiment-yaml`)).data).toMatchObject({ title: 'The storefront survives' });
	});

	it('falls back on the extension when the Content-Type says nothing of the format', async () => {
		expect((await loadSource(`${base}/raw/storefront.yaml`)).data).toMatchObject({ description: 'Restart Redis.' });
	});

	it('follows redirects', async () => {
		expect((await loadSource(`${base}/moved`)).data).toEqual(EXPECTED);
	});

	it('points a parse error at the URL, line and column', async () => {
		await expect(loadSource(`${base}/broken.json`)).rejects.toMatchObject({
			problems: [expect.objectContaining({ file: `${base}/broken.json`, line: 1, column: 14 })],
		});
	});

	it('says in one line that the server answered 404', async () => {
		expect(await userError(loadSource(`${base}/missing.json`))).toBe(`Failed to fetch the experiment from ${base}/missing.json: HTTP 404 Not Found.`);
	});

	it('says in one line that nothing listens on the port', async () => {
		const closed = createServer();
		await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
		const port = (closed.address() as AddressInfo).port;
		await new Promise<void>((resolve) => closed.close(() => resolve()));

		const message = await userError(loadSource(`http://127.0.0.1:${port}/experiment.json`));

		expect(message).toBe(`Failed to fetch the experiment from http://127.0.0.1:${port}/experiment.json: connection refused (is the server running, on that port?).`);
		expect(message).not.toContain('\n');
	});

	it('refuses a scheme other than http(s)', async () => {
		expect(await userError(loadSource('ftp://course.local/storefront.json'))).toBe("'ftp' is not a supported source scheme: give a file path or an http(s) URL.");
	});
});
