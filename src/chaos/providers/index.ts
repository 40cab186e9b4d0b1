import { ActivityFailed } from '../errors.ts';
import type { HttpResult, ProcessResult, Provider } from '../types.ts';
import { runHttp } from './http.ts';
import { runProcess } from './process.ts';

export interface ProviderOptions {
	/** false forces TLS verification off (the CLI's --no-verify-tls); true leaves it to the provider's verify_tls. */
	verifyTls: boolean;
	/** Aborts the activity (Ctrl-C, --fail-fast): kill child processes, destroy sockets; reject with ActivityFailed. */
	signal?: AbortSignal;
	/** For the process PATH look-up, the child's environment and REQUESTS_CA_BUNDLE; default process.env. */
	env?: Record<string, string | undefined>;
	/** Where a process runs and where its relative path is found; default the current directory. */
	cwd?: string;
}

/** Runs an already-substituted provider. Failures reject with ActivityFailed; a 500 or an exit status of 1 is a result. */
export async function runProvider(provider: Provider, options: ProviderOptions): Promise<HttpResult | ProcessResult> {
	if (provider.type === 'http') return runHttp(provider, options);
	if (provider.type === 'process') return runProcess(provider, options);
	// Validation turns these away; this is for experiments run with --no-validation.
	const type = String((provider as { type: unknown }).type);
	throw new ActivityFailed(`provider type '${type}' is not available in this runner: use an http or a process provider`);
}
