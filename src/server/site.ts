import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Files whose change means the built site is out of date. */
const SITE_INPUTS = ['content', 'src', 'labs', 'astro.config.mjs', 'package-lock.json', 'tsconfig.json'];
/** Under those, what never reaches the site: tests, the benchmark and test support. */
const NOT_SITE_INPUTS = [/\.test\.ts$/, /^src\/(bench|testing)\//];
const FINGERPRINT_FILE = path.join('dist', '.inputs-fingerprint');
/** Held while building, so two processes (a server and a test run) never rebuild dist/ at once. */
const LOCK_DIR = path.join('.astro', 'steady-state-build.lock');
const STALE_LOCK_MS = 10 * 60 * 1000;

/**
 * Builds the site with Astro when `dist/` is missing or older than its inputs, so `npm start` on a
 * fresh clone (or after an edit to a lesson) serves what is in the repository.
 */
export async function ensureSiteBuilt(projectRoot: string, log: (message: string) => void): Promise<void> {
	const fingerprint = await fingerprintInputs(projectRoot);
	const built = () => readFile(path.join(projectRoot, FINGERPRINT_FILE), 'utf8').catch(() => '');
	if ((await built()) === fingerprint) return;
	await withBuildLock(projectRoot, log, async () => {
		// Another process may have built the same inputs while we waited.
		const previous = await built();
		if (previous === fingerprint) return;
		log(previous ? 'Lessons or code changed since the last build; rebuilding the site' : 'Building the site (first start)');
		await buildSite(projectRoot);
		await writeFile(path.join(projectRoot, FINGERPRINT_FILE), fingerprint);
	});
}

async function buildSite(projectRoot: string): Promise<void> {
	await new Promise<void>((resolve, reject) => {
		const astro = path.join(projectRoot, 'node_modules', 'astro', 'bin', 'astro.mjs');
		const child = spawn(process.execPath, [astro, 'build'], { cwd: projectRoot, stdio: 'inherit' });
		child.on('error', reject);
		child.on('close', (code) => (code === 0 ? resolve() : reject(new SiteBuildError(code))));
	});
}

async function withBuildLock(projectRoot: string, log: (message: string) => void, work: () => Promise<void>): Promise<void> {
	const lock = path.join(projectRoot, LOCK_DIR);
	await mkdir(path.dirname(lock), { recursive: true });
	let announced = false;
	for (;;) {
		try {
			await mkdir(lock);
			break;
		} catch (error) {
			if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
			const since = await stat(lock).then((info) => Date.now() - info.mtimeMs, () => 0);
			// A lock older than any build was left by a process that died mid-build.
			if (since > STALE_LOCK_MS) await rm(lock, { recursive: true, force: true });
			if (!announced) log('Waiting for another process that is building the site');
			announced = true;
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
	}
	try {
		await work();
	} finally {
		await rm(lock, { recursive: true, force: true });
	}
}

export class SiteBuildError extends Error {
	constructor(code: number | null) {
		super(`Building the site failed (astro build exited with ${code}); the problems are listed above.`);
		this.name = 'SiteBuildError';
	}
}

async function fingerprintInputs(projectRoot: string): Promise<string> {
	const hash = createHash('sha256');
	for (const input of SITE_INPUTS) {
		for (const file of await walk(path.join(projectRoot, input))) {
			const relative = path.relative(projectRoot, file).split(path.sep).join('/');
			if (NOT_SITE_INPUTS.some((pattern) => pattern.test(relative))) continue;
			const info = await stat(file);
			hash.update(`${relative}\u0000${info.size}\u0000${info.mtimeMs}\n`);
		}
	}
	return hash.digest('hex');
}

async function walk(target: string): Promise<string[]> {
	const info = await stat(target).catch(() => undefined);
	if (!info) return [];
	if (info.isFile()) return [target];
	const entries = await readdir(target, { withFileTypes: true });
	const files: string[] = [];
	for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
		files.push(...(await walk(path.join(target, entry.name))));
	}
	return files;
}
