import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadScope, parseVar, resolveScope } from './configuration.ts';
import { InvalidExperiment, UserError } from './errors.ts';
import type { Configuration, Secrets } from './types.ts';

let directory: string;

beforeAll(async () => {
	directory = await mkdtemp(join(tmpdir(), 'chaos-configuration-'));
});

afterAll(async () => {
	await rm(directory, { recursive: true, force: true });
});

async function varFile(name: string, content: string): Promise<string> {
	const path = join(directory, name);
	await writeFile(path, content);
	return path;
}

function thrownBy(run: () => unknown): unknown {
	try {
		run();
	} catch (error) {
		return error;
	}
	throw new Error('expected an error');
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
	try {
		await promise;
	} catch (error) {
		return error;
	}
	throw new Error('expected a rejection');
}

function env(name: string, type: string | undefined, extra: Record<string, unknown> = {}): Configuration[string] {
	return { type: 'env', key: name, ...(type ? { env_var_type: type } : {}), ...extra } as Configuration[string];
}

describe('configuration', () => {
	it('keeps literal values, nested ones included', () => {
		const configuration = { host: 'localhost', port: 8080, nested: { list: [1, 2], flag: true }, other: { type: 'something', a: 1 } };
		expect(resolveScope({ configuration }, {}).configuration).toEqual(configuration);
	});

	it('reads env values as strings by default', () => {
		const scope = resolveScope({ configuration: { host: env('HOST', undefined), port: env('PORT', 'str') } }, { HOST: 'web', PORT: '80' });
		expect(scope.configuration).toEqual({ host: 'web', port: '80' });
	});

	it('converts env values to int the way Python int() does', () => {
		const configuration = { a: env('A', 'int'), b: env('B', 'int'), c: env('C', 'integer'), d: env('D', 'int') };
		const scope = resolveScope({ configuration }, { A: '42', B: ' -7 ', C: '1_000', D: '007' });
		expect(scope.configuration).toEqual({ a: 42, b: -7, c: 1000, d: 7 });
	});

	it('reports a value that is not an int instead of crashing like the reference', () => {
		const error = thrownBy(() => resolveScope({ configuration: { port: env('PORT', 'int') } }, { PORT: '8080.5' }));
		expect(error).toBeInstanceOf(InvalidExperiment);
		expect((error as InvalidExperiment).problems).toEqual([
			{
				file: '',
				field: 'configuration.port',
				message: 'Configuration reads environment key PORT, but "8080.5" is not a whole number (int)',
				fix: 'Give PORT a value of type int, or change "env_var_type".',
			},
		]);
	});

	it('converts float values, including what Python float() accepts beyond JSON numbers', () => {
		const configuration = { a: env('A', 'float'), b: env('B', 'number'), c: env('C', 'float'), d: env('D', 'float') };
		const scope = resolveScope({ configuration }, { A: '30.5', B: '1e3', C: '-inf', D: '.5' });
		expect(scope.configuration).toEqual({ a: 30.5, b: 1000, c: -Infinity, d: 0.5 });
		expect(() => resolveScope({ configuration: { a: env('A', 'float') } }, { A: 'fast' })).toThrow('"fast" is not a number (float)');
	});

	it('reads bool values as true unless they are false, 0 or no (any case), so "off" and "" are true', () => {
		const names = ['false', 'FALSE', '0', 'No', 'off', '', ' false', 'true', 'yes'];
		const configuration = Object.fromEntries(names.map((_, index) => [`v${index}`, env(`V${index}`, 'bool')]));
		const values = Object.fromEntries(names.map((value, index) => [`V${index}`, value]));
		expect(Object.values(resolveScope({ configuration }, values).configuration)).toEqual([false, false, false, false, true, true, true, true, true]);
	});

	it('parses json values, keeps an empty one as "", and reports bad JSON', () => {
		const configuration = { a: env('A', 'json'), b: env('B', 'json') };
		expect(resolveScope({ configuration }, { A: '{"x": [1, null]}', B: '' }).configuration).toEqual({ a: { x: [1, null] }, b: '' });
		expect(() => resolveScope({ configuration: { a: env('A', 'json') } }, { A: '{x' })).toThrow('"{x" is not valid JSON');
	});

	it('keeps bytes values as text', () => {
		expect(resolveScope({ configuration: { a: env('A', 'bytes') } }, { A: 'raw' }).configuration).toEqual({ a: 'raw' });
	});

	it('reports a default that does not convert, pointing at the default', () => {
		const error = thrownBy(() => resolveScope({ configuration: { port: env('PORT', 'int', { default: 'eighty' }) } }, {})) as InvalidExperiment;
		expect(error.problems).toEqual([
			{
				file: '',
				field: 'configuration.port',
				message: 'Configuration reads the default of "configuration.port", but "eighty" is not a whole number (int)',
				fix: 'Give the "default" of "configuration.port" a value of type int, or change "env_var_type".',
			},
		]);
	});

	it('reports an unknown env_var_type', () => {
		const error = thrownBy(() => resolveScope({ configuration: { a: env('A', 'list') } }, { A: 'x' })) as InvalidExperiment;
		expect(error.problems[0]).toMatchObject({
			field: 'configuration.a',
			message: 'Configuration reads environment key A, but "list" is not a known type; use one of str, int, float, bytes, bool or json',
			fix: 'Set "env_var_type" to one of str, int, float, bytes, bool or json.',
		});
	});

	it('uses the default when the variable is unset, converting a string default too', () => {
		const configuration = { host: env('HOST', undefined, { default: 'localhost' }), port: env('PORT', 'int', { default: '80' }), n: env('N', 'int', { default: 5 }) };
		expect(resolveScope({ configuration }, {}).configuration).toEqual({ host: 'localhost', port: 80, n: 5 });
	});

	it('prefers a variable that is set but empty over the default, and takes "" as a default', () => {
		const configuration = { a: env('A', undefined, { default: 'fallback' }), b: env('B', undefined, { default: '' }) };
		expect(resolveScope({ configuration }, { A: '' }).configuration).toEqual({ a: '', b: '' });
	});

	it('treats a null default as no default', () => {
		expect(() => resolveScope({ configuration: { a: env('A', undefined, { default: null }) } }, {})).toThrow(
			'Configuration makes reference to an environment key that does not exist: A',
		);
	});

	it('does not substitute configuration values into each other', () => {
		expect(resolveScope({ configuration: { a: 'x', b: '${a}' } }, {}).configuration).toEqual({ a: 'x', b: '${a}' });
	});
});

