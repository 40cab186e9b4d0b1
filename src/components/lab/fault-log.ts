import { faultLabel, type FaultLogEntry } from './fault-marks.ts';
import { labApi, roleChild } from './lab-api.ts';

/** Fired (bubbling) by `<fault-log>` when the log changed; `detail.faults` is the log, newest first. */
export const FAULTS_CHANGED_EVENT = 'lab-faults';

export interface FaultsChangedDetail {
	labId: string;
	faults: FaultLogEntry[];
}

/** How often the log is fetched while the lab runs and the tab is visible. */
const POLL_MS = 5000;
/** More new entries than this at once are counted rather than read out one by one. */
const NAMED_IN_ANNOUNCEMENT = 3;

/**
 * `<fault-log data-lab="id">`: the platform's log of the faults this learner made in this lab, newest
 * first, with a button that undoes every fault still in effect. It polls while the lab runs and the
 * tab is visible, and fetches once more when the lab stops, because stopping undoes faults too. Only
 * news is said in the live region (new entries, the undo's result, a problem), never the whole table.
 * Log entries carry text the learner chose (targets, messages): they reach the page as text nodes.
 */
export class FaultLog extends HTMLElement {
	private labId = '';
	private isActive = false;
	private timer: number | undefined;
	private loading: Promise<void> | undefined;
	private signature = '';
	/** Ids already on screen; undefined until the first load, which announces nothing. */
	private known: Set<number> | undefined;
	/** Rows are kept by id, so an open parameters disclosure (and focus in it) survives a poll. */
	private rows = new Map<number, HTMLTableRowElement>();
	private resetting = false;
	/** Set while the table catches up after an undo, whose own message says what changed. */
	private quiet = false;
	private readonly onVisibility = () => {
		if (this.isActive && document.visibilityState === 'visible') void this.refresh();
	};

	connectedCallback(): void {
		this.labId = this.dataset.lab ?? '';
		this.undoButton.addEventListener('click', () => void this.undoAll());
		document.addEventListener('visibilitychange', this.onVisibility);
	}

	disconnectedCallback(): void {
		this.stopPolling();
		this.isActive = false;
		document.removeEventListener('visibilitychange', this.onVisibility);
	}

	get active(): boolean {
		return this.isActive;
	}

	/**
	 * On while the lab runs. The panel appears the first time the lab runs and then stays: the log
	 * is the learner's record across sandboxes, and what a stop undid is part of it.
	 */
	set active(value: boolean) {
		if (value === this.isActive) return;
		this.isActive = value;
		this.stopPolling();
		this.undoButton.disabled = !value || this.resetting;
		if (value) {
			this.hidden = false;
			this.timer = window.setInterval(() => {
				if (document.visibilityState === 'visible') void this.refresh();
			}, POLL_MS);
		}
		if (!this.hidden) void this.refresh();
	}

	/** Fetches the log now; a fetch already under way is shared rather than repeated. */
	refresh(): Promise<void> {
		this.loading ??= this.load().finally(() => {
			this.loading = undefined;
		});
		return this.loading;
	}

	private async load(): Promise<void> {
		const answer = await labApi<{ faults: FaultLogEntry[] }>(this.labId, 'faults');
		if ('problem' in answer) return this.say(answer.problem);
		const faults = answer.body.faults;
		const signature = JSON.stringify(faults);
		if (signature === this.signature) return;
		this.signature = signature;
		const fresh = this.known ? faults.filter((fault) => !this.known?.has(fault.id)) : [];
		this.known = new Set(faults.map((fault) => fault.id));
		this.render(faults);
		if (fresh.length > 0 && !this.quiet) this.say(announce(fresh));
		this.dispatchEvent(new CustomEvent<FaultsChangedDetail>(FAULTS_CHANGED_EVENT, { bubbles: true, detail: { labId: this.labId, faults } }));
	}

