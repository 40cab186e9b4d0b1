import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * The platform's memory: learners, their sandboxes, their check results and fault logs, in one embedded SQLite
 * file. Writes are synchronous and small; WAL lets readers (e.g. a backup) go on while it writes.
 */

export type SandboxRecordState = 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';

export interface SandboxRecord {
	id: string;
	learnerId: string;
	labId: string;
	state: SandboxRecordState;
	error: string | null;
	createdAt: string;
	updatedAt: string;
}

export interface CheckResultRecord {
	learnerId: string;
	labId: string;
	taskId: string;
	passed: boolean;
	message: string;
	checkedAt: string;
}

/** What became of a fault request: the platform did it, would not, could not, or undid it. */
export type FaultOutcome = 'applied' | 'refused' | 'failed' | 'reverted';

/** One line of a learner's fault log: every request to inject a fault, and every revert. */
export interface FaultRecord {
	id: number;
	at: string;
	sandboxId: string;
	learnerId: string;
	labId: string;
	kind: string;
	/** A member name of the sandbox, or what the request named (possibly nothing valid). */
	target: string;
	parameters: Record<string, unknown>;
	outcome: FaultOutcome;
	message: string;
}

/** A learner's own record of one lesson: whether they marked it done, and their notes. */
export interface LessonProgressRecord {
	lesson: string;
	doneAt: string | null;
	note: string;
	updatedAt: string;
}

/**
 * One look at a lab's health target by the platform's own probe (in the sandbox's fault helper):
 * evidence the learner cannot write, for window checks and the run timeline.
 */
export interface HealthSample {
	at: string;
	ok: boolean;
	/** The HTTP status, or null when no answer came (refused, timed out). */
	status: number | null;
	latencyMs: number;
	error: string | null;
}

/** Each entry moves the schema one version forward; applied in order, once, inside a transaction. */
const MIGRATIONS: string[] = [
	`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
	 CREATE TABLE learners (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL);
	 CREATE TABLE sessions (
	   token_hash TEXT PRIMARY KEY,
	   learner_id TEXT NOT NULL REFERENCES learners(id),
	   created_at TEXT NOT NULL
	 );
	 CREATE TABLE sandboxes (
	   id TEXT PRIMARY KEY,
	   learner_id TEXT NOT NULL REFERENCES learners(id),
	   lab_id TEXT NOT NULL,
	   state TEXT NOT NULL,
	   error TEXT,
	   created_at TEXT NOT NULL,
	   updated_at TEXT NOT NULL
	 );
	 CREATE INDEX sandboxes_by_learner ON sandboxes(learner_id, lab_id, state);
	 CREATE TABLE check_results (
	   id INTEGER PRIMARY KEY AUTOINCREMENT,
	   learner_id TEXT NOT NULL REFERENCES learners(id),
	   lab_id TEXT NOT NULL,
	   task_id TEXT NOT NULL,
	   passed INTEGER NOT NULL,
	   message TEXT NOT NULL,
	   checked_at TEXT NOT NULL
	 );
	 CREATE INDEX check_results_by_task ON check_results(learner_id, lab_id, task_id, id);`,
	`CREATE TABLE fault_log (
	   id INTEGER PRIMARY KEY AUTOINCREMENT,
	   at TEXT NOT NULL,
	   sandbox_id TEXT NOT NULL,
	   learner_id TEXT NOT NULL REFERENCES learners(id),
	   lab_id TEXT NOT NULL,
	   kind TEXT NOT NULL,
	   target TEXT NOT NULL,
	   parameters TEXT NOT NULL,
	   outcome TEXT NOT NULL CHECK (outcome IN ('applied', 'refused', 'failed', 'reverted')),
	   message TEXT NOT NULL
	 );
	 CREATE INDEX fault_log_by_lab ON fault_log(learner_id, lab_id, id);`,
	`CREATE TABLE lesson_progress (
	   learner_id TEXT NOT NULL REFERENCES learners(id),
	   lesson TEXT NOT NULL,
	   done_at TEXT,
	   note TEXT NOT NULL DEFAULT '',
	   updated_at TEXT NOT NULL,
	   PRIMARY KEY (learner_id, lesson)
	 );`,
	`CREATE TABLE health_samples (
	   id INTEGER PRIMARY KEY AUTOINCREMENT,
	   sandbox_id TEXT NOT NULL,
	   learner_id TEXT NOT NULL REFERENCES learners(id),
	   lab_id TEXT NOT NULL,
	   at TEXT NOT NULL,
	   ok INTEGER NOT NULL,
	   status INTEGER,
	   latency_ms REAL NOT NULL,
	   error TEXT
	 );
	 CREATE INDEX health_samples_by_sandbox ON health_samples(sandbox_id, at);`,
];

/** States in which a sandbox holds engine objects; at most one such sandbox per learner and lab. */
export const LIVE_STATES: SandboxRecordState[] = ['starting', 'running', 'stopping'];

