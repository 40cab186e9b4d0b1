import type { APIContext } from 'astro';
import { describe, expect, it } from 'vitest';
import * as endpoint from '../pages/schemas/experiment.schema.json.ts';
import { EXPERIMENT_SCHEMA_PATH, experimentJsonSchema, experimentSchema } from './schema.ts';

type JsonSchema = Record<string, unknown>;

const schema = experimentJsonSchema();
const definitions = schema.definitions as Record<string, JsonSchema>;

function resolve(node: JsonSchema): JsonSchema {
	const ref = node.$ref;
	if (typeof ref !== 'string') return node;
	return resolve(definitions[ref.replace('#/definitions/', '')] as JsonSchema);
}

function typeOf(value: unknown): string {
	if (value === null) return 'null';
	if (Array.isArray(value)) return 'array';
	if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
	return typeof value;
}

/**
 * Where `value` breaks `node`, for the keywords our generated schema uses. Enough of a JSON Schema
 * validator to show that what editors check agrees with what the runner accepts.
 */
function mismatches(node: JsonSchema, value: unknown, at = '$'): string[] {
	const current = resolve(node);
	const alternatives = (current.anyOf ?? current.oneOf) as JsonSchema[] | undefined;
	if (alternatives) {
		const fits = alternatives.filter((option) => mismatches(option, value, at).length === 0).length;
		if (current.oneOf ? fits !== 1 : fits === 0) return [`${at}: fits ${fits} of ${alternatives.length} alternatives`];
	}
	const found: string[] = [];
	const types = current.type === undefined ? undefined : ([] as unknown[]).concat(current.type);
	const actual = typeOf(value);
	if (types && !types.includes(actual) && !(actual === 'integer' && types.includes('number'))) return [`${at}: expected ${types.join('|')}, got ${actual}`];
	if ('const' in current && current.const !== value) found.push(`${at}: expected ${String(current.const)}`);
	if (Array.isArray(current.enum) && !current.enum.includes(value)) found.push(`${at}: not one of ${current.enum.join(', ')}`);
	if (typeof value === 'string' && typeof current.minLength === 'number' && value.length < current.minLength) found.push(`${at}: too short`);
	if (typeof value === 'string' && typeof current.pattern === 'string' && !new RegExp(current.pattern).test(value)) found.push(`${at}: does not match ${current.pattern}`);
	if (typeof value === 'number' && typeof current.minimum === 'number' && value < current.minimum) found.push(`${at}: below ${current.minimum}`);
	if (actual === 'object') {
		const object = value as Record<string, unknown>;
		for (const key of (current.required as string[] | undefined) ?? []) if (!(key in object)) found.push(`${at}.${key}: required`);
		const properties = (current.properties ?? {}) as Record<string, JsonSchema>;
		for (const [key, item] of Object.entries(object)) {
			const itemSchema = properties[key] ?? current.additionalProperties;
			if (itemSchema === false) found.push(`${at}.${key}: not allowed`);
			else if (itemSchema && typeof itemSchema === 'object') found.push(...mismatches(itemSchema as JsonSchema, item, `${at}.${key}`));
		}
	}
	if (actual === 'array') {
		const items = value as unknown[];
		if (typeof current.minItems === 'number' && items.length < current.minItems) found.push(`${at}: too few items`);
		if (typeof current.maxItems === 'number' && items.length > current.maxItems) found.push(`${at}: too many items`);
		items.forEach((item, index) => {
			const itemSchema = Array.isArray(current.items) ? current.items[index] : current.items;
			if (itemSchema) found.push(...mismatches(itemSchema as JsonSchema, item, `${at}[${index}]`));
		});
	}
	return found;
}

/** An experiment that uses every kind of field, as a learner might write it. */
const GOOD_EXPERIMENT = {
	$schema: `http://localhost:4321${EXPERIMENT_SCHEMA_PATH}`,
	version: '1.0.0',
	title: 'The storefront survives a Redis restart',
	description: 'Restart Redis and check that the storefront still answers.',
	tags: ['redis', 'storefront'],
	contributions: { availability: 'high' },
	configuration: { base_url: 'http://storefront:8080', settle: { type: 'env', key: 'SETTLE', default: 2, env_var_type: 'int' } },
	secrets: { storefront: { token: { type: 'env', key: 'STOREFRONT_TOKEN' } } },
	extensions: [{ name: 'course', lesson: 3 }],
	'steady-state-hypothesis': {
		title: 'The storefront answers',
		probes: [
			{ type: 'probe', name: 'storefront-up', tolerance: [200, 204], provider: { type: 'http', url: '${base_url}/health', timeout: [1, 5] } },
			{ type: 'probe', name: 'stock', tolerance: { type: 'jsonpath', path: '$.items[*]', count: 3, target: 'body' }, provider: { type: 'http', url: 'http://x/stock' } },
			{ type: 'probe', name: 'redis-pong', tolerance: { type: 'regex', pattern: 'PONG', target: 'stdout' }, provider: { type: 'process', path: 'redis-cli', arguments: ['ping'] } },
			{ ref: 'storefront-up', tolerance: { type: 'range', range: [200, 299], target: 'status' } },
		],
	},
	method: [
		{ type: 'action', name: 'restart-redis', background: true, pauses: { after: '${settle}' }, provider: { type: 'process', path: 'docker', arguments: 'restart redis', timeout: 30 } },
		{ ref: 'storefront-up' },
	],
	rollbacks: [{ type: 'action', name: 'start-redis', provider: { type: 'http', url: 'http://x/start', method: 'POST', headers: { 'Content-Type': 'application/json' }, arguments: { force: true } } }],
	runtime: { rollbacks: { strategy: 'always' }, hypothesis: { strategy: 'continuously', frequency: 2, fail_fast: true } },
};

