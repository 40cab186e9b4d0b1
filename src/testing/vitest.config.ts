import { defineConfig } from 'vitest/config';
import { projectRoot } from './platform-process.ts';

/**
 * Unit tests sit next to the code as `*.test.ts`; tests that drive the real Docker engine are
 * `*.integration.test.ts` and get the lab images built first.
 */
export default defineConfig({
	root: projectRoot,
	test: {
		projects: [
			{
				extends: true,
				test: {
					name: 'unit',
					include: ['src/**/*.test.ts', 'sandbox/**/*.test.ts'],
					exclude: ['**/*.integration.test.ts', '**/node_modules/**'],
				},
			},
			{
				extends: true,
				test: {
					name: 'integration',
					include: ['src/**/*.integration.test.ts', 'sandbox/**/*.integration.test.ts'],
					globalSetup: ['src/testing/vitest-setup.ts'],
					testTimeout: 180_000,
					hookTimeout: 300_000,
					// Two cores: one Docker-heavy file at a time keeps timings honest.
					fileParallelism: false,
				},
			},
		],
	},
});
