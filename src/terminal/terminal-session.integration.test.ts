import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectEngine } from '../../sandbox/engine.ts';
import { removeUnknownSandboxes } from '../../sandbox/reconcile.ts';
import { Sandbox } from '../../sandbox/sandbox.ts';
import { loadLab } from '../testing/lab-fixture.ts';
import { CLOSE, FLOW, type ServerMessage } from './protocol.ts';
import { TerminalSession, type TerminalPeer } from './terminal-session.ts';

// A real shell in a real workstation, behind the session the terminal socket uses.
const engine = connectEngine();
const platformId = `test${randomBytes(4).toString('hex')}`;
let sandbox: Sandbox;

class RecordingPeer implements TerminalPeer {
	output = Buffer.alloc(0);
	messages: ServerMessage[] = [];
	closed: { code: number; reason: string } | undefined;
	sendOutput(chunk: Buffer): void {
		this.output = Buffer.concat([this.output, chunk]);
	}
	sendMessage(message: ServerMessage): void {
		this.messages.push(message);
	}
	close(code: number, reason: string): void {
		this.closed = { code, reason };
	}
	text(): string {
		return this.output.toString('utf8');
	}
	snapshot(): string {
		const snapshot = this.messages.find((message) => message.type === 'snapshot');
		return snapshot?.type === 'snapshot' ? snapshot.data : '';
	}
}

async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!condition()) {
		if (Date.now() > deadline) throw new Error('timed out waiting');
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

beforeAll(async () => {
	const { lab, containers } = await loadLab();
	sandbox = await Sandbox.create(engine, { platformId, sandboxId: randomBytes(6).toString('hex'), learnerId: 'l', labId: lab.id, containers });
});

afterAll(async () => {
	await sandbox?.destroy();
	await removeUnknownSandboxes(engine, platformId, () => false);
});

async function openSession(): Promise<TerminalSession> {
	const shell = await sandbox.openShell('workstation', randomBytes(4).toString('hex'), ['/bin/bash', '-l'], { cols: 100, rows: 30 });
	return new TerminalSession(shell, { cols: 100, rows: 30 });
}

describe('a terminal session', () => {
	it('echoes input, and a browser that reattaches gets the screen back, then live output', async () => {
		const session = await openSession();
		const first = new RecordingPeer();
		session.attach(first, { cols: 100, rows: 30 });
		await until(() => first.text().includes('$ '));
		session.input('echo "first-$((2 + 3))"\r');
		await until(() => first.text().includes('first-5'));

		session.detach(first);
		session.input('echo "while-away-$((3 + 4))"\r');
		await new Promise((resolve) => setTimeout(resolve, 500));

		const second = new RecordingPeer();
		session.attach(second, { cols: 120, rows: 40 });
		await until(() => second.snapshot().includes('while-away-7'));
		expect(second.messages[0]).toEqual({ type: 'ready', cols: 120, rows: 40 });
		expect(second.snapshot()).toContain('first-5');
		session.input('echo "live-$((4 + 5))"\r');
		await until(() => second.text().includes('live-9'));
		// Output from before the snapshot is not sent again.
		expect(second.text()).not.toContain('while-away-7');

		const third = new RecordingPeer();
		session.attach(third, { cols: 120, rows: 40 });
		expect(second.closed?.code).toBe(CLOSE.replaced);
		await session.end({ code: CLOSE.sandboxGone, message: 'done' });
		expect(third.closed).toEqual({ code: CLOSE.sandboxGone, reason: 'done' });
	});

	it('stops reading from the shell past the high watermark until the browser acks', async () => {
		const session = await openSession();
		const peer = new RecordingPeer();
		session.attach(peer, { cols: 100, rows: 30 });
		await until(() => peer.text().includes('$ '));
		const before = peer.output.length;
		// About 4 MB of output, far past the high watermark; nothing is acked yet.
		session.input('head -c 3000000 /dev/zero | base64 -w 100; echo "flood-$((5 + 5))"\r');
		// The session counts every byte sent since attach, the prompt included; it pauses past the
		// watermark, and then, however long we wait, no more than what was in flight arrives.
		await until(() => peer.output.length > FLOW.high, 20_000);
		await new Promise((resolve) => setTimeout(resolve, 1500));
		expect(peer.output.length).toBeLessThan(FLOW.high + 512 * 1024);
		expect(peer.text()).not.toContain('flood-10');

		// A browser that keeps acking gets everything.
		let acked = peer.output.length - before;
		session.ack(acked);
		await until(() => {
			const received = peer.output.length - before;
			if (received > acked) {
				session.ack(received - acked);
				acked = received;
			}
			return peer.text().includes('flood-10');
		}, 60_000);
		await session.end({ code: CLOSE.normal, message: 'done' });
	});

	it('says when the shell exits', async () => {
		const session = await openSession();
		const peer = new RecordingPeer();
		session.attach(peer, { cols: 100, rows: 30 });
		await until(() => peer.text().includes('$ '));
		session.input('exit 3\r');
		await until(() => peer.messages.some((message) => message.type === 'exit'));
		expect(peer.messages).toContainEqual({ type: 'exit', code: 3 });
		expect(session.hasExited).toBe(true);
	});
});
