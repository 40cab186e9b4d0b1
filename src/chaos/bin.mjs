#!/usr/bin/env node
// Plain JavaScript, so that an old Node.js gets a clear message instead of a syntax error, and so
// that Node's notice about type stripping does not clutter every experiment's output.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
	console.error(`chaos needs Node.js 22.18 or newer to run from the repository; this is ${process.version}.`);
	process.exit(1);
}
process.removeAllListeners('warning');
process.on('warning', (warning) => {
	if (warning.name !== 'ExperimentalWarning') console.error(`${warning.name}: ${warning.message}`);
});
await import('./main.ts');
