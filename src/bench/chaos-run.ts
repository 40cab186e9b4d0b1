import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bundleChaos } from '../chaos/bundle.ts';
import type { Comparison } from './report.ts';
import { summarize } from './stats.ts';

/**
 * `chaos run` on a two-probe experiment (an HTTP probe and a process probe, checked before and
 * after an empty method, as the default strategy does), timed from process start to exit. The
 * runner is the bundle the lab images carry. The baseline is a plain Node script that makes the
 * same four calls and writes a journal-sized file: what any runner must at least spend, so the
 * ratio is what our runner adds (loading, validation, the journal).
 */

const BASELINE = `
import { request } from 'node:http';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
const url = process.argv[2];
const get = () => new Promise((resolve, reject) => {
	request(url, (response) => { let body = ''; response.on('data', (chunk) => (body += chunk)); response.on('end', () => resolve({ status: response.statusCode, body: JSON.parse(body) })); }).on('error', reject).end();
});
const run = () => new Promise((resolve) => { const child = spawn('true', [], { stdio: 'ignore' }); child.on('close', (status) => resolve({ status, stdout: '', stderr: '' })); });
const results = [];
for (let round = 0; round < 2; round++) results.push(await get(), await run());
writeFileSync('baseline-journal.json', JSON.stringify({ results }, null, 2));
`;

export async function measureChaosRun(runs: number, warmups: number, signal: AbortSignal): Promise<Comparison> {
	const workdir = await mkdtemp(path.join(tmpdir(), 'bench-chaos-'));
	const server = createServer((_request, response) => {
		response.writeHead(200, { 'Content-Type': 'application/json' });
		response.end('{"status":"ok"}');
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`;
	try {
		await writeFile(path.join(workdir, 'chaos.mjs'), await bundleChaos());
		await writeFile(path.join(workdir, 'baseline.mjs'), BASELINE);
		await writeFile(
			path.join(workdir, 'experiment.json'),
			JSON.stringify({
				title: 'Benchmark: two probes',
				description: 'An HTTP probe and a process probe, before and after an empty method.',
				'steady-state-hypothesis': {
					title: 'Both probes pass',
					probes: [
						{ type: 'probe', name: 'http-health', tolerance: 200, provider: { type: 'http', url, timeout: 5 } },
						{ type: 'probe', name: 'process-true', tolerance: 0, provider: { type: 'process', path: 'true' } },
					],
				},
				method: [],
			}),
		);
		const runner = () => timeProcess(['chaos.mjs', '--no-log-file', 'run', 'experiment.json'], workdir, signal);
		const baseline = () => timeProcess(['baseline.mjs', url], workdir, signal);
		for (let run = 0; run < warmups; run++) {
			await runner();
			await baseline();
		}
		const comparison: Comparison = { metric: 'chaos run, 2 probes', tail: 'p95', platform: [], baseline: [] };
		for (let run = 1; run <= runs; run++) {
			const runnerFirst = run % 2 === 1;
			const first = await (runnerFirst ? runner() : baseline());
			const second = await (runnerFirst ? baseline() : runner());
			comparison.platform.push(runnerFirst ? first : second);
			comparison.baseline.push(runnerFirst ? second : first);
		}
		console.log(`chaos run: ${runs} runs, runner p50 ${summarize(comparison.platform).p50.toFixed(1)} ms, baseline p50 ${summarize(comparison.baseline).p50.toFixed(1)} ms`);
		return comparison;
	} finally {
		await new Promise<void>((resolve) => server.close(() => resolve()));
		await rm(workdir, { recursive: true, force: true });
	}
}

/** Milliseconds from spawning `node <args>` to its exit; a failed run fails the benchmark. */
function timeProcess(args: string[], cwd: string, signal: AbortSignal): Promise<number> {
	return new Promise((resolve, reject) => {
		const started = performance.now();
		const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], signal });
		let stderr = '';
		child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		child.on('error', reject);
		child.on('close', (code) => {
			const elapsed = performance.now() - started;
			if (code === 0) resolve(elapsed);
			else reject(new Error(`node ${args.join(' ')} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
		});
	});
}
