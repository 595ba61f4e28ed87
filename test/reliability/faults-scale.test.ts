/**
 * Scale: 50 real lab hosts x 1,000 tasks through the real CLI while the
 * controller's resident memory is sampled from /proc; and a command printing
 * 50 MB, whose output must be capped in memory, in events and in the journal.
 *
 * The 1,000 tasks push a lot of data through the controller on purpose (8 KiB
 * per debug message, 64 KiB of output per remote command: about 170 MB of
 * events and 320 MB of command output), so that keeping any of it would show
 * as growth far beyond the bound.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { useLab } from '../lab/index.ts';
import { removeDir, tempDir, writePlaybook } from '../integration/helpers.ts';
import { LiveFleet, rssKib } from './fault-helpers.ts';
import type { RunEvent } from '../../src/events/types.ts';

const HOSTS = 50;
const TASKS = 1000;
const MIB = 1024 * 1024;

/** Repeating block of 10: set_fact, debug (8 KiB message) x 4 each, then a command printing 64 KiB. */
function scalePlaybook(): string {
  const lines = ['- hosts: all', '  vars:', `    pad: "${'p'.repeat(8192)}"`, '  tasks:'];
  for (let i = 0; i < TASKS; i++) {
    if (i % 10 === 9) {
      lines.push(`    - name: t${i} remote`, `      shell: "head -c 65536 /dev/zero | tr '\\\\0' y"`, '      register: out', '      changed_when: false');
    } else if (i % 2 === 0) {
      lines.push(`    - name: t${i} fact`, `      set_fact: { step: ${i}, note: "host {{ inventory_hostname }} step ${i}" }`);
    } else {
      lines.push(`    - name: t${i} debug`, `      debug: { msg: "{{ note }} / ${i} {{ pad }}" }`);
    }
  }
  return lines.join('\n') + '\n';
}

/** Total size of the files under a directory. */
function treeBytes(path: string): number {
  let n = 0;
  for (const e of readdirSync(path, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  }
  return n;
}

/** Sample VmRSS of a process every `everyMs` until it exits. */
function sampleRss(pid: number, everyMs: number): { samples: number[]; stop(): void } {
  const samples: number[] = [];
  const timer = setInterval(() => {
    const kib = rssKib(pid);
    if (kib !== null) samples.push(kib);
  }, everyMs);
  return { samples, stop: () => clearInterval(timer) };
}

const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;

describe('faults: scale and long output (rel-scale)', { timeout: 600_000 }, (s) => {
  const h = useLab(s, { name: 'rel-scale', hosts: HOSTS });
  let dir = '';
  let state = '';
  const live: LiveFleet[] = [];
  const base = (): string[] => ['-i', h.lab.inventoryPath, '--known-hosts', h.lab.knownHostsPath, '--state-dir', state, '--output', 'json'];

  before(() => {
    dir = tempDir('rel-scale');
    state = join(dir, 'state');
  });
  after(() => {
    for (const r of live) r.kill();
    removeDir(dir);
  });

  it(`${HOSTS} hosts x ${TASKS} tasks: the controller's memory stays flat`, async (t) => {
    const pb = writePlaybook(dir, 'scale.yaml', scalePlaybook());
    let hostTasks = 0;
    let bytes = 0;
    let end: Extract<RunEvent, { kind: 'run-end' }> | undefined;
    const t0 = Date.now();
    const run = new LiveFleet(['run', pb, ...base()], {
      keepEvents: false,
      onLine: (line) => {
        bytes += line.length + 1;
        if (line.startsWith('{"kind":"host-task"')) hostTasks++;
        else if (line.startsWith('{"kind":"run-end"')) end = JSON.parse(line) as typeof end;
      },
    });
    live.push(run);
    const rss = sampleRss(run.pid, 250);
    const exit = await run.exit;
    rss.stop();
    const took = Date.now() - t0;
    assert.equal(exit.code, 0, run.stderr);
    assert.equal(end?.result, 'ok');
    assert.equal(hostTasks, HOSTS * TASKS);
    // early: the second quarter of the run (past start-up and connecting); late: the last quarter
    const q = Math.floor(rss.samples.length / 4);
    assert.ok(q >= 10, `only ${rss.samples.length} RSS samples`);
    const early = Math.max(...rss.samples.slice(q, 2 * q));
    const late = Math.max(...rss.samples.slice(3 * q));
    const peak = Math.max(...rss.samples);
    t.diagnostic(`${HOSTS} x ${TASKS} tasks in ${(took / 1000).toFixed(1)} s, ${(bytes / MIB).toFixed(0)} MiB of events; RSS early ${mib(early)}, late ${mib(late)}, peak ${mib(peak)}`);
    assert.ok(late < early + 100 * 1024, `RSS grew from ${mib(early)} to ${mib(late)}`);
    assert.ok(bytes > 150 * MIB, 'the run pushed its data through the controller');
  });

  it('a command printing 50 MB: registered output capped at 1 MiB, nothing of it in the journal, memory bounded', async (t) => {
    const pb = writePlaybook(dir, 'loud.yaml', `
- hosts: h1
  tasks:
    - name: print 50 MB
      shell: "head -c 50000000 /dev/zero | tr '\\\\0' x"
      register: out
      changed_when: false
    - name: the registered output is capped
      assert:
        that:
          - out.stdout | length == 1048576
          - out.truncated
          - out.rc == 0
`);
    const stateBefore = treeBytes(state);
    let bytes = 0;
    const run = new LiveFleet(['run', pb, ...base()], { onLine: (l) => { bytes += l.length + 1; } });
    live.push(run);
    const rss = sampleRss(run.pid, 20);
    const exit = await run.exit;
    rss.stop();
    assert.equal(exit.code, 0, run.stderr + JSON.stringify(run.events.filter((e) => e.kind === 'host-task')));
    const printed = run.events.find((e) => e.kind === 'host-task' && e.task === 'print 50 MB');
    assert.ok(printed && printed.kind === 'host-task' && printed.status === 'ok');
    const grown = treeBytes(state) - stateBefore;
    const peak = Math.max(...rss.samples);
    t.diagnostic(`state dir grew by ${grown} bytes; ${bytes} bytes of events; peak RSS ${mib(peak)}`);
    assert.ok(grown < 64 * 1024, `the state dir grew by ${grown} bytes`);
    assert.ok(bytes < 64 * 1024, `the events took ${bytes} bytes`);
    assert.ok(peak < 250 * 1024, `peak RSS ${mib(peak)}`);
  });
});
