import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connectEngine } from '../../sandbox/engine.ts';
import { ImageBuilder } from '../../sandbox/images.ts';
import type { ContainerSpec } from '../../sandbox/spec.ts';
import { containerSpecs, LabCatalog, labImageTags, type Lab } from '../labs/catalog.ts';
import { projectRoot } from './platform-process.ts';

export interface LabFixture {
	catalog: LabCatalog;
	lab: Lab;
	/** Engine tag by image recipe name. */
	tags: Record<string, string>;
	/** The lab's containers, ready for `Sandbox.create`. */
	containers: ContainerSpec[];
	/** A channel folder for the fault helper; nothing answers on it unless a suite listens there. */
	channel: string;
}

/** A lab of this repository with its images built (or found), for suites that create sandboxes themselves. */
export async function loadLab(labId = 'steady-state'): Promise<LabFixture> {
	const catalog = await LabCatalog.load(projectRoot);
	const lab = catalog.get(labId);
	if (!lab) throw new Error(`labs/${labId}/lab.yaml is missing`);
	const images = new ImageBuilder(connectEngine(), catalog.recipes);
	const tags = await labImageTags(lab, (recipe) => images.ensure(recipe));
	const channel = await mkdtemp(path.join(tmpdir(), 'steady-channel-'));
	return { catalog, lab, tags, channel, containers: containerSpecs(lab, tags, channel) };
}
