/**
 * The self-assessment on the Chaos Maturity Model (Rosenthal, Hochstein, Blohowiak, Jones and Basiri,
 * "Chaos Engineering", O'Reilly 2017): its questions, how answers become a place on the model's two
 * axes, and what to do next from there. Pure data and functions, so the component's markup, its
 * script and the unit tests all use the same questions and the same rules.
 *
 * Every question has four options, in order from the model's lowest level to its highest, and an
 * answer is the option's position (0 to 3). An axis's level is the average of its answered
 * questions, rounded to the nearest level (a half rounds up); unanswered questions don't count.
 */

export type Axis = 'sophistication' | 'adoption';

/** A level on either axis: 0 is the lowest (elementary, in the shadows), 3 the highest. */
export type Level = 0 | 1 | 2 | 3;

export const LEVELS: readonly Level[] = [0, 1, 2, 3];

export const AXES: readonly Axis[] = ['sophistication', 'adoption'];

export const AXIS_NAMES: Readonly<Record<Axis, string>> = {
	sophistication: 'Sophistication',
	adoption: 'Adoption',
};

/** The model's level names, lowest first. */
export const LEVEL_NAMES: Readonly<Record<Axis, readonly [string, string, string, string]>> = {
	sophistication: ['Elementary', 'Simple', 'Sophisticated', 'Advanced'],
	adoption: ['In the shadows', 'Investment', 'Adoption', 'Cultural expectation'],
};

export interface Question {
	/** Unique across the assessment; the radio group's name. */
	id: string;
	axis: Axis;
	/** The question, shown as the fieldset's legend. */
	prompt: string;
	/** Four concrete practices, from the lowest level to the highest. */
	options: readonly [string, string, string, string];
}

export const QUESTIONS: readonly Question[] = [
	{
		id: 'where',
		axis: 'sophistication',
		prompt: 'Where do your experiments run?',
		options: [
			'Nowhere yet, or only in a test environment with made-up load',
			'In a production-like environment, with copied or replayed real traffic',
			'In production, on a small slice of traffic or a few hosts',
			'In production and at every stage of delivery, continuously',
		],
	},
	{
		id: 'how',
		axis: 'sophistication',
		prompt: 'How is an experiment run and stopped?',
		options: [
			'By hand: someone types the commands and watches',
			'Setting up and starting it is scripted, but people watch it and stop it by hand',
			'Set-up, running and analysing the results are automated; a person decides when to stop',
			'Everything is automated, including stopping early when the steady state changes',
		],
	},
	{
		id: 'measure',
		axis: 'sophistication',
		prompt: 'What tells you whether an experiment went well?',
		options: [
			'System metrics, such as CPU, memory or whether a process is up',
			'Business or user-facing measures, such as orders per minute, for the whole system',
			'Business measures, compared between a control group and an experimental group',
			'Group comparisons that also estimate the impact, such as revenue at risk or capacity needed',
		],
	},
	{
		id: 'events',
		axis: 'sophistication',
		prompt: 'What kinds of events do your experiments introduce?',
		options: [
			'Simple ones, such as stopping a process or a server',
			'Also network trouble, such as added latency or lost packets',
			'Also whole dependencies failing, and several faults at once',
			'Also shifts in how the system is used and corrupted responses, with the scope adjusted automatically',
		],
	},
	{
		id: 'who-knows',
		axis: 'adoption',
		prompt: 'Who knows about your chaos experiments?',
		options: [
			'Only the few people who run them; nobody has officially approved them',
			'They are officially approved, and a few teams are interested',
			'Most engineering teams know about them and see the results',
			'Everyone: new engineers learn about them when they join',
		],
	},
	{
		id: 'time',
		axis: 'adoption',
		prompt: 'Who spends time on the practice?',
		options: [
			'Enthusiasts, in spare moments',
			'A few people, officially, for part of their time',
			'A team whose main job is chaos engineering',
			'A dedicated team, and every service team runs its own experiments as well',
		],
	},
	{
		id: 'coverage',
		axis: 'adoption',
		prompt: 'Which services have experiments run on them, and how often?',
		options: [
			'One or two systems, now and then',
			'A few critical services, occasionally',
			'Most critical services, regularly',
			'All critical services often, and most of the others too',
		],
	},
	{
		id: 'default',
		axis: 'adoption',
		prompt: 'Is taking part optional for a service?',
		options: [
			'There is no expectation: experiments happen where someone pushes for them',
			'Teams opt in if they are interested',
			'Critical services are expected to take part',
			'Every service takes part by default, and opting out needs a stated reason',
		],
	},
];

