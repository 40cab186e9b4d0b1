import path from 'node:path';
import { z } from 'zod';
import { validate, ValidationError, withFix } from '../schemas/problems.ts';

/**
 * The platform's settings, from the environment, validated once at start-up. The defaults run the
 * course for one learner on this machine.
 */
const configSchema = z.object({
	PORT: withFix(
		z
			.string()
			.regex(/^\d+$/, 'must be a whole number')
			.transform(Number)
			.pipe(z.number().max(65535, 'must be at most 65535'))
			.default(4321),
		'Set PORT to a free TCP port, e.g. PORT=4321.',
	),
	HOST: withFix(
		z.string().min(1).default('127.0.0.1'),
		'Set HOST to the address to listen on. Keep 127.0.0.1 unless a reverse proxy on another host needs to reach the platform.',
	),
	STEADY_DATA_DIR: withFix(z.string().min(1).default('.data'), 'Set STEADY_DATA_DIR to a writable folder for the database.'),
	/** Extra host names browsers may use to reach the platform (behind a proxy); loopback names are always allowed. */
	STEADY_ALLOWED_HOSTS: withFix(
		z
			.string()
			.default('')
			.transform((value) => value.split(',').map((host) => host.trim().toLowerCase()).filter(Boolean)),
		'List host names separated by commas, e.g. STEADY_ALLOWED_HOSTS=course.example.com.',
	),
	/** Build missing lab images as soon as the platform starts, so the first lab start is quick. */
	STEADY_PREPARE_IMAGES: withFix(
		z
			.string()
			.transform((value) => value.toLowerCase())
			.pipe(z.enum(['true', 'false', '1', '0']))
			.default('true')
			.transform((value) => value === 'true' || value === '1'),
		'Set STEADY_PREPARE_IMAGES to true or false.',
	),
	STEADY_DEBIAN_MIRROR: withFix(z.url().optional(), 'Set STEADY_DEBIAN_MIRROR to a Debian mirror URL, e.g. http://deb.debian.org/debian.'),
	DOCKER_HOST: withFix(z.string().regex(/^(unix|tcp|https?):\/\//, 'must start with unix://, tcp://, http:// or https://').optional(), 'Set DOCKER_HOST like unix:///var/run/docker.sock or tcp://127.0.0.1:2375, or unset it.'),
});

export interface PlatformConfig {
	port: number;
	host: string;
	dataDir: string;
	databaseFile: string;
	allowedHosts: string[];
	prepareImages: boolean;
	debianMirror?: string;
	dockerHost?: string;
	projectRoot: string;
}

export function loadConfig(env: NodeJS.ProcessEnv, projectRoot: string): PlatformConfig {
	// An empty variable (PORT=) means "not set", as in most tools, never port 0 or an empty path.
	const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
	const parsed = validate(configSchema, present, 'environment', 'The platform settings have problems:');
	const dataDir = path.resolve(projectRoot, parsed.STEADY_DATA_DIR);
	requireShortSocketPaths(dataDir, parsed.STEADY_DATA_DIR);
	return {
		port: parsed.PORT,
		host: parsed.HOST,
		dataDir,
		databaseFile: path.join(dataDir, 'steady-state.db'),
		allowedHosts: parsed.STEADY_ALLOWED_HOSTS,
		prepareImages: parsed.STEADY_PREPARE_IMAGES,
		debianMirror: parsed.STEADY_DEBIAN_MIRROR,
		dockerHost: parsed.DOCKER_HOST,
		projectRoot,
	};
}

/** Linux keeps a UNIX socket's path in 108 bytes, the last a terminating zero. */
const SOCKET_PATH_MAX_BYTES = 107;

/**
 * Each sandbox's fault channel is a socket at `<data dir>/channels/<12-character id>/platform.sock`;
 * a deep data folder would only fail later, at the first lab start, with the kernel's EINVAL.
 */
function requireShortSocketPaths(dataDir: string, given: string): void {
	const longest = path.join(dataDir, 'channels', 'x'.repeat(12), 'platform.sock');
	const bytes = Buffer.byteLength(longest);
	if (bytes <= SOCKET_PATH_MAX_BYTES) return;
	const room = SOCKET_PATH_MAX_BYTES - (bytes - Buffer.byteLength(dataDir));
	throw new ValidationError('The platform settings have problems:', [
		{
			file: 'environment',
			field: 'STEADY_DATA_DIR',
			message: `"${given}" resolves to ${dataDir} (${Buffer.byteLength(dataDir)} bytes), too long for the fault channels' sockets inside it (at most ${room} bytes)`,
			fix: `Set STEADY_DATA_DIR to a shorter absolute path, e.g. /var/lib/steady-state.`,
		},
	]);
}
