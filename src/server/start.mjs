// Plain JavaScript on purpose: this file must run on any Node.js, to tell someone on an old one
// what to do, before Node parses the TypeScript entry (which needs Node 22's type stripping).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
	console.error(
		`Steady State needs Node.js 22.18 or newer; this is ${process.version}.\n` +
			'Install Node 22 LTS (https://nodejs.org), or without root: `npm install --prefix ~/.node22 node@22`\n' +
			'and put ~/.node22/node_modules/node/bin first on your PATH.',
	);
	process.exit(1);
}
await import('./main.ts');
