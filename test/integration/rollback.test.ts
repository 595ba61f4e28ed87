/**
 * Rollback over real SSH against nodes booting real systemd: automatic
 * rollback of a failing host, manual rollback of one host and of all, drift
 * detection and --force, and rollback after the controller was SIGKILLed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSystemdLab, type SystemdLab } from '../lab/nspawn/index.ts';
import { runFleet as fleet, fleetChild, runEnd } from './helpers.ts';
import { snapshotFiles, diffSnapshots } from '../support/node-snapshot.ts';

const NODES = ['n1', 'n2', 'n3', 'n4', 'n5'];
const DIRS = ['/etc/demo', '/etc/systemd/system', '/opt/demo'];

const UNIT = `[Unit]
Description=demo service
[Service]
ExecStart=/bin/sleep infinity
[Install]
WantedBy=multi-user.target
`;

const PLAYBOOK = `
- name: change things, fail on one host
  hosts: all
  tasks:
    - name: rewrite a.conf
      copy: { dest: /etc/demo/a.conf, content: "a = 2\\n", mode: "0600" }
    - name: add a line to b.conf
      lineinfile: { path: /etc/demo/b.conf, line: "added by fleet" }
    - name: new c.conf from a template
      template: { src: c.conf.hbs, dest: /etc/demo/c.conf }
    - name: drop-in directory
      file: { path: /etc/systemd/system/demo.service.d, state: directory }
    - name: a drop-in for demo
      copy:
        dest: /etc/systemd/system/demo.service.d/override.conf
        content: "[Service]\\nEnvironment=FLEET=1\\n"
      notify: reload
    - name: remove /opt/demo
      file: { path: /opt/demo, state: absent }
    - name: stop and disable demo
      systemd: { name: demo, state: stopped, enabled: false }
    - name: slow step
      shell: "sleep {{ pause }}"
      changed_when: false
      rollback: "true"
    - name: fail on one host
      fail: { msg: "verification failed on {{ inventory_hostname }}" }
      when: inventory_hostname == fail_host
  handlers:
    - name: reload
      systemd: { daemon_reload: true }
`;

describe('rollback on real-systemd nodes', { timeout: 600_000 }, () => {
  let lab: SystemdLab;
  let dir: string;
  let pb: string;
  let base: string[];
  const before0 = new Map<string, Map<string, string>>();

  const snap = (node: string) => snapshotFiles((s) => lab.exec(node, s), DIRS);
  const svc = async (node: string) => (await lab.exec(node, 'echo $(systemctl is-active demo) $(systemctl is-enabled demo)')).stdout.trim();
  const assertAsBefore = async (node: string) => {
    assert.deepEqual(diffSnapshots(before0.get(node)!, await snap(node)), [], `${node} files differ from before the run`);
    assert.equal(await svc(node), 'active enabled', `${node} demo service`);
  };

  before(async () => {
    lab = await createSystemdLab({ name: 'it-rb', nodes: NODES.map((name) => ({ name, groups: ['nodes'] })) });
    dir = mkdtempSync(join(tmpdir(), 'fleet-rb-'));
    mkdirSync(join(dir, 'templates'));
    writeFileSync(join(dir, 'templates', 'c.conf.hbs'), 'host = {{ inventory_hostname }}\ncidr = {{ cidr }}\n');
    pb = join(dir, 'play.yaml');
    writeFileSync(pb, PLAYBOOK);
    base = ['-i', lab.inventoryPath, '--known-hosts', lab.knownHostsPath, '--state-dir', join(dir, 'state'), '--output', 'json'];
    await Promise.all(NODES.map(async (n) => {
      const r = await lab.exec(n, [
        'set -e',
        'mkdir -p /etc/demo /opt/demo/sub',
        'printf "a = 1\\n" > /etc/demo/a.conf && chmod 0644 /etc/demo/a.conf',
        'printf "b = 1\\n" > /etc/demo/b.conf',
        'printf "data\\n" > /opt/demo/sub/file && ln -s sub/file /opt/demo/link',
        `cat > /etc/systemd/system/demo.service <<'EOF'\n${UNIT}EOF`,
        'systemctl daemon-reload && systemctl enable --now demo',
      ].join('\n'));
      assert.equal(r.code, 0, r.stderr);
      before0.set(n, await snap(n));
      assert.equal(await svc(n), 'active enabled');
    }));
  });

  after(async () => {
    await lab?.down();
  });

  const vars = (failHost: string, pause = 0) => ['-e', `fail_host=${failHost}`, '-e', 'cidr=172.30.0.0/16', '-e', `pause=${pause}`];

  it('rolls a failing host back byte for byte; the others keep their changes', async () => {
    const r = fleet(['run', pb, ...base, ...vars('n3')]);
    assert.equal(r.code, 2, r.stderr);
    const end = runEnd(r);
    assert.equal(end.recap.n3!.state, 'rolled-back');
    assert.equal(end.recap.n3!.rolledBack, 1);
    assert.ok(r.events.some((e) => e.kind === 'rollback-end' && e.host === 'n3' && e.status === 'rolled-back'));
    await assertAsBefore('n3');
    for (const n of ['n1', 'n2', 'n4', 'n5']) {
      assert.equal(end.recap[n]!.state, 'ok');
      assert.equal((await lab.exec(n, 'cat /etc/demo/a.conf')).stdout, 'a = 2\n');
      assert.equal(await svc(n), 'inactive disabled');
      assert.equal((await lab.exec(n, 'test -e /opt/demo; echo $?')).stdout.trim(), '1');
    }
    // manual rollback: one host, then every host the run touched
    const run = end.runId;
    const one = fleet(['rollback', run, '--host', 'n1', ...base]);
    assert.equal(one.code, 0, one.stderr + one.stdout);
    await assertAsBefore('n1');
    assert.equal((await lab.exec('n2', 'cat /etc/demo/a.conf')).stdout, 'a = 2\n', 'n2 untouched by a rollback of n1');
    const all = fleet(['rollback', run, ...base]);
    assert.equal(all.code, 0, all.stderr + all.stdout);
    for (const n of NODES) await assertAsBefore(n);
  });

  it('refuses to restore a file changed since fleet wrote it, unless --force', async () => {
    const r = fleet(['run', pb, ...base, ...vars('none')]);
    assert.equal(r.code, 0, r.stderr);
    const run = runEnd(r).runId;
    await lab.exec('n2', 'echo "edited by hand" >> /etc/demo/a.conf');
    const check = fleet(['rollback', run, '--host', 'n2', '--check', ...base]);
    assert.equal(check.code, 2);
    const refused = fleet(['rollback', run, '--host', 'n2', ...base]);
    assert.equal(refused.code, 2);
    assert.match(refused.stdout, /\/etc\/demo\/a\.conf changed since fleet wrote it/);
    const forced = fleet(['rollback', run, '--host', 'n2', '--force', ...base]);
    assert.equal(forced.code, 0, forced.stdout + forced.stderr);
    await assertAsBefore('n2');
    const rest = fleet(['rollback', run, ...NODES.filter((n) => n !== 'n2').flatMap((n) => ['--host', n]), ...base]);
    assert.equal(rest.code, 0, rest.stdout);
    for (const n of NODES) await assertAsBefore(n);
  });

  it('restores every touched host after the controller is killed with SIGKILL', async () => {
    const child = fleetChild(['run', pb, ...base, ...vars('none', 30)]);
    const stateRuns = join(dir, 'state', 'runs');
    // wait until every host has journaled the drop-in write and the stop (the slow step comes after)
    const deadline = Date.now() + 60_000;
    let runId = '';
    for (;;) {
      assert.ok(Date.now() < deadline, 'the run did not reach the slow step in time');
      await new Promise((r) => setTimeout(r, 200));
      if (!existsSync(stateRuns)) continue;
      const runs = readdirSync(stateRuns).sort();
      runId = runs[runs.length - 1] ?? '';
      const hostsDir = join(stateRuns, runId, 'hosts');
      if (!runId || !existsSync(hostsDir)) continue;
      const ready = NODES.every((n) => {
        const f = join(hostsDir, `${n}.jsonl`);
        return existsSync(f) && readFileSync(f, 'utf8').includes('sleep 30');
      });
      if (ready) break;
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const rb = fleet(['rollback', runId, ...base]);
    assert.equal(rb.code, 0, rb.stdout + rb.stderr);
    for (const n of NODES) await assertAsBefore(n);
  });
});
