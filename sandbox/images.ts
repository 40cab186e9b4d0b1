import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Engine } from './engine.ts';
import { isNotFound } from './engine.ts';

/**
 * An image the platform builds from a folder with a Dockerfile. A Dockerfile names its parent
 * through a build argument (`ARG BASE_IMAGE` / `FROM ${BASE_IMAGE}`), so the platform can pass the
 * exact image it built, and a rebuilt parent gives every child a new tag.
 */
export interface ImageRecipe {
	/** Stable name, e.g. `workstation` or `lab-steady-state-redis`; the tag's repository is `steady-state/<name>`. */
	name: string;
	/** Absolute path of the build context. */
	context: string;
	/**
	 * Files made when the image is built (a bundled tool, say), added to the build context beside
	 * the folder's own, by path relative to it. They are part of the tag's hash, so a change to
	 * what they are made from rebuilds the image.
	 */
	generated?: () => Promise<Record<string, string | Uint8Array>>;
}

/** Build arguments the platform fills in, and the recipe each one names. */
export const PARENT_ARGS = {
	BASE_IMAGE: 'base',
	WORKSTATION_IMAGE: 'workstation',
} as const;

export const BASE_IMAGE_TAG = 'steady-state/base:bookworm';

export interface ImageProgress {
	/** The image being prepared. */
	image: string;
	message: string;
	/** Dockerfile step, when the engine reports one. */
	step?: { current: number; total: number };
}

export interface ImageBuilderOptions {
	/** Tried before building the base locally; a machine that can pull takes the fast path. */
	pullBase?: string;
	/** Debian mirror for debootstrap; the default is Debian's own redirector. */
	debianMirror?: string;
	/** Where to report progress; the builder is shared, so several listeners may be interested. */
	onProgress?: (progress: ImageProgress) => void;
}

export class ImageBuildError extends Error {
	readonly image: string;
	readonly log: string;
	constructor(image: string, message: string, log = '') {
		super(`Could not build ${image}: ${message}`);
		this.name = 'ImageBuildError';
		this.image = image;
		this.log = log;
	}
}

/**
 * Makes sure the images a lab needs exist, building only what is missing. Tags carry a hash of the
 * build context and the parent image, so later starts reuse images and a changed Dockerfile
 * rebuilds. Concurrent requests for the same image share one build.
 */
export class ImageBuilder {
	private readonly recipes = new Map<string, ImageRecipe>();
	private readonly inFlight = new Map<string, Promise<string>>();
	/** Generated files are made once per process: hashing and building must see the same bytes. */
	private readonly generatedFiles = new Map<string, Promise<Record<string, string | Uint8Array>>>();
	private readonly listeners = new Set<(progress: ImageProgress) => void>();
	private readonly engine: Engine;
	private readonly options: ImageBuilderOptions;

	constructor(engine: Engine, recipes: ImageRecipe[], options: ImageBuilderOptions = {}) {
		this.engine = engine;
		this.options = options;
		for (const recipe of recipes) this.recipes.set(recipe.name, recipe);
		if (options.onProgress) this.listeners.add(options.onProgress);
	}

