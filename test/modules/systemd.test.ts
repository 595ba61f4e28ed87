import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemd, unitName } from '../../src/modules/systemd.ts';
import type { Op } from '../../src/modules/types.ts';
import { argErrors, converge, fileState, MemoryFacts, plan, service } from '../support/memory-facts.ts';

const U = 'flanneld.service';
const sc = (action: string, unit = U): Op => ({ op: 'systemctl', unit, action } as Op);

function host(active: string, enabled = 'enabled', load = 'loaded'): MemoryFacts {
  return new MemoryFacts().setService(service(U, load, active, enabled));
}

test('unit names get .service unless they name a unit type', () => {
  assert.equal(unitName('flanneld'), 'flanneld.service');
  assert.equal(unitName('docker.socket'), 'docker.socket');
  assert.equal(unitName('getty@tty1'), 'getty@tty1.service');
  assert.equal(unitName('opt-k8s.mount'), 'opt-k8s.mount');
});

test('state transitions: every wanted state x every current ActiveState', async () => {
  const table: Record<string, Record<string, string | undefined>> = {
    //            wanted: started   stopped   restarted  reloaded
    active:       { started: undefined, stopped: 'stop', restarted: 'restart', reloaded: 'reload' },
    activating:   { started: undefined, stopped: 'stop', restarted: 'restart', reloaded: 'reload' },
    reloading:    { started: undefined, stopped: 'stop', restarted: 'restart', reloaded: 'reload' },
    inactive:     { started: 'start', stopped: undefined, restarted: 'start', reloaded: 'start' },
    failed:       { started: 'start', stopped: undefined, restarted: 'start', reloaded: 'start' },
    deactivating: { started: 'start', stopped: 'stop', restarted: 'start', reloaded: 'start' },
  };
  for (const [active, row] of Object.entries(table)) {
    for (const [state, action] of Object.entries(row)) {
      const p = await plan(systemd, { name: 'flanneld', state }, host(active));
      assert.equal(p.fail, undefined, `${active} -> ${state}`);
      assert.deepEqual(p.ops, action ? [sc(action)] : [], `${active} -> ${state}`);
    }
  }
});

test('enabled: every UnitFileState', async () => {
  const table: Record<string, { on: string | undefined | RegExp; off: string | undefined | RegExp }> = {
    enabled: { on: undefined, off: 'disable' },
    'enabled-runtime': { on: undefined, off: 'disable' },
    alias: { on: undefined, off: 'disable' },
    disabled: { on: 'enable', off: undefined },
    linked: { on: 'enable', off: undefined },
    static: { on: undefined, off: /cannot disable flanneld.service: it is static/ },
    generated: { on: undefined, off: /cannot disable flanneld.service: it is generated/ },
    transient: { on: undefined, off: /cannot disable/ },
    indirect: { on: /cannot enable flanneld.service: it is indirect/, off: undefined },
    bad: { on: /UnitFileState is 'bad'/, off: /UnitFileState is 'bad'/ },
  };
  for (const [ufs, want] of Object.entries(table)) {
    for (const [enabled, expected] of [[true, want.on], [false, want.off]] as const) {
      const p = await plan(systemd, { name: 'flanneld', enabled }, host('active', ufs));
      if (expected instanceof RegExp) {
        assert.match(p.fail ?? '', expected, `${ufs} enabled=${enabled}`);
        assert.deepEqual(p.ops, []);
      } else {
        assert.equal(p.fail, undefined, `${ufs} enabled=${enabled}`);
        assert.deepEqual(p.ops, expected ? [sc(expected)] : [], `${ufs} enabled=${enabled}`);
      }
    }
  }
});

test('ops come in order: daemon-reload, unmask, enable, start', async () => {
  const p = await plan(
    systemd,
    { name: 'flanneld', state: 'started', enabled: true, masked: false, daemon_reload: true },
    host('inactive', 'masked', 'masked'),
  );
  assert.deepEqual(p.ops, [{ op: 'daemon-reload' }, sc('unmask'), sc('enable'), sc('start')]);
});

test('stopping and disabling', async () => {
  const p = await plan(systemd, { name: 'flanneld', state: 'stopped', enabled: false }, host('active', 'enabled'));
  assert.deepEqual(p.ops, [sc('disable'), sc('stop')]);
});

test('masking', async () => {
  assert.deepEqual((await plan(systemd, { name: 'flanneld', masked: true, state: 'stopped' }, host('active'))).ops, [
    sc('mask'),
    sc('stop'),
  ]);
  assert.deepEqual((await plan(systemd, { name: 'flanneld', masked: true }, host('inactive', 'masked', 'masked'))).ops, []);
  assert.deepEqual((await plan(systemd, { name: 'flanneld', masked: false }, host('inactive', 'disabled'))).ops, []);
  const masked = await plan(systemd, { name: 'flanneld', state: 'started' }, host('inactive', 'masked', 'masked'));
  assert.match(masked.fail ?? '', /flanneld.service is masked; add masked: false/);
  const enable = await plan(systemd, { name: 'flanneld', enabled: true }, host('inactive', 'masked', 'masked'));
  assert.match(enable.fail ?? '', /is masked/);
  // A masked unit is not enabled: enabled: false already holds.
  assert.deepEqual((await plan(systemd, { name: 'flanneld', enabled: false }, host('inactive', 'masked', 'masked'))).ops, []);
});