	private async undoAll(): Promise<void> {
		this.resetting = true;
		this.undoButton.disabled = true;
		this.say('Undoing every fault still in effect…');
		try {
			const answer = await labApi<{ reverted: FaultLogEntry[] }>(this.labId, 'faults/reset', 'POST');
			if ('problem' in answer) return this.say(answer.problem);
			// The table catches up quietly (a poll under way first), then the undo's result is said, last.
			await this.loading;
			this.quiet = true;
			try {
				await this.refresh();
			} finally {
				this.quiet = false;
			}
			this.say(describeUndo(answer.body.reverted));
		} finally {
			this.resetting = false;
			this.undoButton.disabled = !this.isActive;
		}
	}

	private render(faults: FaultLogEntry[]): void {
		const body = this.child('tbody', 'faults-rows');
		const rows = new Map(faults.map((fault) => [fault.id, this.rows.get(fault.id) ?? faultRow(fault)] as const));
		this.rows = rows;
		body.replaceChildren(...rows.values());
		this.child('div', 'faults-table').hidden = faults.length === 0;
		this.child('p', 'faults-empty').hidden = faults.length > 0;
	}

	/** Says something in the live region, only when it changed, so screen readers are not told twice. */
	private say(text: string): void {
		const message = this.child('p', 'faults-message');
		if (message.textContent !== text) message.textContent = text;
	}

	private stopPolling(): void {
		window.clearInterval(this.timer);
		this.timer = undefined;
	}

	private get undoButton(): HTMLButtonElement {
		return this.child('button', 'faults-undo');
	}

	private child<K extends keyof HTMLElementTagNameMap>(tag: K, role: string): HTMLElementTagNameMap[K] {
		return roleChild(this, tag, role);
	}
}

function faultRow(fault: FaultLogEntry): HTMLTableRowElement {
	const row = document.createElement('tr');
	row.dataset.faultId = String(fault.id);
	row.dataset.outcome = fault.outcome;

	const time = document.createElement('time');
	const at = new Date(fault.at);
	time.dateTime = fault.at;
	time.textContent = at.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
	time.title = at.toLocaleString();

	const kind = document.createElement('code');
	kind.textContent = fault.kind || '(none)';

	const outcome = document.createElement('span');
	outcome.className = 'fault-log__outcome';
	outcome.dataset.outcome = fault.outcome;
	outcome.textContent = fault.outcome;

	row.append(cell(time), cell(kind), cell(fault.target || '—'), cell(outcome), cell(fault.message), cell(parametersOf(fault)));
	return row;
}

function cell(content: Node | string): HTMLTableCellElement {
	const td = document.createElement('td');
	td.append(content);
	return td;
}

/** Parameters on demand: most rows have one or two, and the message already says what they did. */
function parametersOf(fault: FaultLogEntry): Node {
	const names = Object.keys(fault.parameters);
	if (names.length === 0) return document.createTextNode('none');
	const details = document.createElement('details');
	const summary = document.createElement('summary');
	summary.textContent = names.join(', ');
	const json = document.createElement('pre');
	json.textContent = JSON.stringify(fault.parameters, null, 2);
	details.append(summary, json);
	return details;
}

function announce(fresh: FaultLogEntry[]): string {
	const named = fresh.slice(0, NAMED_IN_ANNOUNCEMENT).map((fault) => `${faultLabel(fault)}, ${fault.outcome}`);
	const more = fresh.length > NAMED_IN_ANNOUNCEMENT ? `, and ${fresh.length - NAMED_IN_ANNOUNCEMENT} more` : '';
	return `Fault log: ${named.join('; ')}${more}.`;
}

function describeUndo(records: FaultLogEntry[]): string {
	// The platform may add one `reset` entry for the whole undo: it is not a fault of its own.
	const undone = records.filter((record) => record.outcome !== 'failed' && record.kind !== 'reset');
	const failed = records.filter((record) => record.outcome === 'failed');
	if (undone.length === 0 && failed.length === 0) return 'Nothing to undo: no fault was in effect.';
	const sentences: string[] = [];
	if (undone.length > 0) sentences.push(`Undid ${undone.length} ${undone.length === 1 ? 'fault' : 'faults'}.`, ...undone.map((record) => record.message));
	if (failed.length > 0) sentences.push(`${failed.length} could not be undone:`, ...failed.map((record) => record.message), 'Reset the lab to start from a fresh sandbox.');
	return sentences.join(' ');
}

if (!customElements.get('fault-log')) customElements.define('fault-log', FaultLog);
