import type { Activity, Scope } from './types.ts';

/**
 * `${name}` and `$name` substitution, as the reference tool does it with Python's
 * `string.Template.safe_substitute` over configuration then each secret scope.
 */

// Python's Template pattern: `$$`, `$identifier`, `${identifier}`, or a lone `$` (left as it is).
// Identifiers are ASCII and case-insensitive; lookup itself is case-sensitive.
const PLACEHOLDER = /\$(?:(\$)|([_a-z][_a-z0-9]*)|\{([_a-z][_a-z0-9]*)\})/gi;
// Only the braced form keeps its type. The reference reads the braced group of a whole-string match,
// so a string that is exactly "$port" is rendered as text ("8080"), while "${port}" gives 8080.
const WHOLE_BRACED = /^\$\{([_a-z][_a-z0-9]*)\}$/i;

type Lookup = { found: true; value: unknown } | { found: false };

function lookup(key: string, scope: Scope): Lookup {
	if (Object.hasOwn(scope.configuration, key)) return { found: true, value: scope.configuration[key] };
	for (const secrets of Object.values(scope.secrets)) {
		if (secrets && Object.hasOwn(secrets, key)) return { found: true, value: secrets[key] };
	}
	return { found: false };
}

export function substituteString(text: string, scope: Scope): unknown {
	const whole = WHOLE_BRACED.exec(text);
	if (whole) {
		const found = lookup(whole[1]!, scope);
		if (found.found) return found.value;
	}
	return text.replace(PLACEHOLDER, (placeholder, escaped: string | undefined, named: string | undefined, braced: string | undefined) => {
		if (escaped) return '$';
		const found = lookup((named ?? braced)!, scope);
		// safe_substitute: an unknown key stays as written, it may be meant for the activity itself.
		return found.found ? pythonStr(found.value) : placeholder;
	});
}

export function substitute<T>(value: T, scope: Scope): T {
	if (typeof value === 'string') return substituteString(value, scope) as T;
	if (Array.isArray(value)) return value.map((item) => substitute(item, scope)) as T;
	if (isPlainObject(value)) {
		return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, scope)])) as T;
	}
	return value;
}

export function substituteActivity(activity: Activity, scope: Scope): Activity {
	const copy: Activity = { ...activity };
	if (activity.pauses !== undefined) copy.pauses = substitute(activity.pauses, scope);
	const provider = activity.provider;
	// The reference substitutes arguments only when there is some configuration or secrets, so with
	// none at all a `$$` in arguments stays `$$` (unlike in url or headers).
	const hasScope = Object.keys(scope.configuration).length > 0 || Object.keys(scope.secrets).length > 0;
	if (provider?.type === 'http') {
		const http = { ...provider, url: substitute(provider.url, scope) };
		if (provider.headers !== undefined) http.headers = substitute(provider.headers, scope);
		if (provider.timeout !== undefined) http.timeout = substitute(provider.timeout, scope);
		if (provider.arguments !== undefined && hasScope) http.arguments = substitute(provider.arguments, scope);
		copy.provider = http;
	} else if (provider?.type === 'process') {
		const process = { ...provider };
		if (provider.arguments !== undefined && hasScope) process.arguments = substitute(provider.arguments, scope);
		copy.provider = process;
	}
	return copy;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
	if (typeof value !== 'object' || value === null) return false;
	const prototype = Object.getPrototypeOf(value);
	return prototype === Object.prototype || prototype === null;
}

/** Python's `str()` of a value, which is what the reference puts in the middle of a string. */
function pythonStr(value: unknown): string {
	return typeof value === 'string' ? value : pythonRepr(value);
}

function pythonRepr(value: unknown): string {
	if (value === null || value === undefined) return 'None';
	if (value === true) return 'True';
	if (value === false) return 'False';
	if (typeof value === 'string') return quotePython(value);
	if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
	if (isPlainObject(value)) {
		return `{${Object.entries(value)
			.map(([key, item]) => `${quotePython(key)}: ${pythonRepr(item)}`)
			.join(', ')}}`;
	}
	return String(value);
}

function quotePython(text: string): string {
	const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
	const escaped = text
		.replace(/\\/g, '\\\\')
		.replace(/\n/g, '\\n')
		.replace(/\r/g, '\\r')
		.replace(/\t/g, '\\t')
		.replaceAll(quote, `\\${quote}`);
	return `${quote}${escaped}${quote}`;
}
