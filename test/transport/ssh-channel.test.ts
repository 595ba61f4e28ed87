// runChannel against a scripted fake ssh2 client: the controller-side paths that a
// real sshd rarely takes (deadline, a channel that cannot be opened, a lost connection).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Client } from 'ssh2';
import { runChannel } from '../../src/transport/ssh-channel.ts';
import { FleetError } from '../../src/errors/fleet-error.ts';

class FakeChannel extends EventEmitter {
  readonly stderr = new EventEmitter();
  readonly written: Buffer[] = [];
  ended = false;
  eofSent = false;
  closed = false;
  write(b: Buffer): boolean {
    this.written.push(b);
    return true;
  }
  end(): void {
    this.ended = true;
  }
  eof(): void {
    this.eofSent = true;
  }
  close(): void {
    this.closed = true;
  }
}

/** A client whose exec hands a fake channel (or an error) to `script`. */
function fakeClient(script: (ch: FakeChannel) => void, openError?: Error): { client: Client; channel: FakeChannel; commands: string[] } {
  const channel = new FakeChannel();
  const commands: string[] = [];
  const client = {
    exec(command: string, cb: (err: Error | undefined, ch: FakeChannel) => void) {
      commands.push(command);
      setImmediate(() => {
        cb(openError, channel);
        if (!openError) setImmediate(() => script(channel));
      });
      return client;
    },
  } as unknown as Client;
  return { client, channel, commands };
}

const lost = (reason: string) => new FleetError('E_UNREACHABLE', `h: ${reason}`);

test('runChannel: stdin written then ended; output capped per stream; exit code', async () => {
  const { client, channel, commands } = fakeClient((ch) => {
    ch.emit('data', Buffer.from('abcdef'));
    ch.emit('data', Buffer.from('ghij'));
    ch.stderr.emit('data', Buffer.from('err'));
    ch.emit('exit', 3);
    ch.emit('close');
  });
  const r = await runChannel(client, 'CMD', { stdin: [Buffer.from('pw\n'), Buffer.from('data')], maxOutputBytes: 8 }, lost, () => false);
  assert.deepEqual(commands, ['CMD']);
  assert.deepEqual(channel.written.map(String), ['pw\n', 'data']);
  assert.equal(channel.ended, true);
  assert.equal(channel.eofSent, false);
  assert.equal(r.code, 3);
  assert.equal(r.stdout.toString(), 'abcdefgh');
  assert.equal(r.stderr.toString(), 'err');
  assert.equal(r.truncated, true);
  assert.equal(r.deadlineHit, false);
});

test('runChannel: exit by signal', async () => {
  const { client, channel } = fakeClient((ch) => {
    ch.emit('exit', null, 'SIGKILL', false, '');
    ch.emit('close');
  });
  const r = await runChannel(client, 'x', { stdin: [], maxOutputBytes: 10 }, lost, () => false);
  // No stdin: only the SSH EOF is sent; the stream itself is not ended a second time.
  assert.equal(channel.eofSent, true);
  assert.equal(channel.ended, false);
  assert.equal(r.code, null);
  assert.equal(r.signal, 'SIGKILL');
});

test('runChannel: the controller deadline closes a channel that never ends', async () => {
  const { client, channel } = fakeClient((ch) => ch.emit('data', Buffer.from('partial')));
  const t0 = Date.now();
  const r = await runChannel(client, 'x', { stdin: [], maxOutputBytes: 100, deadlineMs: 200 }, lost, () => false);
  assert.ok(Date.now() - t0 >= 190);
  assert.equal(r.deadlineHit, true);
  assert.equal(r.code, null);
  assert.equal(r.stdout.toString(), 'partial');
  assert.equal(channel.closed, true);
});

test('runChannel: a channel closed by a lost connection rejects with E_UNREACHABLE', async () => {
  let dead = false;
  const { client } = fakeClient((ch) => {
    ch.emit('data', Buffer.from('half'));
    dead = true;
    ch.emit('close');
  });
  await assert.rejects(runChannel(client, 'x', { stdin: [], maxOutputBytes: 100 }, lost, () => dead), {
    code: 'E_UNREACHABLE',
    message: 'h: connection lost while a command was running',
  });
});

test('runChannel: a channel that cannot be opened: E_REMOTE on a live connection, E_UNREACHABLE on a dead one', async () => {
  const live = fakeClient(() => undefined, new Error('(SSH) Channel open failure: open failed'));
  await assert.rejects(runChannel(live.client, 'x', { stdin: [], maxOutputBytes: 1 }, lost, () => false), { code: 'E_REMOTE' });
  const dead = fakeClient(() => undefined, new Error('No response from server'));
  await assert.rejects(runChannel(dead.client, 'x', { stdin: [], maxOutputBytes: 1 }, lost, () => true), {
    code: 'E_UNREACHABLE',
    message: /No response from server/,
  });
});
