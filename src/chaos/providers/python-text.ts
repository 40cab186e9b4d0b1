/**
 * Values as the reference tool (Python) turns them into text. Process arguments and form or query
 * values go through Python's `str()` there, so `true` becomes `True`; matching it keeps a command
 * line or a request body the same whichever runner sends it.
 */

function pythonFloat(value: number): string {
	if (Number.isNaN(value)) return 'nan';
	if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
	// Both languages print the shortest digits that round-trip; they differ only on when to switch to
	// an exponent (Python: below 1e-4 or from 1e16) and on its width (Python pads it to two digits).
	const magnitude = Math.abs(value);
	if (magnitude >= 1e-4 && magnitude < 1e16) return String(value);
	const [digits, exponent = '0'] = value.toExponential().split('e');
	const sign = exponent.startsWith('-') ? '-' : '+';
	return `${digits}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
}

function pythonNumber(value: number): string {
	// JavaScript's JSON and YAML loaders cannot tell 1 from 1.0, so whole numbers print as ints, except
	// past 1e16, where they are far more likely to have been written as floats (1e20) than as digits.
	if (Number.isInteger(value) && Math.abs(value) < 1e16) return String(value);
	return pythonFloat(value);
}

/** Python's `repr()`: strings quoted, containers shown with their items' reprs. */
export function pythonRepr(value: unknown): string {
	if (typeof value !== 'string') return pythonStr(value);
	const quote = value.includes("'") && !value.includes('"') ? '"' : "'";
	let quoted = '';
	for (const character of value) {
		if (character === '\\' || character === quote) quoted += `\\${character}`;
		else if (character === '\n') quoted += '\\n';
		else if (character === '\r') quoted += '\\r';
		else if (character === '\t') quoted += '\\t';
		else if (character < ' ' || character === '\x7f') quoted += `\\x${character.charCodeAt(0).toString(16).padStart(2, '0')}`;
		else quoted += character;
	}
	return `${quote}${quoted}${quote}`;
}

/** Python's `str()` of a value decoded from JSON or YAML. */
export function pythonStr(value: unknown): string {
	if (typeof value === 'string') return value;
	if (value === null || value === undefined) return 'None';
	if (typeof value === 'boolean') return value ? 'True' : 'False';
	if (typeof value === 'number') return pythonNumber(value);
	if (Array.isArray(value)) return `[${value.map(pythonRepr).join(', ')}]`;
	if (typeof value === 'object') {
		const items = Object.entries(value).map(([key, item]) => `${pythonRepr(key)}: ${pythonRepr(item)}`);
		return `{${items.join(', ')}}`;
	}
	return String(value);
}
