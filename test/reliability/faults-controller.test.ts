/**
 * The controller interrupted (SIGINT, SIGTERM, twice, SIGKILL) and two runs at
 * once on overlapping hosts, through the real CLI against real lab hosts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { useLab, snapshotDiff } from '../lab/index.ts';
import { hostFile, hostSh, removeDir, runFleet, tempDir, writePlaybook } from '../integration/helpers.ts';
import { LiveFleet, hostProcs, liveEnd, liveTasks, waitUntil } from './fault-helpers.ts';

const HOSTS = ['h1', 'h2', 'h3'];

/** Play 1 changes a file, then a slow step that fails on h2 only; more tasks and a second play follow. */
const PLAYBOOK = `
- hosts: all
  tasks:
    - name: first change
      copy: { dest: /opt/ctl/one, content: "1\\n" }
    - name: slow step
      shell: 'sleep {{ pause }}; test "$(hostname)" != "{{ fail_host }}"'
      rollback: "true"
    - name: not started after the signal
      copy: { dest: /opt/ctl/two, content: "2\\n" }
- hosts: all
  tasks:
    - name: second play
      copy: { dest: /opt/ctl/three, content: "3\\n" }
`;

describe('faults: the controller interrupted, concurrent runs (rel-ctl)', { timeout: 300_000 }, (s) => {
  const h = useLab(s, { name: 'rel-ctl', hosts: 3 });
  let dir = '';
  let state = '';
  let pb = '';
  const live: LiveFleet[] = [];
  const start = (args: string[]): LiveFleet => {
    const r = new LiveFleet(args);
    live.push(r);
    return r;
  };
  const base = (output = 'json'): string[] => ['-i', h.lab.inventoryPath, '--known-hosts', h.lab.knownHostsPath, '--state-dir', state, '--output', output];
  const snaps = new Map<string, Map<string, string>>();

  before(() => {
    dir = tempDir('rel-ctl');
    state = join(dir, 'state');
    pb = writePlaybook(dir, 'site.yaml', PLAYBOOK);
  });
  after(() => {
    for (const r of live) r.kill();
    removeDir(dir);
  });

  /** /opt/ctl with one file on every host; remember each host's snapshot. */
  const seed = async (): Promise<void> => {
    await Promise.all(HOSTS.map(async (x) => {
      await hostSh(h.lab, x, "rm -rf /opt/ctl && mkdir /opt/ctl && printf '0\\n' > /opt/ctl/zero");
      snaps.set(x, await h.lab.snapshot(x));
    }));
  };
  const assertAsBefore = async (x: string): Promise<void> => {
    assert.deepEqual(snapshotDiff(snaps.get(x)!, await h.lab.snapshot(x)), [], `${x} is as before the run`);
  };
  const sleeping = (pause: string, hosts = HOSTS) => () => hosts.every((x) => hostProcs(h.lab, x, new RegExp(`^sleep ${pause.replace('.', '\\.')}$`)).length > 0);

  it('first SIGINT: running tasks finish, no new task starts, the failed host is rolled back, the recap comes; exit 130', async (t) => {
    await seed();
    const run = start(['run', pb, ...base(), '-e', 'pause=3.3', '-e', 'fail_host=h2']);
    await waitUntil(sleeping('3.3'), 30_000, 'the slow step on every host');
    run.child.kill('SIGINT');
    const signalled = Date.now();
    const exit = await run.exit;
    t.diagnostic(`exited ${Date.now() - signalled} ms after SIGINT (the step had up to 3.3 s to go, then h2's rollback)`);
    assert.equal(exit.code, 130, run.stderr);
    assert.ok(Date.now() - signalled < 15_000, 'it stopped after the running step');
    assert.match(run.stderr, /SIGINT: finishing running tasks, starting no new ones/);
    // the running step finished everywhere (and failed on h2)
    assert.deepEqual(HOSTS.map((x) => liveTasks(run, 'slow step', x)[0]?.status), ['changed', 'failed', 'changed']);
    assert.equal(run.events.some((e) => e.kind === 'task-start' && e.task === 'not started after the signal'), false);
    assert.equal(run.events.filter((e) => e.kind === 'play-start').length, 1, 'the second play never started');
    const rb = run.events.find((e) => e.kind === 'rollback-end');
    assert.ok(rb && rb.kind === 'rollback-end' && rb.host === 'h2' && rb.status === 'rolled-back');
    const end = liveEnd(run);
    assert.equal(end.result, 'interrupted');
    assert.deepEqual(HOSTS.map((x) => end.recap[x]!.state), ['ok', 'rolled-back', 'ok']);
    await assertAsBefore('h2');
    for (const x of ['h1', 'h3']) {
      assert.equal(await hostFile(h.lab, x, '/opt/ctl/one'), '1\n', `${x} keeps what it did`);
      assert.equal(await hostFile(h.lab, x, '/opt/ctl/two'), null);
    }
  });

  it('first SIGTERM, plain output: the same, and the recap is printed', async () => {
    await seed();
    const run = start(['run', pb, ...base('plain'), '-e', 'pause=3.4', '-e', 'fail_host=h3']);
    await waitUntil(sleeping('3.4'), 30_000, 'the slow step on every host');
    run.child.kill('SIGTERM');
    const exit = await run.exit;
    assert.equal(exit.code, 130, run.stderr);
    assert.match(run.stderr, /SIGTERM: finishing running tasks/);
    const out = run.other.join('\n');
    assert.match(out, /ROLLED_BACK h3/);
    assert.match(out, /RECAP\nHOST .*\nh1 .* ok\nh2 .* ok\nh3 .* rolled-back\n/);
    assert.match(out, /run \S+ interrupted in /);
    assert.doesNotMatch(out, /not started after the signal|second play/);
    await assertAsBefore('h3');
  });

  it('second SIGINT: exits at once; the journal is whole and `fleet rollback RUN` restores every touched host', async (t) => {
    await seed();
    const run = start(['run', pb, ...base(), '-e', 'pause=30.5', '-e', 'fail_host=none']);
    const runId = ((await run.waitFor((e) => e.kind === 'run-start', 30_000, 'run-start')) as { runId: string }).runId;
    await waitUntil(sleeping('30.5'), 30_000, 'the slow step on every host');
    run.child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 300));
    run.child.kill('SIGINT');
    const signalled = Date.now();
    const exit = await run.exit;
    const took = Date.now() - signalled;
    t.diagnostic(`exited ${took} ms after the second SIGINT`);
    assert.equal(exit.code, 130, run.stderr);
    assert.ok(took < 2000, `exited ${took} ms after the second SIGINT`);
    assert.match(run.stderr, /SIGINT again: stopping now/);

    // every journal line parses; each host has the change and the step it was running
    const runDir = join(state, 'runs', runId);
    JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
    for (const x of HOSTS) {
      const lines = readFileSync(join(runDir, 'hosts', `${x}.jsonl`), 'utf8').split('\n').filter(Boolean);
      const records = lines.map((l) => JSON.parse(l) as { t: string; op?: string });
      assert.deepEqual(records.filter((r) => r.t === 'intent').map((r) => r.op), ['write /opt/ctl/one', 'run sleep 30.5; test "$(hostname)" != "none"']);
    }
    const runs = runFleet(['runs', '--state-dir', state, '--output', 'json']);
    assert.equal((JSON.parse(runs.stdout) as Array<{ id: string; result: string }>).find((r) => r.id === runId)?.result, 'interrupted');

    // the locks the run left behind belong to a dead process: rollback takes them over
    const rb = runFleet(['rollback', runId, ...base()]);
    assert.equal(rb.code, 0, rb.stdout + rb.stderr);
    for (const x of HOSTS) await assertAsBefore(x);
  });

  it('two runs on overlapping hosts: the second refuses (exit 4) naming the first; it proceeds once the first ends or is SIGKILLed', async () => {
    await seed();
    const other = writePlaybook(dir, 'other.yaml', `
- hosts: all
  tasks:
    - name: look
      command: { argv: ['true'] }
      changed_when: false
`);
    const runsNow = (): number => (existsSync(join(state, 'runs')) ? readdirSync(join(state, 'runs')).length : 0);
    const first = start(['run', pb, ...base(), '--limit', 'h1:h2', '-e', 'pause=3.6', '-e', 'fail_host=none']);
    const firstId = ((await first.waitFor((e) => e.kind === 'run-start', 30_000, 'run-start')) as { runId: string }).runId;
    const count = runsNow();
    // h3 is idle (the first run has h1 and h2): a TCP connection it accepted (or was
    // asked to: SYN received) shows as a passive open in its network namespace
    const h3PassiveOpens = async (): Promise<string> =>
      (await h.lab.exec('h3', "awk '/^Tcp:/ { if (!n) { for (i = 1; i <= NF; i++) if ($i == \"PassiveOpens\") c = i; n = 1 } else print $c }' /proc/net/snmp")).stdout;
    const h3Before = await h3PassiveOpens();
    const refused = runFleet(['run', other, ...base(), '--limit', 'h2:h3']);
    assert.equal(await h3PassiveOpens(), h3Before, 'the refused run contacted no host');
    assert.equal(refused.code, 4, refused.stdout + refused.stderr);
    assert.match(refused.stderr, new RegExp(`host h2 is locked by run ${firstId} \\(pid ${first.pid}, fleet run \\S*site\\.yaml`));
    assert.equal(runsNow(), count, 'the refused run left no journal');
    assert.equal((await first.exit).code, 0, first.stderr);
    const after1 = runFleet(['run', other, ...base(), '--limit', 'h2:h3']);
    assert.equal(after1.code, 0, after1.stdout + after1.stderr);

    // SIGKILL the holder: its locks stay behind, and are taken over
    await seed();
    const killed = start(['run', pb, ...base(), '-e', 'pause=30.6', '-e', 'fail_host=none']);
    const killedId = ((await killed.waitFor((e) => e.kind === 'run-start', 30_000, 'run-start')) as { runId: string }).runId;
    await waitUntil(sleeping('30.6'), 30_000, 'the slow step on every host');
    killed.child.kill('SIGKILL');
    await killed.exit;
    const lock = JSON.parse(readFileSync(join(state, 'locks', 'h2.lock'), 'utf8')) as { run: string; pid: number };
    assert.deepEqual([lock.run, lock.pid], [killedId, killed.pid], 'the killed run still holds h2');
    const after2 = runFleet(['run', other, ...base(), '--limit', 'h2:h3']);
    assert.equal(after2.code, 0, after2.stdout + after2.stderr);
    // and the killed run is still undone completely
    const rb = runFleet(['rollback', killedId, ...base()]);
    assert.equal(rb.code, 0, rb.stdout + rb.stderr);
    for (const x of HOSTS) await assertAsBefore(x);
    assert.equal(existsSync(join(state, 'locks', 'h2.lock')), false, 'no lock left');
  });
});
