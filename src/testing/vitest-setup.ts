import { prepareSiteAndImages } from './prepare.ts';

export default async function setup(): Promise<void> {
	await prepareSiteAndImages();
}