test('a unit that is not found', async () => {
  const none = new MemoryFacts();
  for (const args of [{ state: 'started' }, { state: 'restarted' }, { state: 'reloaded' }, { enabled: true }]) {
    const p = await plan(systemd, { name: 'flanneld', ...args }, none);
    assert.deepEqual(p, { ops: [], fail: 'unit flanneld.service not found' }, JSON.stringify(args));
  }
  for (const args of [{ state: 'stopped' }, { enabled: false }, { masked: false }, { state: 'stopped', enabled: false }]) {
    const p = await plan(systemd, { name: 'flanneld', ...args }, none);
    assert.deepEqual(p, { ops: [] }, JSON.stringify(args));
  }
  assert.deepEqual((await plan(systemd, { name: 'flanneld', masked: true }, none)).ops, [sc('mask')]);
  assert.deepEqual((await plan(systemd, { name: 'flanneld', state: 'stopped', daemon_reload: true }, none)).ops, [
    { op: 'daemon-reload' },
  ]);
});

test('daemon_reload alone is always an op (reported as changed)', async () => {
  const f = new MemoryFacts();
  assert.deepEqual((await plan(systemd, { daemon_reload: true }, f)).ops, [{ op: 'daemon-reload' }]);
  assert.deepEqual(f.reads, [], 'no unit is read without a name');
  assert.deepEqual((await plan(systemd, { name: 'flanneld', daemon_reload: true }, f)).ops, [{ op: 'daemon-reload' }]);
  assert.deepEqual(f.reads, [], 'nor when nothing about the unit is asked');
});

test('converging: plan, apply, plan again gives no ops', async () => {
  const cases: Array<[Record<string, unknown>, [string, string, string]]> = [
    [{ state: 'started', enabled: true }, ['loaded', 'failed', 'disabled']],
    [{ state: 'stopped', enabled: false }, ['loaded', 'active', 'enabled']],
    [{ state: 'started', enabled: true, masked: false }, ['masked', 'inactive', 'masked']],
    [{ state: 'stopped', masked: true }, ['loaded', 'active', 'enabled']],
  ];
  for (const [args, [load, active, enabled]] of cases) {
    const f = new MemoryFacts().setService(service(U, load, active, enabled));
    const { first, second } = await converge(systemd, { name: 'flanneld', ...args }, f);
    assert.ok(first.ops.length > 0);
    assert.deepEqual(second.ops, [], JSON.stringify(args));
  }
});

test('systemd schema rejections', () => {
  assert.match(argErrors(systemd, {}).join(), /at least one of state, enabled, masked, daemon_reload/);
  assert.match(argErrors(systemd, { name: 'x' }).join(), /at least one of/);
  assert.match(argErrors(systemd, { state: 'started' }).join(), /'name' is required/);
  assert.match(argErrors(systemd, { name: 'x', state: 'running' }).join(), /state/);
  assert.match(argErrors(systemd, { name: 'x', enabled: 'yes' }).join(), /enabled/);
  assert.match(argErrors(systemd, { name: 'x; reboot', state: 'started' }).join(), /systemd unit name/);
  assert.match(argErrors(systemd, { name: '-x', state: 'started' }).join(), /systemd unit name/);
  assert.match(argErrors(systemd, { name: 'x', masked: true, state: 'started' }).join(), /cannot be masked and also/);
  assert.match(argErrors(systemd, { name: 'x', state: 'started', scope: 'user' }).join(), /Unrecognized key.*scope/);
  assert.deepEqual(argErrors(systemd, { daemon_reload: true }), []);
  assert.deepEqual(argErrors(systemd, { name: 'x', masked: true, state: 'stopped' }), []);
});

test('daemon_reload with a state in one task: a unit file systemd does not know yet is planned as loaded', async () => {
  const facts = new MemoryFacts().setService(service('later.service', 'not-found', 'inactive', ''));
  const none = await plan(systemd, { name: 'later', daemon_reload: true, state: 'started' }, facts);
  assert.equal(none.fail, 'unit later.service not found');
  facts.set('/etc/systemd/system/later.service', fileState('[Service]\nExecStart=/bin/true\n'));
  const p = await plan(systemd, { name: 'later', daemon_reload: true, state: 'started', enabled: true }, facts);
  assert.equal(p.fail, undefined);
  assert.deepEqual(p.ops, [{ op: 'daemon-reload' }, sc('enable', 'later.service'), sc('start', 'later.service')]);
});
