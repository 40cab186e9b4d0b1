import type { LabStatus } from '../../platform/labs.ts';
import { CLOSE } from '../../terminal/protocol.ts';
// Imported for their side effect too: the elements are defined before any panel sets them active.
import './fault-log.ts';
import type { FaultLog } from './fault-log.ts';
import './journal-timeline.ts';
import type { JournalTimeline } from './journal-timeline.ts';
import { LabTerminal, type TerminalState } from './terminal-client.ts';

/**
 * `<lab-panel data-lab="id">`: the live part of a lab on a lesson page. It follows the lab's status
 * over server-sent events, so starting progress, check results and stops (from this tab or another)
 * show without polling, and it owns the terminal and the experiment runs while the sandbox runs.
 */
class LabPanel extends HTMLElement {
	private labId = '';
	private events: EventSource | undefined;
	private terminal: LabTerminal | undefined;
	private status: LabStatus | undefined;
	private busy = false;
	private terminalProblem: string | undefined;

	connectedCallback(): void {
		this.labId = this.dataset.lab ?? '';
		this.on('start', () => this.act('POST', 'sandbox'));
		this.on('stop', () => this.act('DELETE', 'sandbox'));
		this.on('retry', () => void this.refresh());
		for (const button of this.querySelectorAll<HTMLButtonElement>('[data-action="check"]')) {
			button.addEventListener('click', () => void this.check(button.dataset.task ?? ''));
		}
		this.follow();
	}

	disconnectedCallback(): void {
		this.events?.close();
		this.terminal?.dispose();
	}

	private api(path: string): string {
		return `/api/labs/${encodeURIComponent(this.labId)}/${path}`;
	}

	private follow(): void {
		this.events = new EventSource(this.api('events'));
		this.events.addEventListener('status', (event) => this.render(JSON.parse((event as MessageEvent).data) as LabStatus));
		this.events.addEventListener('error', () => {
			// EventSource reconnects by itself; say so unless the stream is back already.
			if (this.events?.readyState !== EventSource.OPEN) this.setStatus('Reconnecting to the platform…');
		});
	}

	private async refresh(): Promise<void> {
		const response = await fetch(this.api('')).catch(() => undefined);
		if (!response) return this.showNotice('The course server does not answer. Is `npm start` still running?', true);
		const body = await response.json();
		if (!response.ok) return this.showNotice(formatProblem(body), true);
		this.render(body as LabStatus);
	}

	private async act(method: 'POST' | 'DELETE', path: string): Promise<void> {
		this.busy = true;
		this.renderControls();
		try {
			const response = await fetch(this.api(path), { method });
			const body = await response.json();
			if (!response.ok) this.showNotice(formatProblem(body), true);
			else this.render(body as LabStatus);
		} catch {
			this.showNotice('The course server does not answer. Is `npm start` still running?', true);
		} finally {
			this.busy = false;
			this.renderControls();
		}
	}

	private async check(taskId: string): Promise<void> {
		const result = this.querySelector<HTMLElement>(`[data-task="${CSS.escape(taskId)}"] [data-role="result"]`);
		if (result) {
			result.textContent = 'Checking…';
			delete result.dataset.passed;
		}
		try {
			const response = await fetch(this.api(`tasks/${encodeURIComponent(taskId)}/check`), { method: 'POST' });
			const body = await response.json();
			if (!response.ok && result) result.textContent = formatProblem(body);
			// A finished check also arrives on the events stream, which renders it.
		} catch {
			if (result) result.textContent = 'The course server does not answer.';
		}
	}

	private render(status: LabStatus): void {
		this.status = status;
		this.hideNotice();
		if (!status.engine.ok) {
			this.showNotice(`Labs cannot run right now. ${status.engine.problem}\n${status.engine.fix}`, true);
		} else if (status.phase === 'failed' && status.error) {
			this.showNotice(`The lab could not start: ${status.error}`, false);
		} else if (status.phase === 'stopped' && status.error) {
			this.showNotice(status.error, false);
		} else if (this.terminalProblem && status.phase === 'running') {
			this.showNotice(this.terminalProblem, false);
		}
		const progress = this.region('progress');
		progress.hidden = status.phase !== 'starting';
		this.region('progress-text').textContent = status.progress ?? 'Starting…';
		this.setStatus(describePhase(status));
		this.renderControls();
		this.renderTerminal(status);
		this.renderResults(status);
		this.renderRuns(status);
	}

