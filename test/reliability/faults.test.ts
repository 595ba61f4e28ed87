/**
 * Host and network faults against real lab hosts through the real CLI:
 * sshd killed mid-task, the network cut mid-task, a command that never ends,
 * a host that accepts TCP but never speaks SSH. (Interrupted file writes:
 * faults-write.test.ts; the controller: faults-controller.test.ts; scale:
 * faults-scale.test.ts.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { useLab, snapshotDiff, tcpAccepts } from '../lab/index.ts';
import { explain, fleetRun, hostFile, hostSh, hostTask, hostTasks, recapOf, removeDir, runEnd, runFleet, tempDir, writePlaybook } from '../integration/helpers.ts';
import { LiveFleet, hostProcs, journalSummary, killSshd, liveEnd, liveTasks, showRun, waitUntil } from './fault-helpers.ts';

const HOSTS = ['h1', 'h2', 'h3'];

const PLAYBOOK = `
- hosts: all
  tasks:
    - name: rewrite a.conf
      copy: { dest: /opt/rel/a.conf, content: "a = 2\\n" }
    - name: add a line to b.conf
      lineinfile: { path: /opt/rel/b.conf, line: "added by fleet" }
    - name: new directory
      file: { path: /opt/rel/new.d, state: directory }
    - name: slow step
      shell: "sleep {{ pause }}"
      timeout: 5
      changed_when: false
      rollback: "true"
    - name: after the slow step
      copy: { dest: /opt/rel/c.conf, content: "c\\n" }
`;

/** What the journal of the host cut off in the slow step must show: the three changes made, the step cut. */
const CUT_IN_SLOW_STEP = (pause: string) => [
  'write /opt/rel/a.conf (applied)',
  'write /opt/rel/b.conf (applied)',
  'mkdir /opt/rel/new.d (applied)',
  `run sleep ${pause} (failed)`,
];

