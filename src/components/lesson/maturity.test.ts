import { describe, expect, it } from 'vitest';
import {
	advice,
	assess,
	averageLevel,
	axesByNeed,
	chartLabel,
	LEVEL_NAMES,
	NEXT_STEPS,
	nextSteps,
	parseLevel,
	placement,
	QUESTIONS,
	summary,
	type Answers,
	type Level,
	type Question,
} from './maturity.ts';

/** Answers for every question on one axis, in the order the questions come. */
function axisAnswers(axis: Question['axis'], levels: (Level | null)[]): Record<string, Level | null> {
	const ids = QUESTIONS.filter((question) => question.axis === axis).map((question) => question.id);
	return Object.fromEntries(ids.map((id, index) => [id, levels[index] ?? null]));
}

function answers(sophistication: (Level | null)[], adoption: (Level | null)[]): Answers {
	return { ...axisAnswers('sophistication', sophistication), ...axisAnswers('adoption', adoption) };
}

describe('the questions', () => {
	it('has four questions per axis, each with four options and a unique id', () => {
		expect(QUESTIONS.filter((question) => question.axis === 'sophistication')).toHaveLength(4);
		expect(QUESTIONS.filter((question) => question.axis === 'adoption')).toHaveLength(4);
		expect(new Set(QUESTIONS.map((question) => question.id)).size).toBe(QUESTIONS.length);
		for (const question of QUESTIONS) {
			expect(question.options).toHaveLength(4);
			expect(new Set(question.options).size).toBe(4);
		}
	});

	it('names the model\'s levels, lowest first', () => {
		expect(LEVEL_NAMES.sophistication).toEqual(['Elementary', 'Simple', 'Sophisticated', 'Advanced']);
		expect(LEVEL_NAMES.adoption).toEqual(['In the shadows', 'Investment', 'Adoption', 'Cultural expectation']);
	});

	it('has at least two next steps for every level of every axis', () => {
		for (const axis of ['sophistication', 'adoption'] as const) {
			for (const steps of NEXT_STEPS[axis]) expect(steps.length).toBeGreaterThanOrEqual(2);
		}
	});
});

describe('parseLevel', () => {
	it('reads the radio values 0 to 3, as strings or numbers', () => {
		expect(['0', '1', '2', '3'].map(parseLevel)).toEqual([0, 1, 2, 3]);
		expect(parseLevel(2)).toBe(2);
		expect(parseLevel(' 1 ')).toBe(1);
	});

	it('gives null for anything that is not a level', () => {
		for (const value of ['', ' ', '4', '-1', '1.5', '1e0', 'abc', '0x1', null, undefined, Number.NaN, 1.5, 4, -1, {}, []]) {
			expect(parseLevel(value), String(value)).toBeNull();
		}
	});
});

describe('averageLevel', () => {
	it('gives null when nothing counts', () => {
		expect(averageLevel([])).toBeNull();
		expect(averageLevel([null, undefined])).toBeNull();
	});

	it('is the single answer when only one is given', () => {
		expect(averageLevel([null, 2, undefined])).toBe(2);
	});

	it('rounds the average to the nearest level', () => {
		expect(averageLevel([0, 0, 0, 1])).toBe(0); // 0.25
		expect(averageLevel([0, 1, 1, 1])).toBe(1); // 0.75
		expect(averageLevel([1, 1, 2, 3])).toBe(2); // 1.75
		expect(averageLevel([3, 3, 3, 2])).toBe(3); // 2.75
		expect(averageLevel([0, 1, 1])).toBe(1); // 0.67
		expect(averageLevel([0, 0, 1])).toBe(0); // 0.33
	});

	it('rounds a half up', () => {
		expect(averageLevel([0, 1])).toBe(1);
		expect(averageLevel([0, 0, 1, 1])).toBe(1);
		expect(averageLevel([1, 2])).toBe(2);
		expect(averageLevel([2, 3, 2, 3])).toBe(3);
	});

	it('ignores unanswered questions instead of counting them as zero', () => {
		expect(averageLevel([3, null, null, null])).toBe(3);
		expect(averageLevel([2, 3, undefined])).toBe(3);
	});

	it('ignores values that are not levels', () => {
		expect(averageLevel([3, 7, -2, 1.5, Number.NaN, '2'])).toBe(3);
	});
});

