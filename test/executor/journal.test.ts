import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fleet, run, tempDir, yaml } from './helpers.ts';
import { listRuns, RunJournal, sha256 } from '../../src/journal/journal.ts';
import type { IntentRecord, JournalRecord } from '../../src/journal/types.ts';

const PB = yaml(
  '- hosts: all',
  '  tasks:',
  '    - { name: conf, copy: { dest: /etc/app.conf, content: "new\\n" } }',
  '    - { name: dir, file: { path: /opt/app/data, state: directory } }',
  '    - { name: gone, file: { path: /var/old, state: absent } }',
  '    - { name: cmd, command: touch-it }',
  '    - { name: svc, systemd: { name: app, state: started } }',
);

function init() {
  return {
    files: { '/etc/app.conf': 'old\n', '/var/old/f': 'f\n', '/opt/keep': 'k' },
    commands: { 'touch-it': {} },
    services: { 'app.service': {} },
  };
}

async function records(dir: string, host: string): Promise<JournalRecord[]> {
  const text = await readFile(join(dir, 'hosts', `${host}.jsonl`), 'utf8');
  return text.trim().split('\n').map((l) => JSON.parse(l) as JournalRecord);
}

test('journal: every op has its intent written before its done record; undo data is stored', async () => {
  const { summary, stateDir } = await run({ playbook: PB, hosts: fleet({ h1: init() }) });
  assert.equal(summary.result, 'ok');
  const journal = await RunJournal.open(stateDir, summary.runId);
  const recs = await records(journal.dir, 'h1');
  const intents = recs.filter((r): r is IntentRecord => r.t === 'intent');
  assert.deepEqual(intents.map((r) => [r.seq, r.task, r.op]), [
    [1, 'conf', 'write /etc/app.conf'],
    [2, 'dir', 'mkdir /opt/app/data'],
    [3, 'gone', 'remove /var/old'],
    [4, 'cmd', 'run touch-it'],
    [5, 'svc', 'systemctl start app.service'],
  ]);
  for (const it of intents) {
    const i = recs.indexOf(it);
    const done = recs.findIndex((r) => r.t === 'done' && r.seq === it.seq);
    assert.ok(done > i, `op ${it.seq}: done at ${done}, intent at ${i}`);
    assert.equal(recs.filter((r) => r.t === 'done' && r.seq === it.seq).length, 1);
  }
  assert.deepEqual(recs.filter((r) => r.t === 'done').map((r) => r.t === 'done' && [r.ok, r.changed]), Array(5).fill([true, true]));
  // undo of the write: the old bytes as a blob; of the mkdir -p: its topmost new directory
  const w = intents[0]!.undo;
  assert.ok(w.kind === 'path' && w.before.kind === 'file');
  assert.deepEqual(await journal.getBlob(w.before.blob), Buffer.from('old\n'));
  assert.deepEqual(w.after, { kind: 'file', sha256: sha256(Buffer.from('new\n')) });
  assert.deepEqual(intents[1]!.undo, { kind: 'path', path: '/opt/app', before: { kind: 'absent' }, after: { kind: 'directory' } });
  const rm = intents[2]!.undo;
  assert.ok(rm.kind === 'path' && rm.before.kind === 'directory' && rm.before.tree !== undefined);
  assert.deepEqual(intents[3]!.undo, { kind: 'command', ran: 'touch-it' });
  assert.deepEqual(intents[4]!.undo, { kind: 'service', unit: 'app.service', before: { load: 'loaded', active: 'inactive', enabled: 'disabled' } });
  const meta = JSON.parse(await readFile(join(journal.dir, 'run.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(meta.result, 'ok');
  assert.deepEqual(meta.hostStates, { h1: 'ok' });
  assert.deepEqual(meta.hosts, ['h1']);
  assert.equal(meta.check, false);
  await journal.close();
});

test('journal: each intent is on disk before its op reaches the host', async () => {
  const stateDir = await tempDir('fleet-state-');
  const file = join(stateDir, 'runs', 'r1', 'hosts', 'h1.jsonl');
  const seen: string[] = [];
  const beforeChange = async (what: { kind: string; target: string }) => {
    const text = await readFile(file, 'utf8').catch(() => '');
    const recs = text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalRecord);
    const open = recs.filter((r) => r.t === 'intent' && !recs.some((d) => d.t === 'done' && d.seq === r.seq));
    seen.push(`${what.kind} ${what.target.split('\n')[0]} <- ${open.map((r) => r.t === 'intent' && r.op).join(',') || 'no open intent'}`);
  };
  const { summary } = await run({ playbook: PB, hosts: fleet({ h1: { ...init(), beforeChange } }), stateDir, runId: 'r1' });
  assert.equal(summary.runId, 'r1');
  assert.deepEqual(seen.filter((l) => !l.startsWith('exec systemctl show') && !l.startsWith('exec tar -C / --numeric-owner -cpf')), [
    'write /etc/app.conf <- write /etc/app.conf',
    'exec mkdir -p -- /opt/app/data <- mkdir /opt/app/data',
    'exec rm -rf -- /var/old <- remove /var/old',
    'exec exec touch-it <- run touch-it', // a command task replaces the shell: `exec touch-it`
    'exec systemctl start -- app.service <- systemctl start app.service',
  ]);
});

test('journal: directories are 0700 and files 0600', async () => {
  const stateDir = join(await tempDir('fleet-state-'), 'state');
  const { summary } = await run({ playbook: PB, hosts: fleet({ h1: init(), h2: init() }), stateDir });
  const runDir = join(stateDir, 'runs', summary.runId);
  const dirs = [stateDir, join(stateDir, 'runs'), runDir, join(runDir, 'hosts'), join(runDir, 'blobs')];
  for (const d of dirs) {
    const s = await stat(d);
    assert.ok(s.isDirectory());
    assert.equal(s.mode & 0o777, 0o700, `${d} is ${(s.mode & 0o777).toString(8)}`);
  }
  const files = [
    join(runDir, 'run.json'),
    ...(await readdir(join(runDir, 'hosts'))).map((f) => join(runDir, 'hosts', f)),
    ...(await readdir(join(runDir, 'blobs'))).map((f) => join(runDir, 'blobs', f)),
  ];
  assert.ok(files.length >= 1 + 2 + 2, files.join('\n'));
  for (const f of files) {
    const s = await stat(f);
    assert.ok(s.isFile());
    assert.equal(s.mode & 0o777, 0o600, `${f} is ${(s.mode & 0o777).toString(8)}`);
  }
  assert.deepEqual((await readdir(join(runDir, 'hosts'))).sort(), ['h1.jsonl', 'h2.jsonl']);
});

test('journal: check mode journals no op', async () => {
  const { summary, stateDir } = await run({ playbook: PB, hosts: fleet({ h1: init() }), check: true });
  const runDir = join(stateDir, 'runs', summary.runId);
  assert.deepEqual(await readdir(join(runDir, 'hosts')), []);
  assert.deepEqual(await readdir(join(runDir, 'blobs')), []);
  const [meta] = await listRuns(stateDir);
  assert.equal(meta!.check, true);
});

test('listRuns: newest first, with results', async () => {
  const stateDir = await tempDir('fleet-state-');
  const hosts = fleet({ h1: init() });
  const first = await run({ playbook: PB, hosts, stateDir });
  const second = await run({ playbook: PB, hosts, stateDir, check: true });
  const bad = await run({ playbook: yaml('- hosts: all', '  tasks:', '    - fail: { msg: x }'), hosts, stateDir });
  const runs = await listRuns(stateDir);
  assert.deepEqual(runs.map((r) => [r.id, r.result]), [
    [bad.summary.runId, 'failed'],
    [second.summary.runId, 'ok'],
    [first.summary.runId, 'ok'],
  ]);
  assert.ok(runs.every((r) => r.ended !== undefined && r.started <= r.ended!));
});