export class Store {
	private readonly db: DatabaseSync;

	constructor(file: string) {
		if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true });
		this.db = new DatabaseSync(file);
		try {
			this.db.exec('PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;');
			this.migrate();
		} catch (error) {
			this.db.close();
			throw error;
		}
	}

	close(): void {
		if (this.db.isOpen) this.db.close();
	}

	/** This installation's id, made once; it labels every engine object the platform creates. */
	platformId(): string {
		const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get('platform_id') as { value: string } | undefined;
		if (row) return row.value;
		const id = randomBytes(6).toString('hex');
		this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('platform_id', id);
		return id;
	}

	ensureLearner(id: string, name: string): void {
		this.db.prepare('INSERT OR IGNORE INTO learners (id, name, created_at) VALUES (?, ?, ?)').run(id, name, now());
	}

	addSession(tokenHash: string, learnerId: string): void {
		this.db.prepare('INSERT INTO sessions (token_hash, learner_id, created_at) VALUES (?, ?, ?)').run(tokenHash, learnerId, now());
	}

	sessionLearner(tokenHash: string): string | undefined {
		const row = this.db.prepare('SELECT learner_id FROM sessions WHERE token_hash = ?').get(tokenHash) as { learner_id: string } | undefined;
		return row?.learner_id;
	}

	insertSandbox(record: Pick<SandboxRecord, 'id' | 'learnerId' | 'labId'>): SandboxRecord {
		const at = now();
		this.db
			.prepare('INSERT INTO sandboxes (id, learner_id, lab_id, state, error, created_at, updated_at) VALUES (?, ?, ?, ?, NULL, ?, ?)')
			.run(record.id, record.learnerId, record.labId, 'starting', at, at);
		return { ...record, state: 'starting', error: null, createdAt: at, updatedAt: at };
	}

	setSandboxState(id: string, state: SandboxRecordState, error: string | null = null): void {
		this.db.prepare('UPDATE sandboxes SET state = ?, error = ?, updated_at = ? WHERE id = ?').run(state, error, now(), id);
	}

	/** The learner's current sandbox for a lab: a live one, else the most recent one (to show how it ended). */
	latestSandbox(learnerId: string, labId: string): SandboxRecord | undefined {
		const row = this.db
			.prepare('SELECT * FROM sandboxes WHERE learner_id = ? AND lab_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1')
			.get(learnerId, labId) as SandboxRow | undefined;
		return row ? fromSandboxRow(row) : undefined;
	}

	liveSandboxes(): SandboxRecord[] {
		const placeholders = LIVE_STATES.map(() => '?').join(', ');
		const rows = this.db.prepare(`SELECT * FROM sandboxes WHERE state IN (${placeholders})`).all(...LIVE_STATES) as unknown as SandboxRow[];
		return rows.map(fromSandboxRow);
	}

	addCheckResult(result: Omit<CheckResultRecord, 'checkedAt'>): CheckResultRecord {
		const checkedAt = now();
		this.db
			.prepare('INSERT INTO check_results (learner_id, lab_id, task_id, passed, message, checked_at) VALUES (?, ?, ?, ?, ?, ?)')
			.run(result.learnerId, result.labId, result.taskId, result.passed ? 1 : 0, result.message, checkedAt);
		return { ...result, checkedAt };
	}

	/** The latest result of each task of a lab for a learner. */
	latestCheckResults(learnerId: string, labId: string): CheckResultRecord[] {
		const rows = this.db
			.prepare(
				`SELECT r.* FROM check_results r
				 JOIN (SELECT task_id, MAX(id) AS id FROM check_results WHERE learner_id = ? AND lab_id = ? GROUP BY task_id) latest ON latest.id = r.id
				 ORDER BY r.task_id`,
			)
			.all(learnerId, labId) as unknown as CheckResultRow[];
		return rows.map((row) => ({
			learnerId: row.learner_id,
			labId: row.lab_id,
			taskId: row.task_id,
			passed: row.passed === 1,
			message: row.message,
			checkedAt: row.checked_at,
		}));
	}

	lessonProgress(learnerId: string): LessonProgressRecord[] {
		return this.db
			.prepare('SELECT lesson, done_at AS doneAt, note, updated_at AS updatedAt FROM lesson_progress WHERE learner_id = ? ORDER BY lesson')
			.all(learnerId) as unknown as LessonProgressRecord[];
	}

	/** Marks a lesson done (keeping the first time it was) or not done; notes are left as they are. */
	setLessonDone(learnerId: string, lesson: string, done: boolean): void {
		const at = now();
		this.db
			.prepare(
				`INSERT INTO lesson_progress (learner_id, lesson, done_at, updated_at) VALUES (?, ?, ?, ?)
				 ON CONFLICT (learner_id, lesson) DO UPDATE SET done_at = CASE WHEN ? THEN COALESCE(done_at, excluded.done_at) END, updated_at = excluded.updated_at`,
			)
			.run(learnerId, lesson, done ? at : null, at, done ? 1 : 0);
	}

	setLessonNote(learnerId: string, lesson: string, note: string): void {
		this.db
			.prepare(
				`INSERT INTO lesson_progress (learner_id, lesson, note, updated_at) VALUES (?, ?, ?, ?)
				 ON CONFLICT (learner_id, lesson) DO UPDATE SET note = excluded.note, updated_at = excluded.updated_at`,
			)
			.run(learnerId, lesson, note, now());
	}

	addHealthSamples(sandbox: { sandboxId: string; learnerId: string; labId: string }, samples: HealthSample[]): void {
		const insert = this.db.prepare('INSERT INTO health_samples (sandbox_id, learner_id, lab_id, at, ok, status, latency_ms, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
		this.db.exec('BEGIN');
		try {
			for (const sample of samples) insert.run(sandbox.sandboxId, sandbox.learnerId, sandbox.labId, sample.at, sample.ok ? 1 : 0, sample.status, sample.latencyMs, sample.error);
			this.db.exec('COMMIT');
		} catch (error) {
			this.db.exec('ROLLBACK');
			throw error;
		}
	}

	/** A sandbox's health samples in time order, from `since` (an ISO time) on, at most `limit` of the newest. */
	healthSamples(sandboxId: string, since = '', limit = 5000): HealthSample[] {
		const rows = this.db
			.prepare('SELECT at, ok, status, latency_ms AS latencyMs, error FROM health_samples WHERE sandbox_id = ? AND at >= ? ORDER BY at DESC, id DESC LIMIT ?')
			.all(sandboxId, since, limit) as unknown as { at: string; ok: number; status: number | null; latencyMs: number; error: string | null }[];
		return rows.reverse().map((row) => ({ ...row, ok: row.ok === 1 }));
	}

	addFault(entry: Omit<FaultRecord, 'id' | 'at'>): FaultRecord {
		const at = now();
		const result = this.db
			.prepare('INSERT INTO fault_log (at, sandbox_id, learner_id, lab_id, kind, target, parameters, outcome, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
			.run(at, entry.sandboxId, entry.learnerId, entry.labId, entry.kind, entry.target, JSON.stringify(entry.parameters), entry.outcome, entry.message);
		return { ...entry, id: Number(result.lastInsertRowid), at };
	}

	/** A learner's fault log for one lab, across all its sandboxes, newest first. */
	faultLog(learnerId: string, labId: string, limit = 500): FaultRecord[] {
		const rows = this.db
			.prepare('SELECT * FROM fault_log WHERE learner_id = ? AND lab_id = ? ORDER BY id DESC LIMIT ?')
			.all(learnerId, labId, limit) as unknown as FaultRow[];
		return rows.map((row) => ({
			id: row.id,
			at: row.at,
			sandboxId: row.sandbox_id,
			learnerId: row.learner_id,
			labId: row.lab_id,
			kind: row.kind,
			target: row.target,
			parameters: JSON.parse(row.parameters) as Record<string, unknown>,
			outcome: row.outcome,
			message: row.message,
		}));
	}

	/** Reads the version and applies what is missing in one write transaction, so two processes starting on one file cannot both migrate. */
	private migrate(): void {
		this.db.exec('BEGIN IMMEDIATE');
		try {
			this.db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
			const row = this.db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
			const current = row?.version ?? 0;
			if (current > MIGRATIONS.length) {
				throw new Error(`The database was written by a newer Steady State (schema ${current}, this one knows ${MIGRATIONS.length}). Upgrade, or point STEADY_DATA_DIR at another folder.`);
			}
			for (let version = current; version < MIGRATIONS.length; version += 1) this.db.exec(MIGRATIONS[version] ?? '');
			if (current < MIGRATIONS.length) {
				this.db.exec('DELETE FROM schema_version');
				this.db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(MIGRATIONS.length);
			}
			this.db.exec('COMMIT');
		} catch (error) {
			this.db.exec('ROLLBACK');
			throw error;
		}
	}
}

interface SandboxRow {
	id: string;
	learner_id: string;
	lab_id: string;
	state: SandboxRecordState;
	error: string | null;
	created_at: string;
	updated_at: string;
}

interface CheckResultRow {
	learner_id: string;
	lab_id: string;
	task_id: string;
	passed: number;
	message: string;
	checked_at: string;
}

interface FaultRow {
	id: number;
	at: string;
	sandbox_id: string;
	learner_id: string;
	lab_id: string;
	kind: string;
	target: string;
	parameters: string;
	outcome: FaultOutcome;
	message: string;
}

function fromSandboxRow(row: SandboxRow): SandboxRecord {
	return {
		id: row.id,
		learnerId: row.learner_id,
		labId: row.lab_id,
		state: row.state,
		error: row.error,
		createdAt: row.created_at,
		updatedAt: row.updated_at,
	};
}

function now(): string {
	return new Date().toISOString();
}
