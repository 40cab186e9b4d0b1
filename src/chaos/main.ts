import { main } from './cli.ts';

/**
 * The `chaos` process: the CLI wired to the real terminal, filesystem and signals. This file is the
 * entry of the bundle installed in the lab images, and what `src/chaos/bin.mjs` (package.json's bin) runs in the repository.
 */
const interrupt = new AbortController();
process.on('SIGINT', () => {
	// A second Ctrl-C while rollbacks run means "stop now".
	if (interrupt.signal.aborted) process.exit(130);
	interrupt.abort();
});
process.on('SIGTERM', () => interrupt.abort());

process.exitCode = await main(process.argv.slice(2), {
	stdout: (text) => process.stdout.write(text),
	stderr: (text) => process.stderr.write(text),
	stdin: process.stdin,
	stdoutStream: process.stdout,
	env: process.env,
	cwd: () => process.cwd(),
	chdir: (directory) => process.chdir(directory),
	signal: interrupt.signal,
});
// Idle handles (a keep-alive socket, stdin after a prompt) must not hold a finished command open.
process.stdin.unref?.();
