import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store, type SandboxRecordState } from './store.ts';

let dir: string;
let file: string;
const opened: Store[] = [];

beforeEach(async () => {
	dir = await mkdtemp(path.join(tmpdir(), 'steady-store-'));
	file = path.join(dir, 'data', 'steady-state.db');
});

afterEach(async () => {
	for (const store of opened.splice(0)) store.close();
	await rm(dir, { recursive: true, force: true });
});

function open(): Store {
	const store = new Store(file);
	opened.push(store);
	return store;
}

/** Reads the database file directly, the way a person with the sqlite3 shell would. */
function query<T>(sql: string, ...params: string[]): T[] {
	const db = new DatabaseSync(file);
	try {
		return db.prepare(sql).all(...params) as T[];
	} finally {
		db.close();
	}
}

function withLearners(store: Store): Store {
	store.ensureLearner('ada', 'Ada');
	store.ensureLearner('bob', 'Bob');
	return store;
}

describe('opening a store', () => {
	it('creates its folder, the file and every table', () => {
		open();

		const tables = query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
		expect(tables.map((table) => table.name)).toEqual(['check_results', 'fault_log', 'health_samples', 'learners', 'lesson_progress', 'meta', 'sandboxes', 'schema_version', 'sessions']);
		expect(query<{ version: number }>('SELECT version FROM schema_version')).toEqual([{ version: expect.any(Number) }]);
	});

	it('applies migrations once: reopening keeps the version and the data', () => {
		open().close();
		const [before] = query<{ version: number }>('SELECT version FROM schema_version');

		const store = open();
		store.ensureLearner('ada', 'Ada');
		store.close();
		open();

		expect(query('SELECT version FROM schema_version')).toEqual([before]);
		expect(query<{ id: string }>('SELECT id FROM learners')).toEqual([{ id: 'ada' }]);
	});

	it('refuses a database written by a newer version, and says what to do', () => {
		open().close();
		const db = new DatabaseSync(file);
		db.exec('UPDATE schema_version SET version = 99');
		db.close();

		expect(() => open()).toThrow(
			/^The database was written by a newer Steady State \(schema 99, this one knows \d+\)\. Upgrade, or point STEADY_DATA_DIR at another folder\.$/,
		);
	});
});

describe('platformId', () => {
	it('is made once and kept across reopening', () => {
		const first = open();
		const id = first.platformId();
		expect(first.platformId()).toBe(id);
		first.close();

		expect(open().platformId()).toBe(id);
		expect(id).toMatch(/^[0-9a-f]{12}$/);
	});

	it('differs between installations', () => {
		const id = open().platformId();
		const otherFile = path.join(dir, 'other.db');
		const other = new Store(otherFile);
		opened.push(other);

		expect(other.platformId()).not.toBe(id);
	});
});

describe('sessions', () => {
	it('map a token hash to its learner', () => {
		const store = withLearners(open());
		store.addSession('hash-1', 'ada');
		store.addSession('hash-2', 'bob');

		expect(store.sessionLearner('hash-1')).toBe('ada');
		expect(store.sessionLearner('hash-2')).toBe('bob');
		expect(store.sessionLearner('hash-3')).toBeUndefined();
	});

	it('belong to a learner that exists', () => {
		const store = open();

		expect(() => store.addSession('hash-1', 'nobody')).toThrow(/FOREIGN KEY constraint failed/);
	});

	it('are kept once per learner id, however often the learner is ensured', () => {
		const store = open();
		store.ensureLearner('ada', 'Ada');
		store.ensureLearner('ada', 'Someone else');

		expect(query('SELECT id, name FROM learners')).toEqual([{ id: 'ada', name: 'Ada' }]);
	});
});

