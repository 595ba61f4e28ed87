// The controller side of a silent network, against a scripted fake ssh2 client:
// a command's deadline runs even when the host never answers the channel open,
// and hostAnswers tells a silent host from a slow command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Client } from 'ssh2';
import { hostAnswers, runChannel } from '../../src/transport/ssh-channel.ts';
import { FleetError } from '../../src/errors/fleet-error.ts';

class FakeChannel extends EventEmitter {
  readonly stderr = Object.assign(new EventEmitter(), { resume: () => undefined });
  closed = false;
  ended = false;
  write(): boolean {
    return true;
  }
  end(): void {
    this.ended = true;
  }
  close(): void {
    this.closed = true;
  }
  resume(): void {}
}

type Open = (cb: (err: Error | undefined, ch: FakeChannel) => void) => void;

function client(open: Open): { client: Client; opened: number } {
  const state = { opened: 0 };
  const c = {
    exec(_cmd: string, cb: (err: Error | undefined, ch: FakeChannel) => void) {
      state.opened++;
      open(cb);
      return c;
    },
  };
  return { client: c as unknown as Client, get opened() { return state.opened; } };
}

const lost = (reason: string) => new FleetError('E_UNREACHABLE', `h: ${reason}`);

test('runChannel: the deadline runs from the request, even when the channel never opens', async () => {
  const { client: c } = client(() => undefined); // silent host: no answer at all
  const t0 = Date.now();
  const r = await runChannel(c, 'x', { stdin: [], maxOutputBytes: 10, deadlineMs: 150 }, lost, () => false);
  assert.equal(r.deadlineHit, true);
  assert.equal(r.code, null);
  assert.ok(Date.now() - t0 >= 140);
});

test('runChannel: a channel that opens after the deadline is closed at once', async () => {
  let late: ((err: Error | undefined, ch: FakeChannel) => void) | undefined;
  const { client: c } = client((cb) => { late = cb; });
  const r = await runChannel(c, 'x', { stdin: [], maxOutputBytes: 10, deadlineMs: 50 }, lost, () => false);
  assert.equal(r.deadlineHit, true);
  const ch = new FakeChannel();
  late!(undefined, ch);
  assert.equal(ch.closed, true);
});

test('hostAnswers: an opened channel or a refusal is an answer; silence or a closed connection is not', async () => {
  const opened = new FakeChannel();
  assert.equal(await hostAnswers(client((cb) => setImmediate(() => cb(undefined, opened))).client, 500), true);
  assert.equal(opened.ended, true, 'the probe channel is ended');
  assert.equal(await hostAnswers(client((cb) => setImmediate(() => cb(new Error('(SSH) Channel open failure: open failed'), new FakeChannel()))).client, 500), true);
  assert.equal(await hostAnswers(client((cb) => setImmediate(() => cb(new Error('No response from server'), new FakeChannel()))).client, 500), false);
  const t0 = Date.now();
  assert.equal(await hostAnswers(client(() => undefined).client, 200), false);
  assert.ok(Date.now() - t0 >= 190);
  const throwing = { exec() { throw new Error('Not connected'); } } as unknown as Client;
  assert.equal(await hostAnswers(throwing, 200), false);
});
