import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fleet, ofKind, run, taskLines, yaml } from './helpers.ts';
import type { MemoryHost, MemoryHostInit } from '../support/memory-host.ts';

const names = (n: number) => Array.from({ length: n }, (_, i) => `h${i + 1}`);
const hostsOf = (n: number, init: MemoryHostInit = {}) => fleet(Object.fromEntries(names(n).map((h) => [h, init])));

/** A play whose first task fails on the hosts listed in `bad`. */
function play(opts: string[], bad: string[]): string {
  return yaml(
    '- hosts: all',
    ...opts.map((o) => `  ${o}`),
    `  vars: { bad: ${JSON.stringify(bad)} }`,
    '  tasks:',
    '    - name: maybe fail',
    '      fail: { msg: boom }',
    '      when: inventory_hostname in bad',
    '    - name: after',
    '      debug: { msg: fine }',
  );
}

function untouched(h: MemoryHost): void {
  assert.equal(h.connections, 0, `${h.name} was connected`);
  assert.equal(h.roundTrips, 0, `${h.name} was contacted`);
}

test('serial [1, 2, "50%"] over 5 hosts: batches of 1, 2, 2', async () => {
  const hosts = hostsOf(5);
  const { summary, events } = await run({ playbook: play(['serial: [1, 2, "50%"]'], []), hosts });
  assert.equal(summary.result, 'ok');
  assert.deepEqual(ofKind(events, 'batch-start').map((e) => [e.index, e.count, e.hosts]), [
    [1, 3, ['h1']],
    [2, 3, ['h2', 'h3']],
    [3, 3, ['h4', 'h5']],
  ]);
  // a batch finishes before the next starts
  const kinds = events.filter((e) => e.kind === 'batch-start' || e.kind === 'host-task').map((e) => (e.kind === 'batch-start' ? `batch ${e.index}` : `${e.host === 'h1' ? 'h1' : 'h?'} ${e.task}`));
  assert.deepEqual(kinds, [
    'batch 1', 'h1 maybe fail', 'h1 after',
    'batch 2', 'h? maybe fail', 'h? maybe fail', 'h? after', 'h? after',
    'batch 3', 'h? maybe fail', 'h? maybe fail', 'h? after', 'h? after',
  ]);
  // (hosts of one batch finish a task in any order)
  assert.deepEqual(taskLines(events).slice(2, 4).sort(), ['h2 maybe fail skipped', 'h3 maybe fail skipped']);
  assert.deepEqual(Object.keys(summary.recap), names(5));
  for (const h of names(5)) assert.deepEqual([summary.recap[h]!.ok, summary.recap[h]!.skipped, summary.recap[h]!.state], [1, 1, 'ok']);
});

test('max_fail_percentage 0 with serial 1: the first failing host stops the rollout; later hosts are never contacted', async () => {
  const hosts = hostsOf(5);
  const { summary, events } = await run({ playbook: play(['serial: 1', 'max_fail_percentage: 0'], ['h2']), hosts });
  assert.equal(summary.result, 'failed');
  assert.deepEqual(ofKind(events, 'batch-start').map((e) => e.hosts), [['h1'], ['h2']]);
  assert.deepEqual(taskLines(events), ['h1 maybe fail skipped', 'h1 after ok', 'h2 maybe fail failed']);
  const stopped = ofKind(events, 'rollout-stopped');
  assert.equal(stopped.length, 1);
  assert.match(stopped[0]!.reason, /1 of 1 hosts in batch 2 failed \(100% > max_fail_percentage 0%\)/);
  for (const h of ['h3', 'h4', 'h5']) {
    untouched(hosts.get(h)!);
    assert.equal(summary.recap[h]!.state, 'not-run');
  }
  assert.equal(summary.recap.h1!.state, 'ok');
  assert.equal(summary.recap.h2!.state, 'failed');
  assert.equal(hosts.get('h2')!.connections, 1);
});

test('without max_fail_percentage a batch with some failures does not stop the rollout', async () => {
  const hosts = hostsOf(4);
  const { summary, events } = await run({ playbook: play(['serial: 2'], ['h1']), hosts });
  assert.equal(summary.result, 'failed');
  assert.equal(ofKind(events, 'rollout-stopped').length, 0);
  assert.deepEqual(ofKind(events, 'batch-start').map((e) => e.hosts), [['h1', 'h2'], ['h3', 'h4']]);
  assert.deepEqual(taskLines(events, 'h4'), ['h4 maybe fail skipped', 'h4 after ok']);
  assert.deepEqual(Object.fromEntries(names(4).map((h) => [h, summary.recap[h]!.state])), { h1: 'failed', h2: 'ok', h3: 'ok', h4: 'ok' });
});