describe('sandboxes', () => {
	it('start in the starting state, with no error', () => {
		const store = withLearners(open());

		const record = store.insertSandbox({ id: 'sb-1', learnerId: 'ada', labId: 'steady-state' });

		expect(record).toEqual({
			id: 'sb-1',
			learnerId: 'ada',
			labId: 'steady-state',
			state: 'starting',
			error: null,
			createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
			updatedAt: record.createdAt,
		});
		expect(store.latestSandbox('ada', 'steady-state')).toEqual(record);
	});

	it('move through their states, keeping the error of a failure', () => {
		const store = withLearners(open());
		store.insertSandbox({ id: 'sb-1', learnerId: 'ada', labId: 'steady-state' });

		store.setSandboxState('sb-1', 'running');
		expect(store.latestSandbox('ada', 'steady-state')).toMatchObject({ state: 'running', error: null });

		store.setSandboxState('sb-1', 'failed', 'The redis container was not ready within 30 s');
		expect(store.latestSandbox('ada', 'steady-state')).toMatchObject({ state: 'failed', error: 'The redis container was not ready within 30 s' });
	});

	it('give the newest sandbox of a learner and lab as the latest, even when made in the same millisecond', () => {
		const store = withLearners(open());
		for (const id of ['sb-1', 'sb-2', 'sb-3']) store.insertSandbox({ id, learnerId: 'ada', labId: 'steady-state' });
		store.setSandboxState('sb-1', 'running');

		expect(store.latestSandbox('ada', 'steady-state')?.id).toBe('sb-3');
	});

	it('keep each learner\'s and each lab\'s sandboxes apart', () => {
		const store = withLearners(open());
		store.insertSandbox({ id: 'ada-lab', learnerId: 'ada', labId: 'steady-state' });
		store.insertSandbox({ id: 'ada-other', learnerId: 'ada', labId: 'other-lab' });
		store.insertSandbox({ id: 'bob-lab', learnerId: 'bob', labId: 'steady-state' });

		expect(store.latestSandbox('ada', 'steady-state')?.id).toBe('ada-lab');
		expect(store.latestSandbox('bob', 'steady-state')?.id).toBe('bob-lab');
		expect(store.latestSandbox('bob', 'other-lab')).toBeUndefined();
	});

	it('count as live only while starting, running or stopping', () => {
		const store = withLearners(open());
		const states: SandboxRecordState[] = ['starting', 'running', 'stopping', 'stopped', 'failed'];
		for (const state of states) {
			store.insertSandbox({ id: `sb-${state}`, learnerId: 'ada', labId: state });
			store.setSandboxState(`sb-${state}`, state);
		}

		expect(store.liveSandboxes().map((record) => record.id).sort()).toEqual(['sb-running', 'sb-starting', 'sb-stopping']);
	});
});

describe('check results', () => {
	it('give the latest result of each task, for that learner and lab only', () => {
		const store = withLearners(open());
		store.addCheckResult({ learnerId: 'ada', labId: 'steady-state', taskId: 'probe', passed: false, message: 'first try' });
		store.addCheckResult({ learnerId: 'ada', labId: 'steady-state', taskId: 'probe', passed: true, message: 'second try' });
		store.addCheckResult({ learnerId: 'ada', labId: 'steady-state', taskId: 'alert', passed: false, message: 'not yet' });
		store.addCheckResult({ learnerId: 'ada', labId: 'other-lab', taskId: 'probe', passed: false, message: 'other lab' });
		store.addCheckResult({ learnerId: 'bob', labId: 'steady-state', taskId: 'probe', passed: false, message: 'bob' });

		expect(store.latestCheckResults('ada', 'steady-state')).toEqual([
			{ learnerId: 'ada', labId: 'steady-state', taskId: 'alert', passed: false, message: 'not yet', checkedAt: expect.any(String) },
			{ learnerId: 'ada', labId: 'steady-state', taskId: 'probe', passed: true, message: 'second try', checkedAt: expect.any(String) },
		]);
	});

	it('are empty for a lab never checked', () => {
		expect(withLearners(open()).latestCheckResults('ada', 'steady-state')).toEqual([]);
	});
});

describe('the fault log', () => {
	const fault = { sandboxId: 'sb-1', learnerId: 'ada', labId: 'steady-state', kind: 'pause', target: 'redis', parameters: {}, outcome: 'applied', message: 'Paused redis.' } as const;

	it('gives a learner\'s faults for one lab, newest first, with their parameters as written', () => {
		const store = withLearners(open());
		const first = store.addFault({ ...fault, kind: 'cpu', parameters: { workers: 1, seconds: 30 } });
		store.addFault({ ...fault, labId: 'other-lab' });
		store.addFault({ ...fault, learnerId: 'bob' });
		const last = store.addFault({ ...fault, kind: 'unpause', outcome: 'reverted', message: 'Unpaused redis.' });

		expect(store.faultLog('ada', 'steady-state')).toEqual([last, first]);
		expect(first).toEqual({ ...fault, kind: 'cpu', parameters: { workers: 1, seconds: 30 }, id: expect.any(Number), at: expect.any(String) });
		expect(last.id).toBeGreaterThan(first.id);
	});

	it('keeps at most the asked number of entries, the newest ones', () => {
		const store = withLearners(open());
		for (const target of ['a', 'b', 'c']) store.addFault({ ...fault, target });

		expect(store.faultLog('ada', 'steady-state', 2).map((entry) => entry.target)).toEqual(['c', 'b']);
	});

	it('accepts only the four outcomes and learners that exist', () => {
		const store = withLearners(open());

		expect(() => store.addFault({ ...fault, outcome: 'maybe' as 'applied' })).toThrow(/CHECK constraint/);
		expect(() => store.addFault({ ...fault, learnerId: 'nobody' })).toThrow(/FOREIGN KEY/);
		expect(store.faultLog('ada', 'steady-state')).toEqual([]);
	});

	it('is added to a database made before it, keeping what was there', () => {
		const old = open();
		old.ensureLearner('ada', 'Ada');
		old.close();
		// Roll the file back to the first schema, as a database from before the fault log would be.
		const raw = new DatabaseSync(file);
		raw.exec('DROP TABLE health_samples; DROP TABLE lesson_progress; DROP TABLE fault_log; UPDATE schema_version SET version = 1;');
		raw.close();

		const store = open();
		store.addFault(fault);

		expect(store.faultLog('ada', 'steady-state')).toHaveLength(1);
		expect(query<{ version: number }>('SELECT version FROM schema_version')).toEqual([{ version: 4 }]);
	});
});

