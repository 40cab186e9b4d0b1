import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectEngine } from '../../sandbox/engine.ts';
import { removeUnknownSandboxes } from '../../sandbox/reconcile.ts';
import { Sandbox } from '../../sandbox/sandbox.ts';
import type { Lab } from '../labs/catalog.ts';
import { loadLab } from '../testing/lab-fixture.ts';
import { isLabError } from './errors.ts';
import { JournalReader, journalNameProblem, learnerWorkstation, type JournalEntry, type Workstation } from './journals.ts';

// The platform reading a learner's journals from a real steady-state workstation, as the learner.
const engine = connectEngine();
const platformId = `test${randomBytes(4).toString('hex')}`;
const HOME = '/home/learner';
let lab: Lab;
let sandbox: Sandbox;
let workstation: Workstation;
/** Commands the reader ran since the last reset, to see what a poll costs. */
let execs = 0;

async function shell(command: string, ...args: string[]): Promise<string> {
	const result = await sandbox.exec('workstation', ['sh', '-c', command, 'test', ...args], { timeoutMs: 30_000 });
	if (result.exitCode !== 0) throw new Error(`${command} exited ${result.exitCode}: ${result.stderr}`);
	return result.stdout;
}

/** Writes a file into the learner's home (in pieces: one argument may not exceed 128 KiB), with a given change time. */
async function write(name: string, content: string, modified: string): Promise<void> {
	const file = `${HOME}/${name}`;
	await shell('mkdir -p "$(dirname "$1")" && : > "$1"', file);
	const encoded = Buffer.from(content).toString('base64');
	for (let offset = 0; offset < encoded.length; offset += 64_000) {
		await shell('printf %s "$2" | base64 -d >> "$1"', file, encoded.slice(offset, offset + 64_000));
	}
	await shell('touch -d "$2" "$1"', file, modified);
}

function at(seconds: number): string {
	return new Date(Date.parse('2024-05-01T10:00:00Z') + seconds * 1000).toISOString().replace('Z', '000+00:00');
}

function entry(name: string, from: number, seconds: number, extra: Record<string, unknown> = {}) {
	return {
		activity: { type: 'probe', name, provider: { type: 'http', url: 'http://storefront:8080/health' } },
		output: { status: 200, headers: {}, body: 'ok' },
		start: at(from),
		status: 'succeeded',
		end: at(from + seconds),
		duration: seconds,
		...extra,
	};
}

/** A journal as our runner writes it: a pause of Redis that the storefront did not survive. */
function ourJournal(title = 'Storefront survives a paused Redis', outputBody = 'ok') {
	return {
		'chaoslib-version': '1.45.0',
		platform: 'Linux',
		node: 'workstation',
		experiment: { title, description: 'Pause Redis and watch /health', method: [], dry: null },
		start: at(0),
		status: 'completed',
		deviated: true,
		steady_states: {
			before: { steady_state_met: true, probes: [entry('health-200', 0, 0.05, { tolerance_met: true })] },
			after: { steady_state_met: false, probes: [entry('health-200', 3, 0.5, { tolerance_met: false, output: { status: 503, headers: {}, body: outputBody } })] },
			during: [],
		},
		run: [{ ...entry('pause-redis', 0.1, 2), activity: { type: 'action', name: 'pause-redis', provider: { type: 'process', path: 'redis-cli' } } }],
		rollbacks: [],
		end: at(3.6),
		duration: 3.6,
	};
}

/** A journal as the reference tool writes it: offset-less timestamps and keys of its own. */
const referenceJournal = {
	'chaoslib-version': '1.38.0',
	platform: 'Linux-6.1.41-x86_64-with-glibc2.34',
	node: 'laptop',
	experiment: { title: 'Reference run', description: 'd', method: [], rollbacks: [], dry: null, 'steady-state-hypothesis': { title: 'ok', probes: [] } },
	start: '2024-05-01T09:00:00.000100',
	status: 'failed',
	deviated: false,
	steady_states: {
		before: {
			steady_state_met: false,
			probes: [
				{
					activity: { name: 'health-200', type: 'probe', tolerance: 200, provider: { type: 'http', url: 'http://storefront:8080/health' } },
					output: null,
					start: '2024-05-01T09:00:00.000200',
					status: 'failed',
					end: '2024-05-01T09:00:01.000200',
					duration: 1.0,
					exception: ['Traceback (most recent call last):\n', 'chaoslib.exceptions.ActivityFailed: failed to connect to URL: http://storefront:8080/health\n'],
					tolerance_met: false,
				},
			],
		},
		after: null,
		during: [],
	},
	run: [],
	rollbacks: [],
	end: '2024-05-01T09:00:01.100100',
	duration: 1.1,
	extensions: [{ name: 'chaosreliably' }],
};

function paths(entries: JournalEntry[]): string[] {
	return entries.map((listed) => listed.path);
}

async function refusal(work: Promise<unknown>): Promise<{ status: number; message: string }> {
	const error = await work.then(
		() => undefined,
		(reason: unknown) => reason,
	);
	if (!isLabError(error)) throw new Error(`expected a LabError, got ${String(error)}`);
	return { status: error.status, message: error.message };
}