describe('secrets', () => {
	it('keeps literal secrets and reads env ones, scope by scope', () => {
		const secrets: Secrets = { api: { token: { type: 'env', key: 'TOKEN' }, user: 'bob' }, db: { password: 'pw' } };
		expect(resolveScope({ secrets }, { TOKEN: 't0k' }).secrets).toEqual({ api: { token: 't0k', user: 'bob' }, db: { password: 'pw' } });
	});

	it('never converts or substitutes secrets: no env_var_type, no default, no ${} from configuration', () => {
		const secrets = { api: { token: { type: 'env', key: 'TOKEN', env_var_type: 'int' }, url: '${host}' } } as unknown as Secrets;
		expect(resolveScope({ configuration: { host: 'h' }, secrets }, { TOKEN: '12' }).secrets).toEqual({ api: { token: '12', url: '${host}' } });
		expect(() => resolveScope({ secrets: { api: { token: { type: 'env', key: 'TOKEN', default: 'x' } as never } } }, {})).toThrow(
			'Secrets make reference to an environment key that does not exist: TOKEN',
		);
	});

	it('loads nested mappings inside a scope, env references included', () => {
		const secrets = { cloud: { creds: { id: { type: 'env', key: 'ID' }, region: 'eu' } } } as unknown as Secrets;
		expect(resolveScope({ secrets }, { ID: 'abc' }).secrets).toEqual({ cloud: { creds: { id: 'abc', region: 'eu' } } });
	});
});

describe('missing environment keys', () => {
	it('are all reported at once, each with its field, the reference wording and a fix', () => {
		const experiment = {
			configuration: { host: env('HOST', undefined), ok: env('OK', undefined), port: env('PORT', 'int') },
			secrets: { api: { token: { type: 'env', key: 'TOKEN' } }, db: { password: { type: 'env', key: 'DB_PASSWORD' } } } as Secrets,
		};
		const error = thrownBy(() => resolveScope(experiment, { OK: 'yes' })) as InvalidExperiment;
		expect(error).toBeInstanceOf(InvalidExperiment);
		expect(error.problems.map(({ field, message }) => ({ field, message }))).toEqual([
			{ field: 'configuration.host', message: 'Configuration makes reference to an environment key that does not exist: HOST' },
			{ field: 'configuration.port', message: 'Configuration makes reference to an environment key that does not exist: PORT' },
			{ field: 'secrets.api.token', message: 'Secrets make reference to an environment key that does not exist: TOKEN' },
			{ field: 'secrets.db.password', message: 'Secrets make reference to an environment key that does not exist: DB_PASSWORD' },
		]);
		expect(error.problems[0]!.fix).toBe('Export HOST before running, set it in a .env file passed with --var-file, or give "configuration.host" a "default".');
		expect(error.problems[2]!.fix).toBe('Export TOKEN before running, or set it in a .env file passed with --var-file (secrets have no default).');
	});
});

