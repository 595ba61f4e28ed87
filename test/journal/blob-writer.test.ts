// RunJournal.blobWriter: a backup streamed to disk, named by its hash, nothing left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunJournal } from '../../src/journal/journal.ts';

async function journal(): Promise<RunJournal> {
  const dir = await mkdtemp(join(tmpdir(), 'fleet-blobw-'));
  return RunJournal.create(join(dir, 'state'), {
    started: new Date().toISOString(), playbook: 'p.yaml', inventory: 'i.yaml', hosts: [], check: false, argv: [], pid: process.pid, result: 'running',
  });
}

test('blobWriter: chunks become one blob named by its sha256, 0600; the same content twice is one blob; abort leaves nothing', async () => {
  const j = await journal();
  const data = randomBytes(300_000);
  const w = j.blobWriter();
  for (let i = 0; i < data.length; i += 32_768) w.write(data.subarray(i, i + 32_768));
  assert.equal(w.size, data.length);
  const name = await w.finish();
  assert.equal(name, createHash('sha256').update(data).digest('hex'));
  assert.ok((await j.getBlob(name)).equals(data));
  assert.equal((await stat(join(j.dir, 'blobs', name))).mode & 0o777, 0o600);
  const again = j.blobWriter();
  again.write(data);
  assert.equal(await again.finish(), name);
  const dropped = j.blobWriter();
  dropped.write(Buffer.from('half a tar'));
  await dropped.abort();
  assert.deepEqual(await readdir(join(j.dir, 'blobs')), [name], 'no temporary files left');
  assert.throws(() => dropped.write(Buffer.from('x')), /already finished/);
  assert.ok((await readFile(join(j.dir, 'blobs', name))).equals(data));
  await j.close();
});