describe('assess and placement', () => {
	it('places nobody when nothing is answered', () => {
		const none = assess({});
		expect(none.sophistication).toEqual({ level: null, answered: 0, total: 4 });
		expect(none.adoption).toEqual({ level: null, answered: 0, total: 4 });
		expect(placement(none)).toBeNull();
		expect(placement(assess(answers([null, null, null, null], [null, null, null, null])))).toBeNull();
	});

	it('places nobody until each axis has at least one answer', () => {
		const onlySophistication = assess(answers([1, 2, 1, 1], []));
		expect(onlySophistication.sophistication.level).toBe(1);
		expect(onlySophistication.adoption.level).toBeNull();
		expect(placement(onlySophistication)).toBeNull();
		expect(placement(assess(answers([], [3, null, null, null])))).toBeNull();
	});

	it('places a team from one answer per axis', () => {
		expect(placement(assess(answers([null, 2, null, null], [null, null, null, 0])))).toEqual({ sophistication: 2, adoption: 0 });
	});

	it('averages each axis separately', () => {
		const result = assess(answers([0, 1, 1, 2], [1, 1, 0, 1]));
		expect(result.sophistication).toEqual({ level: 1, answered: 4, total: 4 });
		expect(result.adoption).toEqual({ level: 1, answered: 4, total: 4 });
		expect(placement(assess(answers([3, 3, 2, 3], [0, 0, 1, 0])))).toEqual({ sophistication: 3, adoption: 0 });
	});

	it('counts only answered questions, and ignores unknown ids', () => {
		const result = assess({ ...answers([3, null, 2, null], [0, null, null, null]), 'not-a-question': 0 });
		expect(result.sophistication).toEqual({ level: 3, answered: 2, total: 4 });
		expect(result.adoption).toEqual({ level: 0, answered: 1, total: 4 });
	});

	it('works with another set of questions', () => {
		const questions: Question[] = [
			{ id: 'a', axis: 'sophistication', prompt: 'A?', options: ['0', '1', '2', '3'] },
			{ id: 'b', axis: 'adoption', prompt: 'B?', options: ['0', '1', '2', '3'] },
		];
		expect(placement(assess({ a: 2, b: 1, where: 0 }, questions))).toEqual({ sophistication: 2, adoption: 1 });
	});
});

describe('next steps', () => {
	it('works on the weaker axis first', () => {
		expect(axesByNeed({ sophistication: 2, adoption: 0 })).toEqual(['adoption', 'sophistication']);
		expect(axesByNeed({ sophistication: 0, adoption: 3 })).toEqual(['sophistication', 'adoption']);
		expect(axesByNeed({ sophistication: 1, adoption: 1 })).toEqual(['sophistication', 'adoption']);
	});

	it('gives two steps for the weaker axis, then one for the stronger', () => {
		const steps = nextSteps({ sophistication: 1, adoption: 0 });
		expect(steps).toEqual([NEXT_STEPS.adoption[0][0], NEXT_STEPS.adoption[0][1], NEXT_STEPS.sophistication[1][0]]);
	});

	it('gives two steps per axis when they are level, sophistication first', () => {
		const steps = nextSteps({ sophistication: 2, adoption: 2 });
		expect(steps).toEqual([...NEXT_STEPS.sophistication[2].slice(0, 2), ...NEXT_STEPS.adoption[2].slice(0, 2)]);
	});

	it('gives two to four steps for every cell of the grid', () => {
		const levels: Level[] = [0, 1, 2, 3];
		for (const sophistication of levels) {
			for (const adoption of levels) {
				const steps = nextSteps({ sophistication, adoption });
				expect(steps.length).toBeGreaterThanOrEqual(2);
				expect(steps.length).toBeLessThanOrEqual(4);
				expect(new Set(steps).size).toBe(steps.length);
			}
		}
	});
});

describe('what the result says', () => {
	it('names both levels', () => {
		expect(summary(assess(answers([1, 1, 1, 1], [1, 1, 1, 1])))).toBe('Sophistication: Simple. Adoption: Investment.');
		expect(summary(assess(answers([3, 3, 3, 3], [0, 0, 0, 0])))).toBe('Sophistication: Advanced. Adoption: In the shadows.');
	});

	it('says which axis is missing', () => {
		expect(summary(assess({}))).toBe('Sophistication: not answered yet. Adoption: not answered yet.');
		expect(advice(assess({}))).toMatch(/at least one question about each axis/);
		expect(advice(assess(answers([1], [])))).toBe('Answer at least one adoption question to place your team on the grid.');
		expect(advice(assess(answers([], [2])))).toBe('Answer at least one sophistication question to place your team on the grid.');
	});

	it('mentions unanswered questions once the team is placed', () => {
		expect(advice(assess(answers([1, 1, 1, 1], [1, 1, 1, 1])))).toBeNull();
		expect(advice(assess(answers([1, 1, 1, null], [1, 1, 1, 1])))).toBe('You left 1 question unanswered; it doesn\u2019t count towards your placement.');
		expect(advice(assess(answers([1, null, 1, null], [1, 1, null, 1])))).toBe('You left 3 questions unanswered; they don\u2019t count towards your placement.');
	});

	it('labels the chart before and after placing', () => {
		expect(chartLabel(null)).toMatch(/not placed yet\.$/);
		expect(chartLabel({ sophistication: 1, adoption: 0 })).toMatch(/marked where sophistication is simple and adoption is in the shadows\.$/);
	});
});