describe('parseVar', () => {
	it('reads key=value as a string, splitting at the first =', () => {
		expect(parseVar('url=http://h:80/?a=b')).toEqual({ key: 'url', value: 'http://h:80/?a=b' });
		expect(parseVar('empty=')).toEqual({ key: 'empty', value: '' });
	});

	it('converts key:type=value with every type the reference accepts, aliases included', () => {
		expect(parseVar('n:int=45').value).toBe(45);
		expect(parseVar('n:integer=45').value).toBe(45);
		expect(parseVar('f:float=45').value).toBe(45);
		expect(parseVar('f:number=0.25').value).toBe(0.25);
		expect(parseVar('s:str=x').value).toBe('x');
		expect(parseVar('s:string=x').value).toBe('x');
		expect(parseVar('b:bytes=stuff').value).toBe('stuff');
		expect(parseVar('b:bool=no').value).toBe(false);
		expect(parseVar('b:bool=anything').value).toBe(true);
		expect(parseVar('j:json=[1, {"a": null}]').value).toEqual([1, { a: null }]);
	});

	it('takes the type after the last colon of the name', () => {
		expect(parseVar('a:b:int=1')).toEqual({ key: 'a:b', value: 1 });
	});

	it('rejects what does not parse, in one line that shows the expected form', () => {
		const cases: Array<[string, string]> = [
			['novalue', '--var "novalue" must look like name=value or name:type=value (type: str, int, float, bytes, bool or json).'],
			['=x', '--var "=x" has no name before "=": write name=value.'],
			['n:int=4.5', '--var "n:int=4.5": "4.5" is not a whole number (int).'],
			['n:object=x', '--var "n:object=x": "object" is not a known type; use one of str, int, float, bytes, bool or json.'],
			['j:json={', '--var "j:json={": "{" is not valid JSON'],
		];
		for (const [spec, message] of cases) {
			const error = thrownBy(() => parseVar(spec));
			expect(error).toBeInstanceOf(UserError);
			expect((error as UserError).message.startsWith(message)).toBe(true);
			expect((error as UserError).message).not.toContain('\n');
		}
	});
});

describe('loadScope with --var', () => {
	it('overrides declared configuration keys, literal or env-backed, with the typed value', async () => {
		const configuration = { port: 80, host: env('HOST', undefined) };
		const scope = await loadScope({ configuration }, { env: { HOST: 'env-host' }, vars: ['port:int=9090', 'host=cli-host'] });
		expect(scope.configuration).toEqual({ port: 9090, host: 'cli-host' });
	});

	it('ignores keys the experiment does not declare, as the reference does', async () => {
		const scope = await loadScope({ configuration: { port: 80 } }, { env: {}, vars: ['extra=1'] });
		expect(scope.configuration).toEqual({ port: 80 });
		expect(await loadScope({}, { env: {}, vars: ['extra=1'] })).toEqual({ configuration: {}, secrets: {} });
	});

	it('silences a missing or malformed env key for the overridden configuration key only', async () => {
		const configuration = { token: env('TOKEN', 'int'), other: env('OTHER', undefined) };
		expect(await loadScope({ configuration }, { env: { TOKEN: 'not-int', OTHER: 'o' }, vars: ['token=1'] })).toEqual({
			configuration: { token: '1', other: 'o' },
			secrets: {},
		});
		const error = (await rejectionOf(loadScope({ configuration }, { env: {}, vars: ['token=1'] }))) as InvalidExperiment;
		expect(error.problems.map((problem) => problem.field)).toEqual(['configuration.other']);
	});

	it('lets the last --var of a key win, and reports a bad one as a UserError', async () => {
		expect((await loadScope({ configuration: { a: 0 } }, { env: {}, vars: ['a=1', 'a:int=2'] })).configuration).toEqual({ a: 2 });
		expect(await rejectionOf(loadScope({ configuration: { a: 0 } }, { env: {}, vars: ['a'] }))).toBeInstanceOf(UserError);
	});

	it('does not let --var touch secrets', async () => {
		const secrets: Secrets = { api: { token: 'file' } };
		expect((await loadScope({ secrets }, { env: {}, vars: ['token=cli'] })).secrets).toEqual({ api: { token: 'file' } });
	});
});