	onProgress(listener: (progress: ImageProgress) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	/** Returns the engine tag of a recipe's image, building it and its parents first if needed. */
	ensure(name: string): Promise<string> {
		let pending = this.inFlight.get(name);
		if (!pending) {
			pending = name === PARENT_ARGS.BASE_IMAGE ? this.ensureBase() : this.ensureRecipe(name);
			this.inFlight.set(name, pending);
			// A failed build may succeed later (network back, Dockerfile fixed): forget failures.
			pending.catch(() => this.inFlight.delete(name));
		}
		return pending;
	}

	/** The tag a recipe would have now, without building anything; undefined while a parent is missing. */
	async currentTag(name: string): Promise<string | undefined> {
		if (name === PARENT_ARGS.BASE_IMAGE) return (await this.imageId(BASE_IMAGE_TAG)) ? BASE_IMAGE_TAG : undefined;
		const recipe = this.recipe(name);
		const parents: Record<string, string> = {};
		for (const [arg, parent] of Object.entries(await dockerfileParents(recipe))) {
			const parentTag = await this.currentTag(parent);
			if (!parentTag) return undefined;
			parents[arg] = (await this.imageId(parentTag)) ?? parentTag;
		}
		return recipeTag(recipe, parents, await this.generated(recipe));
	}

	private generated(recipe: ImageRecipe): Promise<Record<string, string | Uint8Array>> {
		let files = this.generatedFiles.get(recipe.name);
		if (!files) {
			files = recipe.generated ? recipe.generated() : Promise.resolve({});
			files.catch(() => this.generatedFiles.delete(recipe.name));
			this.generatedFiles.set(recipe.name, files);
		}
		return files.catch((error: unknown) => {
			throw new ImageBuildError(recipe.name, `could not make its generated files: ${error instanceof Error ? error.message : String(error)}`);
		});
	}

	private emit(progress: ImageProgress): void {
		for (const listener of this.listeners) {
			try {
				listener(progress);
			} catch {
				// A broken listener must never break a build.
			}
		}
	}

	private recipe(name: string): ImageRecipe {
		const recipe = this.recipes.get(name);
		if (!recipe) throw new ImageBuildError(name, `no image recipe named "${name}"; known: ${[...this.recipes.keys()].join(', ')}`);
		return recipe;
	}

	private async imageId(tag: string): Promise<string | undefined> {
		try {
			return (await this.engine.getImage(tag).inspect()).Id;
		} catch (error) {
			if (isNotFound(error)) return undefined;
			throw error;
		}
	}

	private async ensureRecipe(name: string): Promise<string> {
		const recipe = this.recipe(name);
		const buildargs: Record<string, string> = {};
		const parentIds: Record<string, string> = {};
		for (const [arg, parent] of Object.entries(await dockerfileParents(recipe))) {
			const parentTag = await this.ensure(parent);
			buildargs[arg] = parentTag;
			parentIds[arg] = (await this.imageId(parentTag)) ?? parentTag;
		}
		const generated = await this.generated(recipe);
		const tag = await recipeTag(recipe, parentIds, generated);
		if (await this.imageId(tag)) return tag;
		await this.build(recipe, tag, buildargs, generated);
		return tag;
	}

	private async build(recipe: ImageRecipe, tag: string, buildargs: Record<string, string>, generated: Record<string, string | Uint8Array>): Promise<void> {
		const image = `steady-state/${recipe.name}`;
		this.emit({ image, message: `Building ${image}` });
		const staged = Object.keys(generated).length > 0 ? await stageContext(recipe.context, generated) : undefined;
		try {
			await this.buildFrom(staged ?? recipe.context, image, tag, buildargs);
		} finally {
			if (staged) await rm(staged, { recursive: true, force: true }).catch(() => undefined);
		}
		if (!(await this.imageId(tag))) throw new ImageBuildError(image, 'the engine finished without producing the image');
		this.emit({ image, message: `Built ${image}` });
	}

	private async buildFrom(context: string, image: string, tag: string, buildargs: Record<string, string>): Promise<void> {
		const name = image.slice('steady-state/'.length);
		const files = await listFiles(context);
		const stream = await this.engine.buildImage(
			{ context, src: files },
			{ t: tag, buildargs, rm: true, forcerm: true, labels: { 'dev.steady-state.image': name } },
		);
		const log: string[] = [];
		await new Promise<void>((resolve, reject) => {
			this.engine.modem.followProgress(
				stream,
				(error: Error | null) => (error ? reject(new ImageBuildError(image, error.message, log.join(''))) : resolve()),
				(event: { stream?: string; error?: string }) => {
					if (event.error) {
						reject(new ImageBuildError(image, event.error.trim(), log.join('')));
						return;
					}
					if (!event.stream) return;
					log.push(event.stream);
					if (log.length > 200) log.shift();
					const step = /^Step (\d+)\/(\d+) : (.*)/.exec(event.stream);
					if (step) {
						this.emit({
							image,
							step: { current: Number(step[1]), total: Number(step[2]) },
							message: `Building ${image}, step ${step[1]}/${step[2]}: ${truncate(step[3] ?? '', 100)}`,
						});
					}
				},
			);
		});
	}

	/**
	 * The Debian base every image starts from: pulled where a registry answers, otherwise made with
	 * debootstrap from Debian's archive and imported.
	 */
	private async ensureBase(): Promise<string> {
		if (await this.imageId(BASE_IMAGE_TAG)) return BASE_IMAGE_TAG;
		const pullFrom = this.options.pullBase ?? 'debian:bookworm-slim';
		this.emit({ image: BASE_IMAGE_TAG, message: `Pulling ${pullFrom}` });
		const pullError = await this.pull(pullFrom).then(
			() => undefined,
			(error: unknown) => (error instanceof Error ? error.message : String(error)),
		);
		if (!pullError) {
			await this.engine.getImage(pullFrom).tag({ repo: 'steady-state/base', tag: 'bookworm' });
			return BASE_IMAGE_TAG;
		}
		this.emit({ image: BASE_IMAGE_TAG, message: `No registry (${truncate(pullError, 80)}); building the Debian base with debootstrap` });
		await this.debootstrapBase(pullError);
		return BASE_IMAGE_TAG;
	}

	private async pull(reference: string): Promise<void> {
		const stream = await this.engine.pull(reference);
		await new Promise<void>((resolve, reject) => {
			this.engine.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()));
		});
	}

	private async debootstrapBase(pullError: string): Promise<void> {
		const root = await mkdtemp(path.join(tmpdir(), 'steady-state-base-'));
		try {
			const mirror = this.options.debianMirror ?? DEFAULT_MIRROR;
			const why = `pulling ${this.options.pullBase ?? 'debian:bookworm-slim'} failed (${pullError})`;
			await runTool('debootstrap', ['--variant=minbase', 'bookworm', root, mirror], why, (line) => {
				// debootstrap prints "I: Retrieving libc6 2.36-9", "I: Extracting ...", "I: Configuring ..."
				if (line.startsWith('I: ')) this.emit({ image: BASE_IMAGE_TAG, message: `debootstrap: ${line.slice(3)}` });
			});
			await finishBaseTree(root, mirror);
			this.emit({ image: BASE_IMAGE_TAG, message: 'Importing the Debian base into the engine' });
			const tar = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
			const importStream = await this.engine.importImage(tar.stdout, { repo: 'steady-state/base', tag: 'bookworm' });
			await new Promise<void>((resolve, reject) => {
				this.engine.modem.followProgress(importStream, (error: Error | null) => (error ? reject(error) : resolve()));
			});
			if (!(await this.imageId(BASE_IMAGE_TAG))) throw new ImageBuildError(BASE_IMAGE_TAG, 'the import finished without producing the image');
			this.emit({ image: BASE_IMAGE_TAG, message: 'Built the Debian base' });
		} finally {
			await rm(root, { recursive: true, force: true }).catch(() => undefined);
		}
	}
}