describe('lesson progress', () => {
	it('keeps a learner\'s notes and done marks per lesson, apart from other learners', () => {
		const store = withLearners(open());
		store.setLessonNote('ada', 'foundations/steady-state', 'Probe needs a timeout.');
		store.setLessonDone('ada', 'foundations/steady-state', true);
		store.setLessonDone('bob', 'foundations/experiment-loop', true);

		expect(store.lessonProgress('ada')).toEqual([
			{ lesson: 'foundations/steady-state', doneAt: expect.any(String), note: 'Probe needs a timeout.', updatedAt: expect.any(String) },
		]);
		expect(store.lessonProgress('bob').map((record) => record.lesson)).toEqual(['foundations/experiment-loop']);
	});

	it('keeps the first time a lesson was done, clears it on undo, and never touches the notes', () => {
		const store = withLearners(open());
		store.setLessonDone('ada', 'a/b', true);
		const first = store.lessonProgress('ada')[0]?.doneAt;
		store.setLessonDone('ada', 'a/b', true);
		expect(store.lessonProgress('ada')[0]?.doneAt).toBe(first);

		store.setLessonNote('ada', 'a/b', 'kept');
		store.setLessonDone('ada', 'a/b', false);
		expect(store.lessonProgress('ada')[0]).toMatchObject({ doneAt: null, note: 'kept' });
	});

	it('survives closing and reopening the file', () => {
		const store = withLearners(open());
		store.setLessonNote('ada', 'a/b', 'written before a restart');
		store.close();

		expect(open().lessonProgress('ada')[0]?.note).toBe('written before a restart');
	});
});

describe('a store file', () => {
	it('keeps learners, sessions, sandboxes and results across close and reopen', () => {
		const first = withLearners(open());
		const id = first.platformId();
		first.addSession('hash-1', 'ada');
		first.insertSandbox({ id: 'sb-1', learnerId: 'ada', labId: 'steady-state' });
		first.setSandboxState('sb-1', 'running');
		const result = first.addCheckResult({ learnerId: 'ada', labId: 'steady-state', taskId: 'probe', passed: true, message: 'ok' });
		first.close();

		const second = open();

		expect(second.platformId()).toBe(id);
		expect(second.sessionLearner('hash-1')).toBe('ada');
		expect(second.liveSandboxes()).toEqual([expect.objectContaining({ id: 'sb-1', state: 'running' })]);
		expect(second.latestCheckResults('ada', 'steady-state')).toEqual([result]);
	});

	it('can be closed twice', () => {
		const store = open();
		store.close();

		expect(() => store.close()).not.toThrow();
	});
});

describe('health samples', () => {
	const sandbox = { sandboxId: 'sb-1', learnerId: 'ada', labId: 'steady-state' };
	const sample = (at: string, ok = true) => ({ at, ok, status: ok ? 200 : 503, latencyMs: 12.5, error: ok ? null : 'HTTP 503' });

	it('keeps a sandbox\'s samples in time order, apart from other sandboxes', () => {
		const store = withLearners(open());
		store.addHealthSamples(sandbox, [sample('2026-12-03T10:00:02.000Z', false), sample('2026-12-03T10:00:01.000Z')]);
		store.addHealthSamples({ ...sandbox, sandboxId: 'sb-2' }, [sample('2026-12-03T10:00:01.500Z')]);

		expect(store.healthSamples('sb-1')).toEqual([sample('2026-12-03T10:00:01.000Z'), sample('2026-12-03T10:00:02.000Z', false)]);
		expect(store.healthSamples('sb-1', '2026-12-03T10:00:01.500Z')).toEqual([sample('2026-12-03T10:00:02.000Z', false)]);
		expect(store.healthSamples('sb-1', '', 1)).toEqual([sample('2026-12-03T10:00:02.000Z', false)]);
	});

	it('writes a batch whole or not at all', () => {
		const store = withLearners(open());
		expect(() => store.addHealthSamples({ ...sandbox, learnerId: 'nobody' }, [sample('2026-12-03T10:00:01.000Z')])).toThrow(/FOREIGN KEY/);
		expect(store.healthSamples('sb-1')).toEqual([]);
	});
});