/**
 * What to do next from each level, per axis: the first steps toward the level above, or, at the
 * top, how to stay there. The most useful step comes first.
 */
export const NEXT_STEPS: Readonly<Record<Axis, readonly [readonly string[], readonly string[], readonly string[], readonly string[]]>> = {
	sophistication: [
		[
			'Pick one steady-state measurement that users would notice, such as successful checkouts per minute, and make sure you can watch it while an experiment runs.',
			'Write your next experiment down before you run it: the hypothesis, the abort conditions and how to roll back, and script it so anyone can run it the same way twice.',
			'Try your experiments against copied or replayed real traffic, so their results say more about production.',
		],
		[
			'Run one small experiment in production: one host or a sliver of traffic, with agreed abort conditions and someone watching.',
			'Compare an experimental group with a control group running at the same time, rather than before with after.',
			'Widen the events you try: a dependency that fails or slows down, or two faults at once.',
		],
		[
			'Let your tooling end an experiment by itself as soon as the steady state deviates, not only when a person notices.',
			'Run your trusted experiments at every stage of delivery, not only in production.',
			'Turn results into numbers others can use, such as the cost of a failure or the capacity you need.',
		],
		[
			'Review your automated experiments regularly, so they still match how the system and its users behave today.',
			'Share your tooling and what it has found, so other teams get there with less effort.',
		],
	],
	adoption: [
		[
			'Write up one finding in terms your managers care about, such as an incident that would have hurt customers, and show it to them.',
			'Ask for official approval and a little protected time: a named person, a few hours each sprint.',
			'Offer to run a GameDay with a second team, ideally one that had an incident recently.',
		],
		[
			'Run experiments on your most critical services on a regular schedule, not only when someone has time.',
			'After each significant incident, write an experiment that checks the fix keeps working.',
			'Make the case for a small team whose main job is chaos engineering, using the findings so far as evidence.',
		],
		[
			'Make a first experiment part of onboarding, so every new engineer runs one in their first weeks.',
			'Make taking part the default for critical services, with a short written reason needed to opt out.',
			'Extend regular experiments from critical services to the rest.',
		],
		[
			'Keep sharing findings across teams, and treat a disproved hypothesis as a success, so people keep running hard experiments.',
			'Check now and then that opting out stays rare, and that the reasons given still hold.',
		],
	],
};

/** Answers by question id: the chosen option's position, or nothing for an unanswered question. */
export type Answers = Readonly<Record<string, Level | null | undefined>>;

/** A form value as a level, or null when it isn't one (empty, out of range, not a whole number). */
export function parseLevel(value: unknown): Level | null {
	if (typeof value !== 'string' && typeof value !== 'number') return null;
	if (typeof value === 'string' && !/^\s*\d+\s*$/.test(value)) return null;
	const number = Number(value);
	return isLevel(number) ? number : null;
}

function isLevel(value: unknown): value is Level {
	return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 3;
}

/**
 * The rounded average of the answers that are levels, or null when there are none. A half rounds
 * up: answers of 0 and 1 place you at 1.
 */
export function averageLevel(answers: readonly unknown[]): Level | null {
	const levels = answers.filter(isLevel);
	if (levels.length === 0) return null;
	const mean = levels.reduce<number>((sum, level) => sum + level, 0) / levels.length;
	// Averages of whole numbers are exact enough that a half is a half; round it up, as Math.round does.
	const rounded = Math.round(mean);
	return isLevel(rounded) ? rounded : null;
}