const DEFAULT_MIRROR = 'http://deb.debian.org/debian';

/**
 * Docs, manual pages and translations are never read in a sandbox and are a large share of every
 * package. Debian's slim image (the pull path) ships the same rule; a debootstrapped base gets it
 * here, so every image built on either skips them.
 */
const DPKG_NO_DOCS = [
	'path-exclude=/usr/share/doc/*',
	'path-include=/usr/share/doc/*/copyright',
	'path-exclude=/usr/share/man/*',
	'path-exclude=/usr/share/info/*',
	'path-exclude=/usr/share/locale/*',
	'path-include=/usr/share/locale/locale.alias',
];

/**
 * Makes the debootstrapped tree a good parent image: every image runs `apt-get update` anyway, so
 * the package lists and caches debootstrap leaves (about 80 MB) would only be copied into each
 * one; dpkg skips documentation; and with Debian's own mirror, images also get the updates and
 * security suites.
 */
async function finishBaseTree(root: string, mirror: string): Promise<void> {
	for (const leftover of ['var/lib/apt/lists', 'var/cache/apt/archives']) {
		const dir = path.join(root, leftover);
		for (const entry of await readdir(dir).catch(() => [])) {
			if (entry === 'partial' || entry === 'lock') continue;
			await rm(path.join(dir, entry), { recursive: true, force: true });
		}
	}
	for (const cache of ['pkgcache.bin', 'srcpkgcache.bin']) await rm(path.join(root, 'var/cache/apt', cache), { force: true });
	const suites = [`deb ${mirror} bookworm main`];
	if (mirror === DEFAULT_MIRROR) {
		suites.push(`deb ${mirror} bookworm-updates main`, 'deb http://deb.debian.org/debian-security bookworm-security main');
	}
	await writeFile(path.join(root, 'etc/apt/sources.list'), `${suites.join('\n')}\n`);
	await writeFile(path.join(root, 'etc/dpkg/dpkg.cfg.d/01-nodoc'), `${DPKG_NO_DOCS.join('\n')}\n`);
}

