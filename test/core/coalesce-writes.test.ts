// coalesceWrites: the writes of one event-loop turn reach the stream's sink as one writev.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { setImmediate as turn } from 'node:timers/promises';
import { coalesceWrites } from '../../src/core/coalesce-writes.ts';

function sink() {
  const calls: Buffer[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      calls.push([chunk]);
      cb();
    },
    writev(chunks, cb) {
      calls.push(chunks.map((c) => c.chunk as Buffer));
      cb();
    },
  });
  return { stream, calls };
}

test('writes in one turn go out together, in order; the next turn starts a new batch', async () => {
  const { stream, calls } = sink();
  coalesceWrites(stream);
  stream.write(Buffer.from('a'));
  stream.write(Buffer.from('b'));
  stream.write('c');
  assert.equal(calls.length, 0, 'held until the turn ends');
  await turn();
  assert.deepEqual(calls.map((c) => Buffer.concat(c).toString()), ['abc']);
  stream.write(Buffer.from('d'));
  await turn();
  assert.deepEqual(calls.map((c) => Buffer.concat(c).toString()), ['abc', 'd']);
});

test('end() flushes what is held; a destroyed stream is left alone', async () => {
  const { stream, calls } = sink();
  coalesceWrites(stream);
  stream.write('x');
  stream.end('y');
  await turn();
  assert.equal(calls.map((c) => Buffer.concat(c).toString()).join(''), 'xy');
  const other = sink();
  coalesceWrites(other.stream);
  other.stream.on('error', () => undefined);
  other.stream.write('z');
  other.stream.destroy();
  await turn();
  assert.equal(other.calls.length, 0);
});

test('coalesceStdout: lines written in the turn the process exits in still reach the pipe', () => {
  const script = [
    `import { coalesceStdout } from ${JSON.stringify(new URL('../../src/core/coalesce-writes.ts', import.meta.url).href)};`,
    'const out = coalesceStdout();',
    "for (let i = 0; i < 1000; i++) out.write(`line ${i}\\n`);",
    'process.exit(3);',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 3, r.stderr);
  const lines = r.stdout.split('\n').filter(Boolean);
  assert.equal(lines.length, 1000);
  assert.equal(lines[999], 'line 999');
});
