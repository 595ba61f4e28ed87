// pauseWatch: stdout passed on without the pause line, however the chunks are cut.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pauseWatch } from '../../src/transport/ssh-channel.ts';
import type { FleetError } from '../../src/errors/fleet-error.ts';

const MARKER = 'fleet-pause-00112233445566778899aabb';

function feed(chunks: Buffer[], resume: (status: string) => Promise<string>) {
  const out: Buffer[] = [];
  const answers: string[] = [];
  const errors: FleetError[] = [];
  let statusSeen: string | undefined;
  const watch = pauseWatch(
    { marker: MARKER, resume: async (s) => { statusSeen = s; return resume(s); } },
    { write: () => undefined, end: (a?: unknown) => { answers.push(String(a)); } },
    (c) => out.push(Buffer.from(c)),
    (e) => errors.push(e),
  );
  for (const c of chunks) watch(c);
  return { out: () => Buffer.concat(out), answers, errors, status: () => statusSeen };
}

const settle = () => new Promise((r) => setImmediate(r));

test('pause line at the end, in one chunk or cut byte by byte: data passed on whole, line kept out, answer written', async () => {
  const data = Buffer.from(`tar bytes \n${MARKER.slice(0, 10)} not the marker\n` + 'x'.repeat(5000));
  const all = Buffer.concat([data, Buffer.from(`\n${MARKER} 0\n`)]);
  for (const cut of [all.length, 1, 7, 64, 4096]) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < all.length; i += cut) chunks.push(all.subarray(i, i + cut));
    const f = feed(chunks, async () => 'go');
    await settle();
    assert.ok(f.out().equals(data), `cut ${cut}`);
    assert.equal(f.status(), '0');
    assert.deepEqual(f.answers, ['go\n']);
  }
});

test('no pause line: nothing answered, everything but the held-back tail passed on; a failing resume answers stop', async () => {
  const f = feed([Buffer.from('a'.repeat(1000))], async () => 'go');
  await settle();
  assert.deepEqual(f.answers, []);
  assert.ok(f.out().length >= 1000 - (MARKER.length + 20));
  const g = feed([Buffer.from(`partial\n${MARKER} 2\n`)], async () => { throw new Error('disk full'); });
  await settle();
  assert.equal(g.status(), '2');
  assert.deepEqual(g.answers, ['stop\n']);
  assert.match(g.errors[0]!.message, /disk full/);
  assert.equal(g.out().toString(), 'partial');
});
