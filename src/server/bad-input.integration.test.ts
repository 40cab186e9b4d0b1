import { spawnSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectRoot } from '../testing/platform-process.ts';

/**
 * An instructor's mistakes, made in a copy of the project: `npm run build` and `npm start` must
 * stop and name every file, field, line and fix, and nothing may be served half-built.
 */
let copy: string | undefined;
const astro = path.join(projectRoot, 'node_modules', 'astro', 'bin', 'astro.mjs');

/** A copy inside the project's (ignored) .data folder finds node_modules by the usual upward lookup; Vite mishandles a symlinked one. */
async function projectCopy(): Promise<string> {
	const parent = path.join(projectRoot, '.data', 'tmp');
	await mkdir(parent, { recursive: true });
	copy = await mkdtemp(path.join(parent, 'bad-input-'));
	for (const entry of ['astro.config.mjs', 'tsconfig.json', 'package.json', 'src', 'content', 'labs', 'sandbox']) {
		await cp(path.join(projectRoot, entry), path.join(copy, entry), { recursive: true });
	}
	return copy;
}

async function edit(root: string, file: string, from: string | RegExp, to: string): Promise<void> {
	const target = path.join(root, file);
	const text = await readFile(target, 'utf8');
	const changed = text.replace(from, to);
	expect(changed).not.toBe(text);
	await writeFile(target, changed);
}

function run(root: string, args: string[]) {
	const result = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', ...args], {
		cwd: root,
		encoding: 'utf8',
		env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', PORT: '0', STEADY_DATA_DIR: path.join(root, '.data') },
		timeout: 120_000,
	});
	return { status: result.status, output: `${result.stdout}${result.stderr}`.replace(/\x1b\[[0-9;]*m/g, '') };
}

afterEach(async () => {
	if (copy) await rm(copy, { recursive: true, force: true });
	copy = undefined;
});

describe('malformed lessons and manifests', () => {
	it('stop the build and the server, naming every file, field, position and fix at once', async () => {
		const root = await projectCopy();
		await edit(root, 'content/foundations/steady-state.mdx', /  minutes: \d+/, '  minutes: forty');
		await edit(root, 'content/glossary.yaml', '- term: Blast radius\n', '- term: Blast radius\n  definiton: typo\n');
		await edit(root, 'labs/steady-state/lab.yaml', '      timeoutSeconds: 60', '      timeoutSecs: 60');

		for (const args of [[astro, 'build'], ['src/server/start.mjs']]) {
			const { status, output } = run(root, args);
			expect(status, output).not.toBe(0);
			expect(output).toContain('content/foundations/steady-state.mdx:6:3 lesson.minutes: expected number, received string');
			expect(output).toContain('Fix: Give the expected time in whole minutes, e.g. `minutes: 40`.');
			expect(output).toMatch(/content\/glossary\.yaml:\d+:3 \d+: unknown field "definiton"/);
			expect(output).toContain('Did you mean "definition"?');
			// A glossary that does not read is one problem, not one per term linked.
			expect(output).not.toContain('which content/glossary.yaml does not define');
			expect(output).toMatch(/labs\/steady-state\/lab\.yaml:\d+:7 tasks\.0\.check: unknown field "timeoutSecs"/);
			expect(output).toContain('Did you mean "timeoutSeconds"?');
			expect(output).not.toContain('Serving the course');
		}
	});

	it('stop the build when a lesson embeds a lab that does not exist', async () => {
		const root = await projectCopy();
		await edit(root, 'content/foundations/steady-state.mdx', '<Lab id="steady-state" />', '<Lab id="steady-stat" />');
		const { status, output } = run(root, [astro, 'build']);
		expect(status, output).not.toBe(0);
		expect(output).toMatch(/content\/foundations\/steady-state\.mdx:\d+:1 <Lab id>: embeds the lab "steady-stat", which does not exist/);
		expect(output).toContain('Use one of: steady-state;');
	});

	it('stop the build on a quiz question without one right answer, and a glossary term that does not exist', async () => {
		const root = await projectCopy();
		await edit(root, 'content/foundations/experiment-loop.mdx', /\n\s+correct: true/, '');
		await edit(root, 'content/foundations/experiment-loop.mdx', /<Term id="([a-z-]+)">/, '<Term id="$1x">');
		const { status, output } = run(root, [astro, 'build']);
		expect(status, output).not.toBe(0);
		expect(output).toMatch(/content\/foundations\/experiment-loop\.mdx:\d+:\d+ lesson\.quiz\.0\.options: needs exactly one option with `correct: true`/);
		expect(output).toMatch(/content\/foundations\/experiment-loop\.mdx:\d+:\d+ <Term id>: links the glossary term "[a-z-]+x", which content\/glossary\.yaml does not define/);
		// Lessons that name the broken lesson as a prerequisite are not reported too: one mistake, one problem.
		expect(output).not.toContain('names lesson "foundations/experiment-loop", which does not exist');
	});

	it('stop the build on a link to a page or heading that does not exist, naming the page and its file', async () => {
		const root = await projectCopy();
		await edit(root, 'content/foundations/experiment-loop.mdx', /\n## /, '\nSee [the missing lesson](/foundations/no-such-lesson/) and [a lost heading](/glossary/#no-such-term).\n\n## ');
		const { status, output } = run(root, [astro, 'build']);
		expect(status, output).not.toBe(0);
		expect(output).toContain('2 broken internal links:');
		expect(output).toContain('/foundations/experiment-loop/ (content/foundations/experiment-loop.mdx): "/foundations/no-such-lesson/": no page at /foundations/no-such-lesson/');
		expect(output).toContain('"/glossary/#no-such-term": /glossary/ has no heading or element with id "no-such-term"');
	});
});
