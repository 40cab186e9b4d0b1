import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateProject } from '../course/validate.ts';
import { loadConfig } from '../platform/config.ts';
import { createPlatform, type Platform } from '../platform/platform.ts';
import { ValidationError } from '../schemas/problems.ts';
import { createHttpServer } from './http.ts';
import { ensureSiteBuilt, SiteBuildError } from './site.ts';

/**
 * `npm start`: checks the course and labs, builds the site if it is out of date, and serves it with
 * the lab API and terminals. Lesson pages serve even when the Docker engine is down; the lab panel
 * then says what is wrong. Missing lab images are built in the background, with progress here and
 * in the lab panel.
 */

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (message: string) => console.log(`[steady-state] ${message}`);

async function main(): Promise<void> {
	const config = loadConfig(process.env, projectRoot);
	// Checking lessons and labs first gives instructors file/field/fix errors before a long Astro build.
	const project = await validateProject(projectRoot);
	await ensureSiteBuilt(projectRoot, log);

	let lastImageLine = '';
	const platform = await createPlatform(config, project, {
		log,
		onImageProgress: (progress) => {
			if (progress.message !== lastImageLine) log(progress.message);
			lastImageLine = progress.message;
		},
	});
	const server = await createHttpServer(platform, projectRoot);
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(config.port, config.host, () => resolve());
	});
	const address = server.address();
	const port = typeof address === 'object' && address ? address.port : config.port;
	const shownHost = ['127.0.0.1', '::1', '0.0.0.0', '::'].includes(config.host) ? 'localhost' : config.host;
	log(`Serving the course at http://${shownHost}:${port}/`);

	void prepareLabs(platform);
	handleSignals(platform, server);
}

/** Reconciles leftover sandboxes and builds missing images, without holding up the lesson pages. */
async function prepareLabs(platform: Platform): Promise<void> {
	const engine = await platform.labs.engine();
	if (!engine.ok) {
		log(`Labs are unavailable until the Docker engine answers. ${engine.problem} ${engine.fix}`);
		return;
	}
	try {
		await platform.labs.recover();
		if (platform.config.prepareImages) {
			await platform.labs.prepareImages();
			log('Lab images are ready');
		}
	} catch (error) {
		log(`Preparing the labs failed; a lab start will try again. ${error instanceof Error ? error.message : String(error)}`);
	}
}

function handleSignals(platform: Platform, server: import('node:http').Server): void {
	let stopping = false;
	const stop = (signal: string) => {
		if (stopping) return;
		stopping = true;
		log(`${signal}: closing terminals; running sandboxes are kept and adopted at the next start`);
		server.close();
		server.closeAllConnections();
		platform
			.close()
			.catch((error: unknown) => log(`Shutdown: ${error instanceof Error ? error.message : String(error)}`))
			.finally(() => process.exit(0));
	};
	process.on('SIGINT', () => stop('SIGINT'));
	process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
	if (error instanceof ValidationError || error instanceof SiteBuildError) {
		console.error(`\n${error.message}\n`);
	} else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
		console.error(`\nPort ${process.env.PORT ?? 4321} is in use. Stop what is using it, or start with another port: PORT=4322 npm start\n`);
	} else {
		console.error(error);
	}
	process.exit(1);
});