describe('loadScope with --var-file', () => {
	it('reads configuration and secrets from JSON; a scope in the file replaces the whole scope', async () => {
		const file = await varFile(
			'vars.json',
			JSON.stringify({ configuration: { host: 'file-host', undeclared: 1 }, secrets: { api: { token: 'file-token' }, unknown: { x: 1 } } }),
		);
		const experiment = {
			configuration: { host: 'exp-host', port: 80 },
			secrets: { api: { token: { type: 'env', key: 'TOKEN' }, user: 'bob' }, db: { password: 'pw' } } as Secrets,
		};
		// TOKEN is unset: the replaced scope is never read, so it is not reported missing.
		expect(await loadScope(experiment, { env: {}, varFiles: [file] })).toEqual({
			configuration: { host: 'file-host', port: 80 },
			secrets: { api: { token: 'file-token' }, db: { password: 'pw' } },
		});
	});

	it('reads YAML (.yaml and .yml) the same way', async () => {
		const yaml = await varFile('vars.yaml', 'configuration:\n  host: yaml-host\n  port: 81\nsecrets:\n  api:\n    token: yaml-token\n');
		const yml = await varFile('vars.yml', 'configuration:\n  port: 82\n');
		const experiment = { configuration: { host: 'h', port: 80 }, secrets: { api: { token: 'exp' } } };
		expect(await loadScope(experiment, { env: {}, varFiles: [yaml, yml] })).toEqual({
			configuration: { host: 'yaml-host', port: 82 },
			secrets: { api: { token: 'yaml-token' } },
		});
	});

	it('uses a var file value as given, without reading an env reference in it', async () => {
		const file = await varFile('env-in-file.json', JSON.stringify({ configuration: { host: { type: 'env', key: 'HOST' } } }));
		const scope = await loadScope({ configuration: { host: 'h' } }, { env: { HOST: 'from-env' }, varFiles: [file] });
		expect(scope.configuration).toEqual({ host: { type: 'env', key: 'HOST' } });
	});

	it('applies files in order, then --var last', async () => {
		const first = await varFile('first.json', JSON.stringify({ configuration: { a: 'first', b: 'first', c: 'first' }, secrets: { s: { k: 'first', only: 1 } } }));
		const second = await varFile('second.yaml', 'configuration:\n  b: second\n  c: second\nsecrets:\n  s:\n    k: second\n');
		const experiment = { configuration: { a: 0, b: 0, c: 0 }, secrets: { s: { k: 'exp' } } };
		expect(await loadScope(experiment, { env: {}, varFiles: [first, second], vars: ['c=cli'] })).toEqual({
			configuration: { a: 'first', b: 'second', c: 'cli' },
			secrets: { s: { k: 'second' } },
		});
	});

	it('sets environment variables from a .env file before env values are read', async () => {
		const file = await varFile('vars.env', '# comment\n\nHOST=from-dotenv\nPORT=9000\n  TOKEN=t0k  \r\n');
		const environment: Record<string, string | undefined> = { HOST: 'from-shell' };
		const experiment = { configuration: { host: env('HOST', undefined), port: env('PORT', 'int') }, secrets: { api: { token: { type: 'env', key: 'TOKEN' } } } as Secrets };
		expect(await loadScope(experiment, { env: environment, varFiles: [file] })).toEqual({
			configuration: { host: 'from-dotenv', port: 9000 },
			secrets: { api: { token: 't0k' } },
		});
		// Written into the environment itself, so processes the run starts see them, as in the reference.
		expect(environment).toEqual({ HOST: 'from-dotenv', PORT: '9000', TOKEN: 't0k' });
	});

	it('reads a file without extension as .env, keeping quotes and `export ` as the reference does', async () => {
		const file = await varFile('settings', 'QUOTED="abc"\nexport EXPORTED=1\nSPACED = v\nEQ=a=b\n');
		const environment: Record<string, string | undefined> = {};
		await loadScope({}, { env: environment, varFiles: [file] });
		expect(environment).toEqual({ QUOTED: '"abc"', 'export EXPORTED': '1', 'SPACED ': ' v', EQ: 'a=b' });
	});

	it('lets a .env file feed a later --var-file and resolveScope', async () => {
		const dotenv = await varFile('late.env', 'LATE=1\n');
		const environment: Record<string, string | undefined> = {};
		await loadScope({}, { env: environment, varFiles: [dotenv] });
		expect(resolveScope({ configuration: { late: env('LATE', 'int') } }, environment).configuration).toEqual({ late: 1 });
	});

	it('skips empty files and files whose data is empty', async () => {
		const files = [await varFile('empty.json', ''), await varFile('blank.env', '\n\n'), await varFile('null.yaml', '# nothing\n'), await varFile('object.json', '{}')];
		expect(await loadScope({ configuration: { a: 1 } }, { env: {}, varFiles: files })).toEqual({ configuration: { a: 1 }, secrets: {} });
	});

	it('reports a missing file, a directory, and a .env line without =', async () => {
		const missing = join(directory, 'nope.json');
		const folder = join(directory, 'folder.json');
		await mkdir(folder, { recursive: true });
		const badEnv = await varFile('bad.env', 'A=1\njust words\n');
		expect(await rejectionOf(loadScope({}, { env: {}, varFiles: [missing] }))).toEqual(new UserError(`--var-file ${missing} does not exist.`));
		expect(await rejectionOf(loadScope({}, { env: {}, varFiles: [folder] }))).toEqual(
			new UserError(`--var-file ${folder} is a directory; give a .json, .yaml or .env file.`),
		);
		const environment: Record<string, string | undefined> = {};
		expect(await rejectionOf(loadScope({}, { env: environment, varFiles: [badEnv] }))).toEqual(new UserError(`${badEnv}:2: expected NAME=value, found "just words".`));
		expect(environment).toEqual({});
	});

	it('names file:line:column for malformed JSON', async () => {
		const cases: Array<[string, string]> = [
			['{\n  "configuration": {\n    "a": 1,\n  }\n}\n', '3:11: not valid JSON: a comma before "}": JSON allows none after the last item.'],
			['{\n  "configuration": {"a": }\n}', '2:26: not valid JSON: expected a value, found "}" (text needs double quotes).'],
			['{"configuration": {"a": 1}\n', '2:1: not valid JSON: the file ends before the closing "}".'],
			['{"a": "line\nbreak"}', '1:7: not valid JSON: this text is not closed: a missing ".'],
			['{"a": 1} x', '1:10: not valid JSON: more text after the end of the JSON value.'],
			["{'a': 1}", '1:2: not valid JSON: names need double quotes, not single quotes.'],
		];
		for (const [index, [content, where]] of cases.entries()) {
			const file = await varFile(`broken-${index}.json`, content);
			const error = await rejectionOf(loadScope({}, { env: {}, varFiles: [file] }));
			expect(error).toEqual(new UserError(`${file}:${where}`));
		}
	});

	it('names file:line:column for malformed YAML', async () => {
		const file = await varFile('broken.yaml', 'configuration:\n\ta: 1\n');
		expect(await rejectionOf(loadScope({}, { env: {}, varFiles: [file] }))).toEqual(
			new UserError(`${file}:2:1: not valid YAML: Tabs are not allowed as indentation.`),
		);
	});

	it('reports blocks of the wrong shape', async () => {
		const list = await varFile('list.json', '[1, 2]');
		const badBlock = await varFile('bad-block.yaml', 'configuration: [a, b]\n');
		const badScope = await varFile('bad-scope.json', '{"secrets": {"api": "token"}}');
		expect(await rejectionOf(loadScope({}, { env: {}, varFiles: [list] }))).toEqual(
			new UserError(`--var-file ${list} must hold a mapping with "configuration" and/or "secrets" blocks.`),
		);
		expect(await rejectionOf(loadScope({}, { env: {}, varFiles: [badBlock] }))).toEqual(
			new UserError(`--var-file ${badBlock}: "configuration" must be a mapping of names to values.`),
		);
		expect(await rejectionOf(loadScope({ secrets: { api: { token: 'x' } } }, { env: {}, varFiles: [badScope] }))).toEqual(
			new UserError(`--var-file ${badScope}: "secrets.api" must be a mapping of secret names to values.`),
		);
	});
});