function runTool(command: string, args: string[], why: string, onLine: (line: string) => void): Promise<void> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
		const tail: string[] = [];
		const collect = (chunk: Buffer) => {
			for (const line of chunk.toString('utf8').split('\n')) {
				if (!line.trim()) continue;
				tail.push(line);
				if (tail.length > 20) tail.shift();
				onLine(line);
			}
		};
		child.stdout.on('data', collect);
		child.stderr.on('data', collect);
		child.on('error', (error: NodeJS.ErrnoException) => {
			const fix =
				error.code === 'ENOENT'
					? `${command} is not installed. Install it (\`sudo apt-get install ${command}\`) and run the platform as root, or let the engine reach a registry`
					: error.message;
			reject(new ImageBuildError(BASE_IMAGE_TAG, `${why}, and ${fix}`));
		});
		child.on('close', (code) => {
			if (code === 0) resolve();
			else reject(new ImageBuildError(BASE_IMAGE_TAG, `${command} exited with code ${code}${process.getuid?.() === 0 ? '' : ' (it needs root)'}`, tail.join('\n')));
		});
	});
}

/** Parent recipes a Dockerfile asks for, by the build arguments it declares. */
async function dockerfileParents(recipe: ImageRecipe): Promise<Record<string, string>> {
	const dockerfile = await readFile(path.join(recipe.context, 'Dockerfile'), 'utf8').catch(() => {
		throw new ImageBuildError(recipe.name, `${path.join(recipe.context, 'Dockerfile')} does not exist`);
	});
	const parents: Record<string, string> = {};
	for (const [arg, parent] of Object.entries(PARENT_ARGS)) {
		if (new RegExp(`^\\s*ARG\\s+${arg}\\b`, 'm').test(dockerfile)) parents[arg] = parent;
	}
	return parents;
}

/** Every file under a folder, relative and sorted, so that hashing and packing agree. */
async function listFiles(root: string, prefix = ''): Promise<string[]> {
	const entries = await readdir(path.join(root, prefix), { withFileTypes: true });
	const files: string[] = [];
	for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
		const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
		if (entry.isDirectory()) files.push(...(await listFiles(root, relative)));
		else if (entry.isFile()) files.push(relative);
	}
	return files;
}

/** A recipe's tag: its name, and a hash of its build context, generated files and exact parent images. */
async function recipeTag(recipe: ImageRecipe, parentIds: Record<string, string>, generated: Record<string, string | Uint8Array>): Promise<string> {
	return `steady-state/${recipe.name}:${await contextHash(recipe.context, parentIds, generated)}`;
}

async function contextHash(context: string, parents: Record<string, string>, generated: Record<string, string | Uint8Array>): Promise<string> {
	const hash = createHash('sha256');
	for (const [arg, id] of Object.entries(parents).sort()) hash.update(`parent ${arg}=${id}\n`);
	for (const file of await listFiles(context)) {
		const absolute = path.join(context, file);
		const executable = ((await stat(absolute)).mode & 0o111) !== 0;
		hash.update(`file ${file} ${executable ? 'x' : '-'}\n`);
		hash.update(await readFile(absolute));
	}
	for (const [file, content] of Object.entries(generated).sort(([a], [b]) => a.localeCompare(b))) {
		hash.update(`generated ${file}\n`);
		hash.update(content);
	}
	return hash.digest('hex').slice(0, 12);
}

/** A copy of a build context with generated files added, so the engine gets one folder to pack. */
async function stageContext(context: string, generated: Record<string, string | Uint8Array>): Promise<string> {
	const staged = await mkdtemp(path.join(tmpdir(), 'steady-state-context-'));
	await cp(context, staged, { recursive: true });
	for (const [file, content] of Object.entries(generated)) {
		const target = path.join(staged, file);
		await mkdir(path.dirname(target), { recursive: true });
		await writeFile(target, content);
	}
	return staged;
}

function truncate(text: string, length: number): string {
	return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