export interface AxisResult {
	/** The axis's level, or null when none of its questions was answered. */
	level: Level | null;
	answered: number;
	total: number;
}

export type Assessment = Readonly<Record<Axis, AxisResult>>;

/** Each axis's level from the answers; questions not in `questions`, and non-levels, are ignored. */
export function assess(answers: Answers, questions: readonly Question[] = QUESTIONS): Assessment {
	const result = (axis: Axis): AxisResult => {
		const own = questions.filter((question) => question.axis === axis);
		const given = own.map((question) => answers[question.id]).filter(isLevel);
		return { level: averageLevel(given), answered: given.length, total: own.length };
	};
	return { sophistication: result('sophistication'), adoption: result('adoption') };
}

/** A cell of the model's grid. */
export interface Placement {
	sophistication: Level;
	adoption: Level;
}

/** The team's cell, or null unless at least one question on each axis was answered. */
export function placement(assessment: Assessment): Placement | null {
	const { sophistication, adoption } = assessment;
	if (sophistication.level === null || adoption.level === null) return null;
	return { sophistication: sophistication.level, adoption: adoption.level };
}

export function levelName(axis: Axis, level: Level): string {
	return LEVEL_NAMES[axis][level];
}

/**
 * The axes in the order to work on them: the weaker first. On a tie, sophistication comes first,
 * because spreading a practice is only safe once its experiments are careful.
 */
export function axesByNeed(place: Placement): readonly [Axis, Axis] {
	return place.adoption < place.sophistication ? ['adoption', 'sophistication'] : ['sophistication', 'adoption'];
}

/**
 * Two to four next steps for a placement: two for the weaker axis, then one for the stronger (two
 * each when the axes are level), so the weaker axis always comes first.
 */
export function nextSteps(place: Placement): string[] {
	const [first, second] = axesByNeed(place);
	const tie = place.sophistication === place.adoption;
	return [...NEXT_STEPS[first][place[first]].slice(0, 2), ...NEXT_STEPS[second][place[second]].slice(0, tie ? 2 : 1)];
}

/** The result's first line, e.g. "Sophistication: Simple. Adoption: Investment." */
export function summary(assessment: Assessment): string {
	return AXES.map((axis) => {
		const { level } = assessment[axis];
		return `${AXIS_NAMES[axis]}: ${level === null ? 'not answered yet' : levelName(axis, level)}.`;
	}).join(' ');
}

/** What the result region says under the summary, when something stops a placement or counts less. */
export function advice(assessment: Assessment): string | null {
	const missing = AXES.filter((axis) => assessment[axis].level === null);
	if (missing.length === 2) return 'Answer at least one question about each axis, then press "Place my team".';
	if (missing.length === 1) {
		const axis = missing[0] as Axis;
		return `Answer at least one ${AXIS_NAMES[axis].toLowerCase()} question to place your team on the grid.`;
	}
	const skipped = AXES.reduce((sum, axis) => sum + assessment[axis].total - assessment[axis].answered, 0);
	if (skipped === 0) return null;
	return `You left ${skipped} question${skipped === 1 ? '' : 's'} unanswered; ${skipped === 1 ? 'it doesn\u2019t' : 'they don\u2019t'} count towards your placement.`;
}

/** The chart's accessible name, before and after the team is placed. */
export function chartLabel(place: Placement | null): string {
	const grid =
		'The Chaos Maturity Model as a four by four grid: sophistication along the bottom, from elementary to advanced, and adoption up the side, from in the shadows to cultural expectation.';
	if (!place) return `${grid} Your team is not placed yet.`;
	const name = (axis: Axis): string => levelName(axis, place[axis]).toLowerCase();
	return `${grid} Your team is marked where sophistication is ${name('sophistication')} and adoption is ${name('adoption')}.`;
}
