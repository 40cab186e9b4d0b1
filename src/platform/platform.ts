import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { parseCookie } from 'cookie';
import { connectEngine } from '../../sandbox/engine.ts';
import { ImageBuilder, type ImageProgress } from '../../sandbox/images.ts';
import { RestartSupervisor } from '../../sandbox/supervisor.ts';
import { FaultChannels } from '../faults/channel.ts';
import { FaultService } from '../faults/service.ts';
import type { LabCatalog } from '../labs/catalog.ts';
import { Store } from '../store/store.ts';
import type { Course } from '../course/course.ts';
import { ProgressService } from './progress.ts';
import { HealthLog } from '../faults/health.ts';
import { TerminalGateway } from '../terminal/gateway.ts';
import { Terminals } from '../terminal/terminals.ts';
import { TicketBook } from '../terminal/tickets.ts';
import type { PlatformConfig } from './config.ts';
import { Identity, SESSION_COOKIE } from './identity.ts';
import { LabService } from './labs.ts';
import { isSameOrigin } from './origins.ts';

/**
 * The running platform: every long-lived service, made once by the server and handed to Astro's
 * routes as `locals.platform`, so pages and API routes never reach Docker or the database directly.
 */
export interface Platform {
	config: PlatformConfig;
	platformId: string;
	store: Store;
	catalog: LabCatalog;
	identity: Identity;
	labs: LabService;
	progress: ProgressService;
	/** The platform's own probe of each running lab's health target. */
	health: HealthLog;
	tickets: TicketBook;
	gateway: TerminalGateway;
	images: ImageBuilder;
	close(): Promise<void>;
}

export interface PlatformOptions {
	log: (message: string) => void;
	onImageProgress?: (progress: ImageProgress) => void;
}

/**
 * `project` is the course and labs as `validateProject` read and checked them at start-up: the
 * platform serves exactly what was validated, and reads `content/` and `labs/` only once.
 */
export async function createPlatform(config: PlatformConfig, project: { course: Course; catalog: LabCatalog }, options: PlatformOptions): Promise<Platform> {
	const { course, catalog } = project;
	const store = new Store(config.databaseFile);
	const platformId = store.platformId();
	const engine = connectEngine(config.dockerHost);
	const images = new ImageBuilder(engine, catalog.recipes, {
		debianMirror: config.debianMirror,
		onProgress: options.onImageProgress,
	});
	const identity = new Identity(store);
	const terminals = new Terminals(options.log);
	const tickets = new TicketBook();
	// Carries out the labs' restart policies; it asks the lab service (made below, before `start`) which sandboxes are wanted.
	const restarts: RestartSupervisor = new RestartSupervisor({
		engine,
		platformId,
		wanted: (sandboxId: string): boolean => labs.isLive(sandboxId),
		onRestart: (event) => faults.recordRestart(event),
		log: options.log,
	});
	const faults = new FaultService({ store, engine, restarts });
	const health = new HealthLog(store);
	const channels = new FaultChannels({ root: path.join(config.dataDir, 'channels'), faults, health, log: options.log });
	const labs: LabService = new LabService({ engine, store, catalog, images, terminals, channels, faults, platformId, log: options.log });
	await restarts.start();
	const gateway = new TerminalGateway({
		tickets,
		identify: (request: IncomingMessage) => identity.learnerFor(parseCookie(request.headers.cookie ?? '')[SESSION_COOKIE]),
		isAllowedOrigin: (request: IncomingMessage) => isSameOrigin(request.headers, config.allowedHosts),
		terminalFor: (grant, size) => labs.terminalFor(grant, size),
		log: options.log,
	});
	return {
		config,
		platformId,
		store,
		catalog,
		identity,
		labs,
		progress: new ProgressService(store, course),
		health,
		tickets,
		gateway,
		images,
		async close() {
			gateway.close();
			await restarts.close();
			await labs.shutdown();
			store.close();
		},
	};
}
