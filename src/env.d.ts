/// <reference types="astro/client" />

declare namespace App {
	interface Locals {
		/** Set by the platform's server (src/server/http.ts); absent when pages are prerendered. */
		platform?: import('./platform/platform.ts').Platform;
		/** Set by the middleware for API requests. */
		learnerId?: string;
	}
}

declare module 'virtual:steady-state/labs' {
	export const labs: Record<string, import('./labs/catalog.ts').LabSummary>;
}

declare module 'virtual:steady-state/course' {
	export const course: import('./course/course.ts').Course;
}