describe('faults: hosts and networks (rel-faults)', { timeout: 300_000 }, (s) => {
  // connect_timeout 2: automatic rollback's three reconnects to a dead host take seconds, not half a minute
  const h = useLab(s, { name: 'rel-faults', hosts: 3, vars: { connect_timeout: 2 } });
  let dir = '';
  let state = '';
  let pb = '';
  const live: LiveFleet[] = [];
  const start = (args: string[]): LiveFleet => {
    const r = new LiveFleet(args);
    live.push(r);
    return r;
  };
  const base = (): string[] => ['-i', h.lab.inventoryPath, '--known-hosts', h.lab.knownHostsPath, '--state-dir', state, '--output', 'json'];

  before(() => {
    dir = tempDir('rel-faults');
    state = join(dir, 'state');
    pb = writePlaybook(dir, 'site.yaml', PLAYBOOK);
  });
  after(() => {
    for (const r of live) r.kill();
    removeDir(dir);
  });

  const seed = async (): Promise<void> => {
    await Promise.all(HOSTS.map((x) => hostSh(h.lab, x, [
      'rm -rf /opt/rel && mkdir -p /opt/rel',
      "printf 'a = 1\\n' > /opt/rel/a.conf",
      "printf 'b = 1\\n' > /opt/rel/b.conf && chmod 0640 /opt/rel/b.conf",
    ].join(' && '))));
  };

  /** The cut-off host has exactly the changes its journal shows, and nothing after them. */
  const assertCutState = async (host: string): Promise<void> => {
    const { lab } = h;
    assert.equal(await hostFile(lab, host, '/opt/rel/a.conf'), 'a = 2\n');
    assert.equal(await hostFile(lab, host, '/opt/rel/b.conf'), 'b = 1\nadded by fleet\n');
    assert.equal((await hostSh(lab, host, 'stat -c %F /opt/rel/new.d')).trim(), 'directory');
    assert.equal(await hostFile(lab, host, '/opt/rel/c.conf'), null);
  };

  const assertOthersFinished = async (run: LiveFleet, cut: string): Promise<void> => {
    const end = liveEnd(run);
    for (const x of HOSTS.filter((n) => n !== cut)) {
      assert.equal(end.recap[x]!.state, 'ok', `${x} finishes`);
      assert.equal(liveTasks(run, 'after the slow step', x)[0]?.status, 'changed');
      assert.equal(await hostFile(h.lab, x, '/opt/rel/c.conf'), 'c\n');
    }
    assert.deepEqual(liveTasks(run, 'after the slow step', cut), [], `nothing more runs on ${cut}`);
  };

  it('sshd killed on one host mid-task: unreachable, the others finish, the journal shows what reached it, rollback --host restores it', async (t) => {
    const { lab } = h;
    await seed();
    const before0 = await lab.snapshot('h2');
    const run = start(['run', pb, ...base(), '-e', 'pause=4.1']);
    await waitUntil(() => hostProcs(lab, 'h2', /^sleep 4\.1$/).length > 0, 30_000, 'the slow step on h2');
    try {
      assert.ok((await killSshd(lab, 'h2')) >= 2, 'the listening sshd and the session of fleet');
      const exit = await run.exit;
      const runId = liveEnd(run).runId;
      const slow = liveTasks(run, 'slow step', 'h2');
      assert.equal(slow.length, 1);
      assert.equal(slow[0]!.status, 'unreachable', slow[0]!.msg);
      assert.match(slow[0]!.msg ?? '', /^h2 \(198\.\S+:22\): connection (closed by the host|lost)/);
      t.diagnostic(`h2: ${slow[0]!.msg}`);
      await assertOthersFinished(run, 'h2');
      // automatic rollback tried to reconnect (sshd is still down), then said how to finish the job
      const rb = run.events.find((e) => e.kind === 'rollback-end' && e.host === 'h2');
      assert.ok(rb && rb.kind === 'rollback-end' && rb.status === 'failed-to-rollback');
      assert.match(rb.msg ?? '', new RegExp(`h2 is unreachable; run \`fleet rollback ${runId} --host h2\` when it is back`));
      assert.equal(liveEnd(run).recap.h2!.unreachable, 1);
      assert.equal(liveEnd(run).recap.h2!.state, 'failed-to-rollback');
      assert.equal(exit.code, 2, run.stderr);

      const shown = showRun(state, runId);
      assert.deepEqual(journalSummary(shown.hosts.h2!), CUT_IN_SLOW_STEP('4.1'));
      assert.deepEqual(journalSummary(shown.hosts.h1!), [...CUT_IN_SLOW_STEP('4.1').slice(0, 3), 'run sleep 4.1 (no change)', 'write /opt/rel/c.conf (applied)']);
      await lab.startSshd('h2');
      await assertCutState('h2');

      const rollback = runFleet(['rollback', runId, '--host', 'h2', ...base()]);
      assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
      assert.deepEqual(snapshotDiff(before0, await lab.snapshot('h2')), [], 'h2 is byte for byte as before the run');
      assert.equal(await hostFile(lab, 'h1', '/opt/rel/c.conf'), 'c\n', 'h1 keeps its changes');
      assert.deepEqual(journalSummary(showRun(state, runId).hosts.h2!), CUT_IN_SLOW_STEP('4.1').map((l) => l.replace(/\((applied|failed)\)$/, '(undone)')));
    } finally {
      await lab.startSshd('h2');
    }
  });

  it('the network of one host cut mid-task: unreachable at the task timeout (+4 s), not at the ssh keepalive; rollback after link up', async (t) => {
    const { lab } = h;
    await seed();
    const before0 = await lab.snapshot('h2');
    const run = start(['run', pb, ...base(), '-e', 'pause=3.2']);
    await waitUntil(() => hostProcs(lab, 'h2', /^sleep 3\.2$/).length > 0, 30_000, 'the slow step on h2');
    try {
      await lab.linkDown('h2');
      const exit = await run.exit;
      const runId = liveEnd(run).runId;
      const slow = liveTasks(run, 'slow step', 'h2')[0]!;
      assert.equal(slow.status, 'unreachable', slow.msg);
      assert.match(slow.msg ?? '', /no answer from the host for 3s after a command's 5s timeout \(network down\?\)/);
      // timeout 5 s, then 1 s until the liveness check, which waits 3 s for an answer: about 9 s
      // (the controller's own deadline would be 13 s, the ssh keepalive 30-40 s)
      t.diagnostic(`slow step (timeout 5 s) reported unreachable after ${slow.durationMs} ms; run took ${liveEnd(run).durationMs} ms`);
      assert.ok(slow.durationMs >= 5000 && slow.durationMs < 11_500, `unreachable after ${slow.durationMs} ms`);
      await assertOthersFinished(run, 'h2');
      const rb = run.events.find((e) => e.kind === 'rollback-end' && e.host === 'h2');
      assert.ok(rb && rb.kind === 'rollback-end' && rb.status === 'failed-to-rollback', 'the link is still down');
      assert.equal(exit.code, 2, run.stderr);
      assert.deepEqual(journalSummary(showRun(state, runId).hosts.h2!), CUT_IN_SLOW_STEP('3.2'));

      await lab.linkUp('h2');
      await assertCutState('h2');
      const rollback = runFleet(['rollback', runId, '--host', 'h2', ...base()]);
      assert.equal(rollback.code, 0, rollback.stdout + rollback.stderr);
      assert.deepEqual(snapshotDiff(before0, await lab.snapshot('h2')), []);
    } finally {
      await lab.linkUp('h2');
    }
  });

  it('a command that never ends: its timeout kills it and its children on the host (TERM, then KILL) and the task fails', async (t) => {
    const { lab } = h;
    const forever = writePlaybook(dir, 'forever.yaml', `
- hosts: all
  tasks:
    - name: never ends
      timeout: 2
      shell: |
        if [ "$(hostname)" = h2 ]; then trap '' TERM; fi
        sleep 4242 & sleep 4243
        echo never
`);
    const r = fleetRun(lab, forever, state);
    assert.equal(r.code, 2, explain(r));
    for (const x of HOSTS) {
      const ev = hostTask(r, 'never ends', x);
      assert.equal(ev.status, 'failed');
      assert.equal(ev.msg, 'timed out after 2s (the command was killed on the host)');
      // h2 ignores TERM: KILL follows 5 s later; the liveness check in between finds the host alive
      const [lo, hi] = x === 'h2' ? [7000, 10_000] : [2000, 4000];
      t.diagnostic(`${x}: failed after ${ev.durationMs} ms`);
      assert.ok(ev.durationMs >= lo && ev.durationMs < hi, `${x}: failed after ${ev.durationMs} ms`);
      assert.deepEqual(hostProcs(lab, x, /sleep 424[23]/), [], `no sleep left on ${x}`);
      assert.equal(recapOf(r)[x]!.state, 'failed');
    }
  });

  it('a host that accepts TCP but never speaks SSH: connect timeout (2 s), unreachable, exit 3; the others run', async (tc) => {
    const { lab } = h;
    const tarpit = [
      'import socket',
      's = socket.socket()',
      's.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
      's.bind(("0.0.0.0", 2222))',
      's.listen(16)',
      'held = []',
      'while True:',
      '    c, _ = s.accept()',
      '    held.append(c)',
    ].join('\n');
    const started = await lab.exec('h3', 'cat > /tmp/tarpit.py && { nohup /usr/bin/python3 /tmp/tarpit.py >/dev/null 2>&1 & echo $!; }', { input: tarpit });
    assert.equal(started.code, 0, started.stderr);
    const pid = Number(started.stdout.trim());
    try {
      await waitUntil(() => tcpAccepts(lab.host('h3').address, 2222, 500), 10_000, 'the tarpit to listen');
      const inv = parse(readFileSync(lab.inventoryPath, 'utf8')) as { all: { children: Record<string, unknown> } };
      inv.all.children.tarpits = { hosts: { tarpit: { ansible_host: lab.host('h3').address, ansible_port: 2222, connect_timeout: 2 } } };
      const invPath = join(dir, 'tarpit-inventory.yaml');
      writeFileSync(invPath, stringify(inv));
      const marker = writePlaybook(dir, 'marker.yaml', `
- hosts: all
  tasks:
    - name: marker
      copy: { dest: /opt/marker, content: "{{ inventory_hostname }}\\n" }
`);
      const t0 = Date.now();
      const r = fleetRun(lab, marker, state, [], invPath);
      const took = Date.now() - t0;
      assert.equal(r.code, 3, explain(r));
      assert.equal(runEnd(r).result, 'unreachable');
      const t = hostTask(r, 'marker', 'tarpit');
      assert.equal(t.status, 'unreachable');
      assert.match(t.msg ?? '', /^tarpit \(198\.\S+:2222\): connection timed out after 2s/);
      tc.diagnostic(`tarpit unreachable after ${t.durationMs} ms; run took ${took} ms`);
      assert.ok(t.durationMs >= 1900 && t.durationMs < 4000, `unreachable after ${t.durationMs} ms`);
      assert.ok(took < 20_000, `the run took ${took} ms`);
      assert.equal(recapOf(r).tarpit!.state, 'unreachable');
      for (const x of HOSTS) {
        assert.equal(hostTask(r, 'marker', x).status === 'changed' || hostTask(r, 'marker', x).status === 'ok', true);
        assert.equal(await hostFile(lab, x, '/opt/marker'), `${x}\n`);
      }
      assert.equal(hostTasks(r, 'marker').length, 4);
    } finally {
      await lab.exec('h3', `kill ${pid}`);
    }
  });
});
