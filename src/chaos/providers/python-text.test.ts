import { describe, expect, it } from 'vitest';
import { pythonRepr, pythonStr } from './python-text.ts';

describe('pythonStr', () => {
	it('spells scalars as Python does', () => {
		expect([true, false, null, 'text', 3, -7, 0.5, 2.5e-5, 1e-7, 1.5e300, -0.0001].map(pythonStr)).toEqual([
			'True', 'False', 'None', 'text', '3', '-7', '0.5', '2.5e-05', '1e-07', '1.5e+300', '-0.0001',
		]);
	});

	it('prints whole numbers as ints, and huge ones as the floats they were most likely written as', () => {
		expect(pythonStr(123456789)).toBe('123456789');
		expect(pythonStr(1e20)).toBe('1e+20');
	});

	it('shows containers with the repr of their items', () => {
		expect(pythonStr(['a', 1, true, null, { k: "it's" }])).toBe(`['a', 1, True, None, {'k': "it's"}]`);
	});
});

describe('pythonRepr', () => {
	it('picks the quote Python picks and escapes the rest', () => {
		expect(pythonRepr('plain')).toBe("'plain'");
		expect(pythonRepr("it's")).toBe(`"it's"`);
		expect(pythonRepr(`both ' and "`)).toBe(`'both \\' and "'`);
		expect(pythonRepr('line\nbreak\ttab\\')).toBe("'line\\nbreak\\ttab\\\\'");
		expect(pythonRepr('\x01')).toBe("'\\x01'");
	});
});
