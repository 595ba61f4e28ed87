/**
 * The systemd module over real SSH on nodes that boot real systemd
 * (test/lab/nspawn), through the real CLI. States are checked with
 * `systemctl is-active / is-enabled` inside the node (nsenter, not fleet).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createSystemdLab, type SystemdLab } from '../lab/nspawn/index.ts';
import {
  changedByHost, explain, fleetRun, hostFile, hostSh, hostTask, removeDir, runEnd, tempDir, writePlaybook,
  type FleetResult,
} from './helpers.ts';

const NODES = ['s1', 's2'];
const UNIT = 'fleet-demo';
const UNIT_FILE = `/etc/systemd/system/${UNIT}.service`;
const VENDOR = 'fleet-vendor';
const UNIT_TEXT = '[Unit]\nDescription=fleet demo\n[Service]\nExecStart=/bin/sleep infinity\n[Install]\nWantedBy=multi-user.target\n';

const DEPLOY = `
- hosts: all
  tasks:
    - name: unit file
      copy: { dest: ${UNIT_FILE}, content: ${JSON.stringify(UNIT_TEXT)} }
      register: unit
    - name: reload
      systemd: { daemon_reload: true }
      when: unit is changed
    - name: start
      systemd: { name: ${UNIT}, state: started, enabled: true }
`;

const step = (name: string, args: string, unit = UNIT): string => `
- hosts: all
  tasks:
    - name: ${name}
      systemd: { name: ${unit}, ${args} }
`;

describe('systemd module on real systemd (it-sd)', { timeout: 300_000 }, () => {
  let lab: SystemdLab;
  let dir = '';
  let state = '';
  before(async () => {
    dir = tempDir('it-sd');
    state = join(dir, 'state');
    lab = await createSystemdLab({ name: 'it-sd', nodes: NODES.map((name) => ({ name, groups: ['nodes'] })), log: () => undefined });
  });
  after(async () => {
    await lab?.down();
    removeDir(dir);
  });

  /** "ACTIVE ENABLED" (`systemctl is-active`, `is-enabled`) of a unit on every node. */
  const statesOf = async (unit: string): Promise<string[]> =>
    Promise.all(NODES.map(async (n) => {
      const r = await lab.exec(n, `echo "$(systemctl is-active ${unit}) $(systemctl is-enabled ${unit} 2>/dev/null || true)"`);
      return r.stdout.trim();
    }));
  const states = (): Promise<string[]> => statesOf(UNIT);
  const mainPid = (n: string): Promise<string> => hostSh(lab, n, `systemctl show -p MainPID --value ${UNIT}`).then((s) => s.trim());
  const run = (pb: string, extra: string[] = []): FleetResult => fleetRun(lab, pb, state, extra);
  const services = (r: FleetResult, task: string, host: string) => hostTask(r, task, host).effects.services;

  it('check mode predicts a unit that does not exist yet (file, daemon-reload, start), then the run does exactly that', async () => {
    const pb = writePlaybook(dir, 'deploy.yaml', DEPLOY);
    assert.deepEqual(await states(), NODES.map(() => 'inactive'));

    const check = run(pb, ['--check']);
    assert.equal(check.code, 0, explain(check));
    for (const n of NODES) {
      assert.equal(hostTask(check, 'start', n).status, 'changed', explain(check));
      // One change per systemctl action: enable, then start.
      assert.deepEqual(services(check, 'start', n), [
        { name: `${UNIT}.service`, before: { active: 'inactive', enabled: 'disabled' }, after: { active: 'inactive', enabled: 'enabled' } },
        { name: `${UNIT}.service`, before: { active: 'inactive', enabled: 'enabled' }, after: { active: 'active', enabled: 'enabled' } },
      ]);
      assert.equal(hostTask(check, 'reload', n).status, 'changed');
      assert.equal(await hostFile(lab, n, UNIT_FILE), null, 'check mode wrote the unit file');
    }
    assert.deepEqual(await states(), NODES.map(() => 'inactive'));
    assert.equal((await lab.exec('s1', `systemctl show -p LoadState --value ${UNIT}`)).stdout.trim(), 'not-found');

    const real = run(pb);
    assert.equal(real.code, 0, explain(real));
    assert.deepEqual(await states(), NODES.map(() => 'active enabled'));
    for (const n of NODES) {
      assert.equal(await hostFile(lab, n, UNIT_FILE), UNIT_TEXT);
      for (const t of ['unit file', 'reload', 'start']) {
        assert.equal(hostTask(real, t, n).status, hostTask(check, t, n).status, `${n} ${t}`);
        assert.deepEqual(hostTask(real, t, n).effects, hostTask(check, t, n).effects, `${n} ${t}: predicted != applied`);
      }
    }
    assert.deepEqual(runEnd(real).recap.s1!.servicesChanged, runEnd(check).recap.s1!.servicesChanged);

    const again = run(pb);
    assert.equal(again.code, 0, explain(again));
    assert.deepEqual(changedByHost(again), { s1: 0, s2: 0 }, explain(again));
    assert.equal(hostTask(again, 'reload', 's1').status, 'skipped');
  });

  it('restarted restarts (a new main PID) and always reports changed', async () => {
    const pb = writePlaybook(dir, 'restart.yaml', step('restart', 'state: restarted'));
    const pids = await Promise.all(NODES.map(mainPid));
    assert.ok(pids.every((p) => Number(p) > 0), `not running: ${pids}`);
    const r = run(pb);
    assert.equal(r.code, 0, explain(r));
    const after = await Promise.all(NODES.map(mainPid));
    for (const [i, n] of NODES.entries()) {
      assert.ok(Number(after[i]) > 0 && after[i] !== pids[i], `${n}: main PID ${pids[i]} -> ${after[i]}`);
      assert.equal(hostTask(r, 'restart', n).status, 'changed');
      assert.equal(services(r, 'restart', n)[0]!.action, 'restart');
    }
    assert.deepEqual(await states(), NODES.map(() => 'active enabled'));
  });

  it('stopped + disabled, then started + enabled again: each converges, and its second run changes nothing', async () => {
    for (const [name, args, want] of [
      ['stop', 'state: stopped, enabled: false', 'inactive disabled'],
      ['start', 'state: started, enabled: true', 'active enabled'],
    ] as const) {
      const pb = writePlaybook(dir, `${name}.yaml`, step(name, args));
      const r1 = run(pb);
      assert.equal(r1.code, 0, explain(r1));
      assert.deepEqual(await states(), NODES.map(() => want), name);
      assert.deepEqual(changedByHost(r1), { s1: 1, s2: 1 });
      const r2 = run(pb);
      assert.equal(r2.code, 0, explain(r2));
      assert.deepEqual(changedByHost(r2), { s1: 0, s2: 0 }, `${name}: ${explain(r2)}`);
      assert.deepEqual(services(r2, name, 's1'), []);
    }
  });

  it('masked and unmasked: a unit file in /etc cannot be masked (plan-time failure); a vendor unit masks, cannot start, unmasks; both idempotent', async () => {
    // `systemctl mask` refuses a unit whose file is in /etc/systemd/system: fleet says so at plan time,
    // in --check as in the real run, and touches nothing.
    const etcMask = writePlaybook(dir, 'mask-etc.yaml', step('mask etc', 'masked: true'));
    for (const extra of [['--check'], []]) {
      const r = run(etcMask, extra);
      assert.equal(r.code, 2, explain(r));
      for (const n of NODES) {
        assert.match(hostTask(r, 'mask etc', n).msg ?? '', new RegExp(`cannot mask ${UNIT}\\.service: its unit file is ${UNIT_FILE}`));
      }
    }
    assert.deepEqual(await states(), NODES.map(() => 'active enabled'));
    assert.equal(await hostFile(lab, 's1', UNIT_FILE), UNIT_TEXT);

    // A vendor unit (under /usr/lib) masks and unmasks.
    const vendor = (name: string, args: string): string => `
- hosts: all
  tasks:
    - name: vendor unit
      copy: { dest: /usr/lib/systemd/system/${VENDOR}.service, content: ${JSON.stringify(UNIT_TEXT)} }
      register: vendor
    - name: reload
      systemd: { daemon_reload: true }
      when: vendor is changed
    - name: ${name}
      systemd: { name: ${VENDOR}, ${args} }
`;
    const vstates = (): Promise<string[]> => statesOf(VENDOR);
    const setup = run(writePlaybook(dir, 'vendor.yaml', vendor('run it', 'state: started')));
    assert.equal(setup.code, 0, explain(setup));
    assert.deepEqual(await vstates(), NODES.map(() => 'active disabled'));

    const mask = writePlaybook(dir, 'mask.yaml', vendor('mask', 'state: stopped, masked: true'));
    const r1 = run(mask);
    assert.equal(r1.code, 0, explain(r1));
    assert.deepEqual(await vstates(), NODES.map(() => 'inactive masked'));
    assert.deepEqual(changedByHost(r1), { s1: 1, s2: 1 });
    const r2 = run(mask);
    assert.deepEqual(changedByHost(r2), { s1: 0, s2: 0 }, explain(r2));
    const start = await lab.exec('s1', `systemctl start ${VENDOR}`);
    assert.notEqual(start.code, 0, 'a masked unit started');

    // Starting it while masked is refused by fleet before touching the host.
    const rr = run(writePlaybook(dir, 'refuse.yaml', step('refuse', 'state: started', VENDOR)));
    assert.equal(rr.code, 2, explain(rr));
    assert.match(hostTask(rr, 'refuse', 's1').msg ?? '', /is masked; add masked: false/);
    assert.deepEqual(await vstates(), NODES.map(() => 'inactive masked'));

    const unmask = writePlaybook(dir, 'unmask.yaml', vendor('unmask', 'masked: false, state: started, enabled: true'));
    const u1 = run(unmask);
    assert.equal(u1.code, 0, explain(u1));
    assert.deepEqual(await vstates(), NODES.map(() => 'active enabled'));
    const u2 = run(unmask);
    assert.deepEqual(changedByHost(u2), { s1: 0, s2: 0 }, explain(u2));
  });
});
