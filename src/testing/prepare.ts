import { connectEngine, probeEngine } from '../../sandbox/engine.ts';
import { ImageBuilder } from '../../sandbox/images.ts';
import { LabCatalog } from '../labs/catalog.ts';
import { ensureSiteBuilt } from '../server/site.ts';
import { projectRoot } from './platform-process.ts';

/**
 * What every suite that runs real labs needs first: the built site (so test platforms never build
 * it concurrently) and every lab image, built once with progress on the console.
 */
export async function prepareSiteAndImages(prefix = 'test setup'): Promise<void> {
	const log = (message: string) => console.log(`[${prefix}] ${message}`);
	const engine = connectEngine();
	const status = await probeEngine(engine);
	if (!status.ok) throw new Error(`These tests need the Docker engine. ${status.problem} ${status.fix}`);
	await ensureSiteBuilt(projectRoot, log);
	const catalog = await LabCatalog.load(projectRoot);
	let last = '';
	const images = new ImageBuilder(engine, catalog.recipes, {
		onProgress: (progress) => {
			if (progress.message !== last) log(progress.message);
			last = progress.message;
		},
	});
	for (const recipe of catalog.recipes) await images.ensure(recipe.name);
}
