import { main } from './cli.ts';

/** The `faults` process: the CLI wired to the real terminal. The entry of the bundle in the workstation. */
process.exitCode = await main(process.argv.slice(2), {
	stdout: (text) => process.stdout.write(text),
	stderr: (text) => process.stderr.write(text),
	env: process.env,
});