beforeAll(async () => {
	const fixture = await loadLab();
	lab = fixture.lab;
	sandbox = await Sandbox.create(engine, { platformId, sandboxId: randomBytes(6).toString('hex'), learnerId: 'l', labId: lab.id, containers: fixture.containers });
	const learnerSide = learnerWorkstation(sandbox, lab);
	workstation = {
		...learnerSide,
		exec: (argv, options) => {
			execs += 1;
			return learnerSide.exec(argv, options);
		},
	};
});

afterAll(async () => {
	await sandbox?.destroy();
	await removeUnknownSandboxes(engine, platformId, () => false);
});

beforeEach(async () => {
	await shell(`find ${HOME} -mindepth 1 -delete`);
	execs = 0;
});

describe('reading journals from a learner workstation', () => {
	it('reads as the learner, in their home', async () => {
		const result = await workstation.exec(['sh', '-c', 'id -u; pwd'], { timeoutMs: 10_000 });
		expect(result.stdout.trim().split('\n')).toEqual(['1000', HOME]);
		expect(workstation.home).toBe(HOME);
	});

	it('lists nothing in a fresh home', async () => {
		expect(await new JournalReader().list(workstation)).toEqual([]);
	});

	it('lists journals newest first, says why a journal-like file cannot be shown, and leaves other files out', async () => {
		await write('journal.json', JSON.stringify(ourJournal(), null, 2), '2024-05-01 10:05:00');
		await write('runs/reference.json', JSON.stringify(referenceJournal), '2024-05-01 10:04:00');
		await write('broken.json', JSON.stringify(ourJournal()).slice(0, 300), '2024-05-01 10:03:00');
		const { end: _end, ...withoutEnd } = ourJournal();
		await write('bad-status.json', JSON.stringify({ ...withoutEnd, status: 'done' }), '2024-05-01 10:02:00');
		// Not journals, or not where journals are looked for:
		await write('experiment.json', JSON.stringify({ title: 't', description: 'd', method: [] }), '2024-05-01 10:06:00');
		await write('notes.txt', '"steady_states"', '2024-05-01 10:06:00');
		await write('.cache/hidden.json', JSON.stringify(ourJournal()), '2024-05-01 10:06:00');
		await write('a/b/c/too-deep.json', JSON.stringify(ourJournal()), '2024-05-01 10:06:00');
		await write('mentions.json', JSON.stringify({ note: 'steady_states' }), '2024-05-01 10:06:00');

		const listed = await new JournalReader().list(workstation);
		expect(paths(listed)).toEqual(['journal.json', 'runs/reference.json', 'broken.json', 'bad-status.json']);
		expect(listed[0]).toEqual({
			path: 'journal.json',
			modified: '2024-05-01T10:05:00.000Z',
			size: JSON.stringify(ourJournal(), null, 2).length,
			title: 'Storefront survives a paused Redis',
			status: 'completed',
			deviated: true,
			start: at(0),
			duration: 3.6,
			steadyStateBefore: true,
			steadyStateAfter: false,
		});
		expect(listed[1]).toMatchObject({ path: 'runs/reference.json', title: 'Reference run', status: 'failed', deviated: false, steadyStateBefore: false, steadyStateAfter: null });
		expect(listed[2]).toMatchObject({ path: 'broken.json', modified: '2024-05-01T10:03:00.000Z', size: 300 });
		expect((listed[2] as { error: string }).error).toMatch(/^is not valid JSON \(.+\)\. A run that was stopped while writing it leaves a file like this\.$/);
		expect(listed[3]).toEqual({
			path: 'bad-status.json',
			modified: '2024-05-01T10:02:00.000Z',
			size: expect.any(Number),
			error: 'looks like a journal but is not a valid one: status: invalid option: expected one of "completed"|"failed"|"aborted"|"interrupted"; end: is required (expected string).',
		});
	});

	it('shows at most the 20 newest journals', async () => {
		await write('template.json', JSON.stringify(ourJournal()), '2024-05-01 09:00:00');
		await shell(`cd ${HOME} && for i in $(seq 1 22); do cp template.json "run-$i.json"; touch -d "2024-05-01 10:00:$i" "run-$i.json"; done && rm template.json`);
		const listed = await new JournalReader().list(workstation);
		expect(paths(listed)).toEqual(Array.from({ length: 20 }, (_, index) => `run-${22 - index}.json`));
	});

	it('reads a file only when it changed since the last look, so polling costs one command', async () => {
		const reader = new JournalReader();
		await write('journal.json', JSON.stringify(ourJournal()), '2024-05-01 10:00:00');
		await write('other.json', JSON.stringify(ourJournal('Other')), '2024-05-01 09:00:00');
		execs = 0;
		expect(paths(await reader.list(workstation))).toEqual(['journal.json', 'other.json']);
		expect(execs).toBe(3);

		execs = 0;
		await reader.list(workstation);
		expect(execs).toBe(1);

		await write('journal.json', JSON.stringify(ourJournal('Second run')), '2024-05-01 11:00:00');
		execs = 0;
		const listed = await reader.list(workstation);
		expect(execs).toBe(2);
		expect(listed.map((listedEntry) => ('title' in listedEntry ? listedEntry.title : listedEntry.error))).toEqual(['Second run', 'Other']);
	});

	it('reads one journal whole, with its timeline', async () => {
		await write('runs/reference.json', JSON.stringify(referenceJournal), '2024-05-01 10:04:00');
		const document = await new JournalReader().read(workstation, 'runs/reference.json');
		expect(document).toMatchObject({ path: 'runs/reference.json', modified: '2024-05-01T10:04:00.000Z', size: JSON.stringify(referenceJournal).length });
		expect(document.journal.extensions).toEqual([{ name: 'chaosreliably' }]);
		expect(document.timeline.lanes.map((lane) => [lane.id, lane.empty])).toEqual([
			['before', undefined],
			['method', 'none ran'],
			['after', 'not checked'],
			['rollbacks', 'none ran'],
		]);
		expect(document.timeline.bars).toMatchObject([{ lane: 'before', name: 'health-200', passed: false, start: 0.0001, end: 1.0001 }]);
		expect(document.timeline.caption).toContain('Steady state before the method: not met: “health-200” failed.');
	});

	it('reads a journal larger than one command\'s output in pieces, keeping characters that straddle a piece whole', async () => {
		// 150 kB of two-byte characters: pieces of 48 000 bytes end mid-character.
		const body = 'é→'.repeat(30_000);
		const text = JSON.stringify(ourJournal('Big run', body));
		expect(Buffer.byteLength(text)).toBeGreaterThan(150_000);
		await write('big.json', text, '2024-05-01 10:00:00');
		execs = 0;
		const document = await new JournalReader().read(workstation, 'big.json');
		expect(execs).toBe(Math.ceil(Buffer.byteLength(text) / 48_000));
		expect(document.size).toBe(Buffer.byteLength(text));
		expect(document.journal.steady_states.after?.probes[0]?.output).toEqual({ status: 503, headers: {}, body });
	});

	it('refuses names that leave the home folder or are not JSON, before reading anything', async () => {
		const reader = new JournalReader();
		for (const [name, reason] of [
			['../../etc/passwd.json', 'contains ".."'],
			['runs/../../x.json', 'contains ".."'],
			['/etc/x.json', 'is an absolute path'],
			['journal.txt', 'does not end in .json'],
			['runs//x.json', 'has an empty or "." folder'],
			['', 'is empty'],
		] as const) {
			expect(journalNameProblem(name), name).toBe(reason);
			expect(await refusal(reader.read(workstation, name))).toEqual({ status: 400, message: `The journal name "${name}" ${reason}.` });
		}
		expect(execs).toBe(0);
		expect(journalNameProblem('runs/pause redis #2 (%20).json')).toBeUndefined();
	});

	it('says a missing file, a file that is not a journal, an over-large one and an unreadable one apart', async () => {
		const reader = new JournalReader();
		await write('experiment.json', JSON.stringify({ title: 't', description: 'd', method: [] }), '2024-05-01 10:00:00');
		await shell(`cd ${HOME} && { printf '{"steady_states": {}, "run": [], "experiment": {}, "pad": "'; head -c 2100000 /dev/zero | tr '\\0' a; printf '"}'; } > huge.json`);
		await write('locked.json', JSON.stringify(ourJournal()), '2024-05-01 10:00:00');
		await shell(`chmod 000 ${HOME}/locked.json`);
		await write('nested.json', `{"steady_states": {}, "run": [], "experiment": ${'['.repeat(100)}${']'.repeat(100)}}`, '2024-05-01 10:00:00');

		expect(await refusal(reader.read(workstation, 'nope.json'))).toEqual({ status: 404, message: 'There is no file ~/nope.json in your workstation.' });
		expect(await refusal(reader.read(workstation, 'experiment.json'))).toEqual({ status: 422, message: '~/experiment.json is not a Chaos Toolkit journal.' });
		expect(await refusal(reader.read(workstation, 'huge.json'))).toEqual({ status: 422, message: '~/huge.json is larger than 2 MB, too large for a journal to show.' });
		expect((await refusal(reader.read(workstation, 'locked.json'))).message).toMatch(/^~\/locked\.json could not be read: .*Permission denied\.$/);
		expect(await refusal(reader.read(workstation, 'nested.json'))).toEqual({ status: 422, message: '~/nested.json is nested more than 64 levels deep, which no journal is.' });
		// Too large to consider and unreadable by the learner: neither is listed.
		expect(paths(await reader.list(workstation))).toEqual(['nested.json']);
	});

	it('never reads a workstation as root', () => {
		const container = lab.manifest.containers[lab.workstation];
		if (!container) throw new Error('the lab has no workstation');
		const asRoot: Lab = { ...lab, manifest: { ...lab.manifest, containers: { ...lab.manifest.containers, [lab.workstation]: { ...container, user: 'root' } } } };
		expect(() => learnerWorkstation(sandbox, asRoot)).toThrow('This lab\'s workstation runs as root, so the platform does not read files from it.');
	});
});