test('a batch where every host fails stops the rollout', async () => {
  const hosts = hostsOf(4);
  const { summary, events } = await run({ playbook: play(['serial: 2'], ['h1', 'h2']), hosts });
  assert.equal(summary.result, 'failed');
  assert.deepEqual(ofKind(events, 'batch-start').map((e) => e.hosts), [['h1', 'h2']]);
  assert.deepEqual(ofKind(events, 'rollout-stopped').map((e) => e.reason), ['every host in batch 1 failed']);
  untouched(hosts.get('h3')!);
  untouched(hosts.get('h4')!);
  assert.deepEqual(ofKind(events, 'run-end').map((e) => e.result), ['failed']);
});

test('any_errors_fatal: one failure ends the play on every host after the current task, and no later batch runs', async () => {
  const hosts = hostsOf(5);
  const { summary, events } = await run({ playbook: play(['serial: 3', 'any_errors_fatal: true'], ['h2']), hosts });
  assert.equal(summary.result, 'failed');
  // every host of the batch finished the failing task; none ran the next one
  assert.deepEqual(taskLines(events).sort(), ['h1 maybe fail skipped', 'h2 maybe fail failed', 'h3 maybe fail skipped']);
  assert.deepEqual(ofKind(events, 'rollout-stopped').map((e) => e.reason), ['any_errors_fatal: a host failed']);
  untouched(hosts.get('h4')!);
  untouched(hosts.get('h5')!);
});

test('a later play only runs on hosts that did not fail in an earlier one', async () => {
  const hosts = hostsOf(3);
  const pb = play([], ['h3']) + yaml('- hosts: all', '  tasks:', '    - { name: second, debug: { msg: hi } }');
  const { summary, events } = await run({ playbook: pb, hosts });
  assert.deepEqual(ofKind(events, 'play-start').map((e) => e.hosts), [['h1', 'h2', 'h3'], ['h1', 'h2']]);
  assert.deepEqual(taskLines(events).filter((l) => l.includes('second')), ['h1 second ok', 'h2 second ok']);
  assert.equal(summary.recap.h3!.state, 'failed');
});

test('an unreachable host is reported unreachable; the others go on', async () => {
  const hosts = fleet({ h1: {}, h2: { unreachable: true }, h3: {} });
  const { summary, events } = await run({ playbook: play([], []), hosts });
  assert.deepEqual(taskLines(events, 'h2'), ['h2 maybe fail skipped', 'h2 after unreachable']);
  assert.deepEqual(taskLines(events, 'h3'), ['h3 maybe fail skipped', 'h3 after ok']);
  assert.equal(summary.recap.h2!.state, 'unreachable');
  assert.equal(summary.recap.h2!.unreachable, 1);
  assert.equal(summary.result, 'unreachable');
});

test('any_errors_fatal: a failure that a rescue section handles is not fatal; an unrescued one in a rescue is', async () => {
  const pb = (rescueFails: boolean) => yaml(
    '- hosts: all',
    '  any_errors_fatal: true',
    '  tasks:',
    '    - name: b',
    '      block:',
    '        - { name: try, fail: { msg: x }, when: inventory_hostname == "h2" }',
    '      rescue:',
    `        - { name: fix, ${rescueFails ? 'fail: { msg: cannot fix }' : 'debug: { msg: fixed }'} }`,
    '    - { name: after, debug: { msg: y } }',
  );
  const ok = await run({ playbook: pb(false), hosts: hostsOf(2) });
  assert.deepEqual(taskLines(ok.events, 'h2'), ['h2 try failed', 'h2 fix ok', 'h2 after ok']);
  assert.deepEqual(taskLines(ok.events, 'h1'), ['h1 try skipped', 'h1 after ok']);
  assert.equal(ofKind(ok.events, 'rollout-stopped').length, 0);
  assert.equal(ok.summary.result, 'ok');

  const bad = await run({ playbook: pb(true), hosts: hostsOf(2) });
  assert.deepEqual(taskLines(bad.events, 'h2'), ['h2 try failed', 'h2 fix failed']);
  assert.deepEqual(taskLines(bad.events, 'h1'), ['h1 try skipped']);
  assert.deepEqual(ofKind(bad.events, 'rollout-stopped').map((e) => e.reason), ['any_errors_fatal: a host failed']);
  assert.equal(bad.summary.result, 'failed');
});