describe('experimentJsonSchema', () => {
	it('is a draft-07 schema with an $id, a title and a description', () => {
		expect(schema).toMatchObject({
			$schema: 'http://json-schema.org/draft-07/schema#',
			$id: '/schemas/experiment.schema.json',
			title: 'Chaos Toolkit experiment',
			type: 'object',
			required: ['title', 'description', 'method'],
		});
		expect(schema.description).toMatch(/hypothesis/);
		expect(EXPERIMENT_SCHEMA_PATH).toBe('/schemas/experiment.schema.json');
	});

	it('is plain JSON, without our fix hints', () => {
		const text = JSON.stringify(schema);
		expect(JSON.parse(text)).toEqual(schema);
		expect(text).not.toContain('"fix"');
	});

	it('accepts a good experiment, as the runner does', () => {
		expect(experimentSchema.safeParse(GOOD_EXPERIMENT).success).toBe(true);
		expect(mismatches(schema, GOOD_EXPERIMENT)).toEqual([]);
	});

	it('flags what the runner rejects: a missing title, an unknown activity type, a tolerance kind it does not know', () => {
		const { title: _title, ...untitled } = GOOD_EXPERIMENT;
		expect(mismatches(schema, untitled)).toEqual(['$.title: required']);
		expect(mismatches(schema, { ...GOOD_EXPERIMENT, method: [{ type: 'sleep', name: 'zz', provider: { type: 'http', url: 'http://x' } }] })).toEqual(['$.method[0]: fits 0 of 2 alternatives']);
		const withTolerance = (tolerance: unknown) => ({ ...GOOD_EXPERIMENT, 'steady-state-hypothesis': { title: 'H', probes: [{ ref: 'storefront-up', tolerance }] } });
		expect(mismatches(schema, withTolerance({ type: 'exact' }))).not.toEqual([]);
		expect(mismatches(schema, withTolerance(0.5))).not.toEqual([]);
	});

	it('lets unknown keys through, as the reference tool does', () => {
		expect(mismatches(schema, { ...GOOD_EXPERIMENT, 'x-course': { lesson: 3 } })).toEqual([]);
		expect(schema.additionalProperties).toEqual({});
	});

	it('offers editors the values to complete: activity and provider types, tolerance kinds, strategies', () => {
		const activity = resolve(definitions.activity as JsonSchema) as { properties: Record<string, JsonSchema> };
		expect(activity.properties.type).toMatchObject({ enum: ['probe', 'action'], description: expect.any(String) });

		const providers = (definitions.provider as { oneOf: JsonSchema[] }).oneOf.map((option) => resolve(option) as { properties: { type: { const: string } } });
		expect(providers.map((provider) => provider.properties.type.const)).toEqual(['http', 'process', 'python']);
		expect(providers[2]).toMatchObject({ deprecated: true, deprecationMessage: expect.stringContaining('use process or http') });

		const tolerance = definitions.tolerance as { anyOf: JsonSchema[] };
		expect(tolerance.anyOf.map((option) => option.type ?? 'mapping')).toEqual(['boolean', 'integer', 'string', 'array', 'mapping']);
		const kinds = (tolerance.anyOf[4] as { oneOf: Array<{ properties: { type: { const: string } } }> }).oneOf.map((option) => option.properties.type.const);
		expect(kinds).toEqual(['regex', 'jsonpath', 'range', 'probe']);

		const runtime = schema.properties as { runtime: { properties: Record<string, { properties: { strategy: { enum: string[] } } }> } };
		expect(runtime.runtime.properties.rollbacks?.properties.strategy.enum).toEqual(['default', 'always', 'never', 'deviated']);
		expect(runtime.runtime.properties.hypothesis?.properties.strategy.enum).toContain('continuously');
	});

	it('describes the fields editors show help for', () => {
		const properties = schema.properties as Record<string, JsonSchema>;
		for (const key of ['title', 'description', 'method', 'rollbacks', 'configuration', 'secrets']) expect(properties[key]?.description, key).toMatch(/\w/);
		const http = resolve(definitions.httpProvider as JsonSchema) as { properties: Record<string, JsonSchema> };
		for (const key of ['url', 'method', 'headers', 'arguments', 'timeout', 'verify_tls', 'max_retries']) expect(http.properties[key]?.description, key).toMatch(/\w/);
		const process = resolve(definitions.processProvider as JsonSchema) as { properties: Record<string, JsonSchema> };
		for (const key of ['path', 'arguments', 'timeout']) expect(process.properties[key]?.description, key).toMatch(/\w/);
	});
});

describe('GET /schemas/experiment.schema.json', () => {
	it('is built with the site and serves the JSON Schema as application/schema+json', async () => {
		expect(endpoint.prerender).toBe(true);

		const response = await endpoint.GET({} as APIContext);

		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('application/schema+json; charset=utf-8');
		expect(JSON.parse(await response.text())).toEqual(experimentJsonSchema());
	});
});
