import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Files whose change means the built site is out of date. */
const SITE_INPUTS = ['content', 'src', 'labs', 'astro.config.mjs', 'package-lock.json', 'tsconfig.json'];
const FINGERPRINT_FILE = path.join('dist', '.inputs-fingerprint');

/**
 * Builds the site with Astro when `dist/` is missing or older than its inputs, so `npm start` on a
 * fresh clone (or after an edit to a lesson) serves what is in the repository.
 */
export async function ensureSiteBuilt(projectRoot: string, log: (message: string) => void): Promise<void> {
	const fingerprint = await fingerprintInputs(projectRoot);
	const previous = await readFile(path.join(projectRoot, FINGERPRINT_FILE), 'utf8').catch(() => '');
	if (previous === fingerprint) return;
	log(previous ? 'Lessons or code changed since the last build; rebuilding the site' : 'Building the site (first start)');
	await new Promise<void>((resolve, reject) => {
		const astro = path.join(projectRoot, 'node_modules', 'astro', 'bin', 'astro.mjs');
		const child = spawn(process.execPath, [astro, 'build'], { cwd: projectRoot, stdio: 'inherit' });
		child.on('error', reject);
		child.on('close', (code) => (code === 0 ? resolve() : reject(new SiteBuildError(code))));
	});
	await writeFile(path.join(projectRoot, FINGERPRINT_FILE), fingerprint);
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
			const info = await stat(file);
			hash.update(`${path.relative(projectRoot, file)}\u0000${info.size}\u0000${info.mtimeMs}\n`);
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
