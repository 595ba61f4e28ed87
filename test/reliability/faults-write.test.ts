/**
 * A file write cut by a dropped connection, through the real CLI against a
 * real lab host: a 50 MB copy over a link slowed to 200 Mbit/s (so the upload
 * takes seconds), cut when the host's temporary file holds part of it. The
 * destination must hold the old bytes or the new ones, never a mix.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { useLab, type Lab } from '../lab/index.ts';
import { fleetRun, hostSh, removeDir, tempDir, writePlaybook, explain, hostTask } from '../integration/helpers.ts';
import { LiveFleet, journalSummary, killSshd, liveEnd, liveTasks, showRun, waitUntil } from './fault-helpers.ts';

const SIZE = 50_000_000;
const DIR = '/opt/big';
const DEST = `${DIR}/blob.bin`;

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Temporary upload files of fleet's write script in the host's DIR, with their sizes (read from this machine). */
function uploads(lab: Lab, host: string): Array<{ name: string; size: number }> {
  const d = `/proc/${lab.host(host).initPid}/root${DIR}`;
  try {
    return readdirSync(d).filter((n) => n.startsWith('.fleet-tmp.')).map((name) => ({ name, size: statSync(join(d, name)).size }));
  } catch {
    return [];
  }
}

function tc(args: string[]): void {
  const r = spawnSync('tc', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tc ${args.join(' ')}: ${r.stderr}`);
}

describe('faults: a file write cut by a dropped connection (rel-write)', { timeout: 240_000 }, (s) => {
  const h = useLab(s, { name: 'rel-write', hosts: 1 });
  let dir = '';
  let state = '';
  let pb = '';
  let fresh: Buffer;
  const live: LiveFleet[] = [];
  const base = (): string[] => ['-i', h.lab.inventoryPath, '--known-hosts', h.lab.knownHostsPath, '--state-dir', state, '--output', 'json'];

  before(() => {
    dir = tempDir('rel-write');
    state = join(dir, 'state');
    mkdirSync(join(dir, 'files'));
    fresh = randomBytes(SIZE);
    writeFileSync(join(dir, 'files', 'blob.bin'), fresh);
    pb = writePlaybook(dir, 'big.yaml', `
- hosts: all
  tasks:
    - name: upload 50 MB
      copy: { src: blob.bin, dest: ${DEST}, mode: "0600" }
`);
    // 200 Mbit/s towards the host: the upload takes about 2 s
    tc(['qdisc', 'add', 'dev', h.lab.host('h1').veth, 'root', 'tbf', 'rate', '200mbit', 'burst', '64kb', 'latency', '50ms']);
  });
  after(() => {
    for (const r of live) r.kill();
    removeDir(dir);
  });

  /** A fresh 50 MB of other bytes at DEST; returns their hash. */
  const seed = async (): Promise<string> => {
    const out = await hostSh(h.lab, 'h1', `rm -rf ${DIR} && mkdir ${DIR} && head -c ${SIZE} /dev/urandom > ${DEST} && sha256sum < ${DEST}`);
    return out.split(' ')[0]!;
  };
  const destHash = async (): Promise<string> => (await hostSh(h.lab, 'h1', `sha256sum < ${DEST}`)).split(' ')[0]!;

  /** Start the upload; resolve once the host's temporary file holds part of it (not all). */
  const uploadUntilHalfway = async (): Promise<LiveFleet> => {
    const run = new LiveFleet(['run', pb, ...base(), '--no-rollback']);
    live.push(run);
    await waitUntil(() => uploads(h.lab, 'h1').some((u) => u.size >= 5_000_000), 60_000, 'the upload to be under way');
    const part = uploads(h.lab, 'h1')[0]!;
    assert.ok(part.size < SIZE, `cut mid-transfer (${part.size} of ${SIZE} bytes there)`);
    return run;
  };

  it('sshd killed mid-upload: the old bytes stay, the partial upload is removed, the journal shows the write failed', async (t) => {
    const { lab } = h;
    const old = await seed();
    const run = await uploadUntilHalfway();
    try {
      await killSshd(lab, 'h1');
      const exit = await run.exit;
      assert.equal(exit.code, 3, run.stderr);
      assert.equal(liveTasks(run, 'upload 50 MB', 'h1')[0]?.status, 'unreachable');
      assert.equal(await destHash(), old, 'the old bytes, whole');
      // the write script saw its stdin end early (size check) and removed its temporary file
      await waitUntil(() => uploads(lab, 'h1').length === 0, 10_000, 'the partial upload to be removed');
      assert.deepEqual(journalSummary(showRun(state, liveEnd(run).runId).hosts.h1!), [`write ${DEST} (failed)`]);
      t.diagnostic(`the write was cut after ${liveTasks(run, 'upload 50 MB', 'h1')[0]!.durationMs} ms`);
    } finally {
      await lab.startSshd('h1');
    }
  });

  it('the whole host killed mid-upload (power cut): the old bytes stay; only a hidden temporary file is left', async () => {
    const { lab } = h;
    const old = await seed();
    const run = await uploadUntilHalfway();
    try {
      await lab.killHost('h1');
      const exit = await run.exit;
      assert.equal(exit.code, 3, run.stderr);
      assert.equal(liveTasks(run, 'upload 50 MB', 'h1')[0]?.status, 'unreachable');
    } finally {
      await lab.startSshd('h1'); // boots the host again
    }
    assert.equal(await destHash(), old, 'the old bytes, whole');
    // nothing ran the script's cleanup: the partial upload stays under its temporary name, beside the file
    const left = uploads(lab, 'h1');
    assert.equal(left.length, 1, JSON.stringify(left));
    assert.ok(left[0]!.size < SIZE, JSON.stringify(left));
    // the same copy again, undisturbed: the new bytes, whole
    const again = fleetRun(lab, pb, state);
    assert.equal(again.code, 0, explain(again));
    assert.equal(hostTask(again, 'upload 50 MB', 'h1').status, 'changed');
    assert.equal(await destHash(), sha(fresh));
  });
});
