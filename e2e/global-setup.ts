import { prepareSiteAndImages } from '../src/testing/prepare.ts';

export default async function globalSetup(): Promise<void> {
	await prepareSiteAndImages();
}
