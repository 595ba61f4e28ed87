import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fleet, ofKind, run, taskLines, yaml } from './helpers.ts';
import type { CommandHandler, ConcurrencyProbe } from '../support/memory-host.ts';

const THREE_STEPS = (strategy: string) => yaml(
  '- hosts: all',
  `  strategy: ${strategy}`,
  '  tasks:',
  '    - { name: s1, command: step1 }',
  '    - { name: s2, command: step2 }',
  '    - { name: s3, command: step3 }',
);

/** Commands step1..3 that log their start and end into `trace`, taking `ms` each. */
function steps(trace: string[], host: string, ms: number): Record<string, CommandHandler> {
  const out: Record<string, CommandHandler> = {};
  for (const n of [1, 2, 3]) {
    out[`step${n}`] = async () => {
      trace.push(`start ${host} s${n}`);
      await new Promise((r) => setTimeout(r, ms));
      trace.push(`end ${host} s${n}`);
      return { stdout: `${host} ${n}\n` };
    };
  }
  return out;
}

test('linear: no host starts task N+1 before every host finished task N', async () => {
  const trace: string[] = [];
  const hosts = fleet({
    h1: { commands: steps(trace, 'h1', 25) },
    h2: { commands: steps(trace, 'h2', 1) },
    h3: { commands: steps(trace, 'h3', 10) },
  });
  const { summary, events } = await run({ playbook: THREE_STEPS('linear'), hosts });
  assert.equal(summary.result, 'ok');
  assert.equal(trace.length, 18);
  for (const n of [1, 2]) {
    const lastEnd = Math.max(...['h1', 'h2', 'h3'].map((h) => trace.indexOf(`end ${h} s${n}`)));
    const firstStart = Math.min(...['h1', 'h2', 'h3'].map((h) => trace.indexOf(`start ${h} s${n + 1}`)));
    assert.ok(lastEnd >= 0 && lastEnd < firstStart, `task ${n + 1} started before task ${n} ended everywhere:\n${trace.join('\n')}`);
  }
  // host-task events come grouped by task; each task is announced once for all hosts
  const lines = taskLines(events);
  assert.deepEqual(lines.map((l) => l.split(' ')[1]), ['s1', 's1', 's1', 's2', 's2', 's2', 's3', 's3', 's3']);
  assert.ok(lines.every((l) => l.endsWith(' changed')));
  assert.deepEqual(ofKind(events, 'task-start').map((e) => [e.task, e.hosts]), [
    ['s1', ['h1', 'h2', 'h3']],
    ['s2', ['h1', 'h2', 'h3']],
    ['s3', ['h1', 'h2', 'h3']],
  ]);
  for (const h of ['h1', 'h2', 'h3']) assert.equal(summary.recap[h]!.changed, 3);
});

test('free: a fast host runs ahead of a slow one', async () => {
  const trace: string[] = [];
  // the slow host's first step waits until the fast host has finished all three steps
  // (or 10 s: a strategy that kept hosts in step would make the assertions below fail)
  let fastDone!: () => void;
  const fastFinished = new Promise<void>((r) => { fastDone = r; });
  const slow = steps(trace, 'slow', 1);
  const slowStep1 = slow.step1 as () => Promise<{ stdout: string }>;
  slow.step1 = async () => {
    await Promise.race([fastFinished, new Promise((r) => setTimeout(r, 10_000))]);
    return slowStep1();
  };
  const fast = steps(trace, 'fast', 1);
  const fastStep3 = fast.step3 as () => Promise<{ stdout: string }>;
  fast.step3 = async () => {
    const r = await fastStep3();
    fastDone();
    return r;
  };
  const hosts = fleet({ slow: { commands: slow }, fast: { commands: fast }, mid: { commands: steps(trace, 'mid', 1) } });
  const { summary, events } = await run({ playbook: THREE_STEPS('free'), hosts });
  assert.equal(summary.result, 'ok');
  assert.ok(trace.indexOf('end fast s3') < trace.indexOf('start slow s1'), trace.join('\n'));
  const fastStartsS3 = events.findIndex((e) => e.kind === 'task-start' && e.task === 's3' && e.hosts[0] === 'fast');
  const slowEndsS1 = events.findIndex((e) => e.kind === 'host-task' && e.task === 's1' && e.host === 'slow');
  assert.ok(fastStartsS3 >= 0 && fastStartsS3 < slowEndsS1, 'fast started its 3rd task before slow finished its 1st');
  assert.deepEqual(taskLines(events, 'slow'), ['slow s1 changed', 'slow s2 changed', 'slow s3 changed']);
  // free announces each task per host
  assert.equal(ofKind(events, 'task-start').length, 9);
  assert.ok(ofKind(events, 'task-start').every((e) => e.hosts.length === 1));
});

test('linear: with one host failing, the others still go task by task and the failed host stops', async () => {
  const trace: string[] = [];
  const bad = steps(trace, 'h2', 1);
  bad.step2 = { code: 1, stderr: 'boom\n' };
  const hosts = fleet({ h1: { commands: steps(trace, 'h1', 5) }, h2: { commands: bad }, h3: { commands: steps(trace, 'h3', 5) } });
  const { summary, events } = await run({ playbook: THREE_STEPS('linear'), hosts, noRollback: true });
  assert.equal(summary.result, 'failed');
  assert.deepEqual(taskLines(events, 'h2'), ['h2 s1 changed', 'h2 s2 failed']);
  assert.deepEqual(taskLines(events, 'h1'), ['h1 s1 changed', 'h1 s2 changed', 'h1 s3 changed']);
  assert.equal(summary.recap.h2!.state, 'failed');
  assert.equal(summary.recap.h1!.state, 'ok');
  assert.deepEqual(ofKind(events, 'task-start').map((e) => [e.task, e.hosts]), [
    ['s1', ['h1', 'h2', 'h3']],
    ['s2', ['h1', 'h2', 'h3']],
    ['s3', ['h1', 'h3']],
  ]);
});

for (const [forks, strategy] of [[1, 'free'], [2, 'free'], [3, 'free'], [1, 'linear'], [2, 'linear']] as const) {
  test(`forks ${forks}, ${strategy}: exactly ${forks} commands run at once over 5 hosts`, async () => {
    // check mode with check_mode: false probes: the commands run, and no journal fsync blurs the timing
    const probe: ConcurrencyProbe = { inFlight: 0, max: 0 };
    const init = Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((n) => [n, { probe, delayMs: 15, commands: { work: {} } }]));
    const hosts = fleet(init);
    const { summary } = await run({
      playbook: yaml('- hosts: all', `  strategy: ${strategy}`, '  tasks:', '    - { command: work, check_mode: false }', '    - { command: work, check_mode: false }'),
      hosts,
      forks,
      check: true,
    });
    assert.equal(summary.result, 'ok');
    assert.equal(probe.max, forks, `max concurrent execs ${probe.max}`);
    for (const h of hosts.values()) assert.deepEqual(h.log, ['work', 'work']);
  });
}

test('forks 2 in apply mode: never more than 2 commands at once', async () => {
  const probe: ConcurrencyProbe = { inFlight: 0, max: 0 };
  const hosts = fleet(Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((n) => [n, { probe, delayMs: 10, commands: { work: {} } }])));
  const { summary } = await run({ playbook: yaml('- hosts: all', '  tasks:', '    - command: work', '    - command: work'), hosts, forks: 2 });
  assert.equal(summary.result, 'ok');
  assert.ok(probe.max >= 1 && probe.max <= 2, `max concurrent execs ${probe.max}`);
  for (const h of hosts.values()) assert.deepEqual(h.log, ['work', 'work']);
});
