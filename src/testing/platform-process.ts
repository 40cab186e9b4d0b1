import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { connectEngine } from '../../sandbox/engine.ts';
import { listLabelledSandboxes, removeUnknownSandboxes } from '../../sandbox/reconcile.ts';

/**
 * A real platform process for tests and benchmarks: `src/server/start.mjs` on a free port with its
 * own database, so its platform id (and every engine object it labels) is its own. `kill()` can
 * SIGKILL it mid-lab and `start()` bring it back on the same data.
 */

export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface PlatformProcessOptions {
	env?: Record<string, string>;
	/** Reuse a data folder (e.g. after a kill); a fresh temporary one otherwise. */
	dataDir?: string;
}

export class PlatformProcess {
	readonly dataDir: string;
	private child: ChildProcess | undefined;
	private output = '';
	private currentUrl: string | undefined;
	/** Free port chosen at the first start, kept so that a restart comes back at the same address. */
	private port = 0;
	private readonly env: Record<string, string>;
	private readonly ownsDataDir: boolean;

	private constructor(dataDir: string, ownsDataDir: boolean, env: Record<string, string>) {
		this.dataDir = dataDir;
		this.ownsDataDir = ownsDataDir;
		this.env = env;
	}

	static async start(options: PlatformProcessOptions = {}): Promise<PlatformProcess> {
		const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'steady-state-test-')));
		const platform = new PlatformProcess(dataDir, !options.dataDir, options.env ?? {});
		try {
			await platform.start();
		} catch (error) {
			await platform.dispose();
			throw error;
		}
		return platform;
	}

	get url(): string {
		if (!this.currentUrl) throw new Error('The platform is not running');
		return this.currentUrl;
	}

	get log(): string {
		return this.output;
	}

	/** The id this platform labels its engine objects with (it lives in the database). */
	platformId(): string {
		const db = new DatabaseSync(path.join(this.dataDir, 'steady-state.db'), { readOnly: true });
		try {
			const row = db.prepare("SELECT value FROM meta WHERE key = 'platform_id'").get() as { value: string } | undefined;
			if (!row) throw new Error('The platform has not written its id yet');
			return row.value;
		} finally {
			db.close();
		}
	}

	async start(): Promise<void> {
		if (this.child) throw new Error('Already running');
		const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', path.join(projectRoot, 'src/server/start.mjs')], {
			cwd: projectRoot,
			env: {
				...process.env,
				PORT: String(this.port),
				HOST: '127.0.0.1',
				STEADY_DATA_DIR: this.dataDir,
				// Images are prepared by the test setup; a test platform should not race it.
				STEADY_PREPARE_IMAGES: 'false',
				...this.env,
			},
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		this.child = child;
		this.currentUrl = undefined;
		const collect = (chunk: Buffer) => {
			this.output += chunk.toString();
		};
		child.stdout?.on('data', collect);
		child.stderr?.on('data', collect);
		this.currentUrl = await new Promise<string>((resolve, reject) => {
			const timer = setTimeout(() => {
				child.kill('SIGKILL');
				reject(new Error(`The platform did not start within 120 s:\n${this.output}`));
			}, 120_000);
			const onData = () => {
				const match = /Serving the course at (http:\/\/\S+?)\/?\s/.exec(this.output);
				if (match?.[1]) {
					clearTimeout(timer);
					child.stdout?.off('data', onData);
					const url = match[1].replace('localhost', '127.0.0.1');
					this.port = Number(new URL(url).port);
					resolve(url);
				}
			};
			child.stdout?.on('data', onData);
			child.once('exit', (code) => {
				clearTimeout(timer);
				if (this.child === child) this.child = undefined;
				reject(new Error(`The platform exited with ${code} before serving:\n${this.output}`));
			});
		});
	}

	/** SIGKILL: no shutdown code runs, as in a crash. */
	async kill(): Promise<void> {
		await this.signal('SIGKILL');
	}

	/** SIGTERM: the platform's own graceful shutdown. */
	async stop(): Promise<void> {
		await this.signal('SIGTERM');
	}

	/** Stops the process, removes every engine object labelled with its id, and its data folder. */
	async dispose(): Promise<void> {
		let platformId: string | undefined;
		try {
			platformId = this.platformId();
		} catch {
			platformId = undefined;
		}
		await this.stop();
		if (platformId) await removeUnknownSandboxes(connectEngine(), platformId, () => false);
		if (this.ownsDataDir) await rm(this.dataDir, { recursive: true, force: true });
	}

	/** Sandboxes on the engine labelled with this platform's id. */
	async labelledSandboxes() {
		return listLabelledSandboxes(connectEngine(), this.platformId());
	}

	private async signal(signal: NodeJS.Signals): Promise<void> {
		const child = this.child;
		if (!child || child.exitCode !== null || child.signalCode !== null) {
			this.child = undefined;
			return;
		}
		const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
		child.kill(signal);
		await exited;
		this.child = undefined;
		this.currentUrl = undefined;
	}
}
