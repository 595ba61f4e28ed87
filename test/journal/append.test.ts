// RunJournal.append: records in order; `sync: false` leaves the fsync to the next synced append or to close().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunJournal } from '../../src/journal/journal.ts';
import type { JournalRecord } from '../../src/journal/types.ts';

async function journal(): Promise<RunJournal> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-append-'));
  return RunJournal.create(join(dir, 'state'), {
    started: new Date().toISOString(), playbook: 'p.yaml', inventory: 'i.yaml', hosts: [], check: false, argv: [], pid: process.pid, result: 'running',
  });
}

const intent = (seq: number): JournalRecord => ({
  t: 'intent', seq, time: new Date(0).toISOString(), play: 'p', task: 't', op: `write /f${seq}`,
  undo: { kind: 'path', path: `/f${seq}`, before: { kind: 'absent' }, after: { kind: 'absent' } }, become: false,
});

test('done records without their own fsync: kept in order, synced by the next intent or by close', async (t) => {
  // Count fsyncs of journal files through the FileHandle prototype.
  const probe = await open(join(tmpdir(), `fleet-append-probe-${process.pid}`), 'w');
  const proto = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  const original = proto.sync;
  let syncs = 0;
  proto.sync = function (this: unknown) {
    syncs++;
    return original.call(this);
  };
  t.after(() => {
    proto.sync = original;
  });
  const j = await journal();
  syncs = 0; // run.json
  await j.append('h1', intent(1));
  assert.equal(syncs, 1, 'an intent is fsynced before the change');
  await j.append('h1', { t: 'done', seq: 1, ok: true, changed: true }, { sync: false });
  assert.equal(syncs, 1, 'a successful change needs no fsync of its own');
  await j.append('h1', intent(2));
  assert.equal(syncs, 2);
  await j.append('h1', { t: 'done', seq: 2, ok: true, changed: true }, { sync: false });
  await j.append('h2', intent(3));
  assert.equal(syncs, 3);
  await j.close();
  assert.equal(syncs, 4, 'close fsyncs the journal with an unsynced record (h1), not the other (h2)');
  const fresh = await RunJournal.open(join(j.dir, '..', '..'), j.meta.id);
  assert.deepEqual((await fresh.read('h1')).map((r) => `${r.t}${'seq' in r ? r.seq : ''}`), ['intent1', 'done1', 'intent2', 'done2']);
});