	private renderControls(): void {
		const status = this.status;
		const start = this.button('start');
		const stop = this.button('stop');
		const phase = status?.phase ?? 'stopped';
		const engineOk = status?.engine.ok ?? false;
		start.hidden = phase === 'running' || phase === 'starting' || phase === 'stopping';
		start.disabled = this.busy || !engineOk;
		start.textContent = phase === 'failed' ? 'Try again' : 'Start lab';
		stop.hidden = !(phase === 'running' || phase === 'starting');
		stop.disabled = this.busy;
		for (const button of this.querySelectorAll<HTMLButtonElement>('[data-action="check"]')) {
			const checking = status?.checking.includes(button.dataset.task ?? '') ?? false;
			button.disabled = phase !== 'running' || checking;
			button.textContent = checking ? 'Checking…' : 'Check';
		}
	}

	private renderTerminal(status: LabStatus): void {
		const frame = this.region('terminal-frame');
		const container = this.region('terminal');
		if (status.phase === 'running') {
			frame.hidden = false;
			if (!this.terminal) {
				this.terminalProblem = undefined;
				this.terminal = new LabTerminal(container, this.labId, (state) => this.onTerminalState(state));
				void this.terminal.connect();
			}
		} else if (status.phase !== 'starting') {
			this.terminal?.dispose();
			this.terminal = undefined;
			container.replaceChildren();
			frame.hidden = true;
		}
	}

	private renderRuns(status: LabStatus): void {
		const runs = this.querySelector<JournalTimeline>('journal-timeline');
		if (runs) runs.active = status.phase === 'running';
		const faults = this.querySelector<FaultLog>('fault-log');
		if (faults) faults.active = status.phase === 'running';
	}

	private onTerminalState(state: TerminalState): void {
		if (state.kind === 'closed' && state.code !== CLOSE.normal && state.code !== CLOSE.sandboxGone) {
			this.terminalProblem = `The terminal closed: ${state.reason}`;
			this.showNotice(this.terminalProblem, false);
		} else if (state.kind === 'connected') {
			this.terminalProblem = undefined;
			this.hideNotice();
		}
		if (this.status?.phase === 'running') this.setStatus(state.kind === 'connecting' ? 'Connecting the terminal…' : describePhase(this.status));
	}

	private renderResults(status: LabStatus): void {
		for (const item of this.querySelectorAll<HTMLElement>('[data-task]')) {
			if (item.tagName !== 'LI') continue;
			const taskId = item.dataset.task ?? '';
			const result = item.querySelector<HTMLElement>('[data-role="result"]');
			if (!result) continue;
			const stored = status.results[taskId];
			if (status.checking.includes(taskId)) {
				result.textContent = 'Checking…';
				delete result.dataset.passed;
			} else if (stored) {
				const when = new Date(stored.checkedAt).toLocaleTimeString();
				result.textContent = `${stored.passed ? '✓ Passed' : '✗ Not yet'} (checked ${when}): ${stored.message}`;
				result.dataset.passed = String(stored.passed);
			}
		}
	}

	private showNotice(text: string, offerRetry: boolean): void {
		this.region('notice').hidden = false;
		this.region('notice-text').textContent = text;
		this.button('retry').hidden = !offerRetry;
	}

	private hideNotice(): void {
		this.region('notice').hidden = true;
	}

	private setStatus(text: string): void {
		this.region('status').textContent = text;
	}

	private on(action: string, handler: () => void): void {
		this.button(action).addEventListener('click', handler);
	}

	private button(action: string): HTMLButtonElement {
		return this.querySelector<HTMLButtonElement>(`[data-action="${action}"]`) as HTMLButtonElement;
	}

	private region(role: string): HTMLElement {
		return this.querySelector<HTMLElement>(`[data-role="${role}"]`) as HTMLElement;
	}
}

function describePhase(status: LabStatus): string {
	if (!status.engine.ok) return 'Labs unavailable';
	switch (status.phase) {
		case 'starting':
			return 'Starting…';
		case 'running':
			return 'Running';
		case 'stopping':
			return 'Stopping…';
		case 'failed':
			return 'Failed to start';
		default:
			return 'Not started';
	}
}

function formatProblem(body: { error?: string; fix?: string }): string {
	return [body.error ?? 'Something went wrong.', body.fix].filter(Boolean).join(' ');
}

if (!customElements.get('lab-panel')) customElements.define('lab-panel', LabPanel);
