/** bench/tools.ts and bench/report.ts: command lines, judging a run's output, ratios and goals. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { invocation, judge } from '../../bench/tools.ts';
import { evaluateGoals, formatReport, pointRatios, summarizeTool, type BenchResults, type PointResult, type RunRecord } from '../../bench/report.ts';
import { TASKS } from '../../bench/scenario.ts';

const lab = { inventoryPath: '/l/inventory.yaml', knownHostsPath: '/l/known_hosts' };

function fleetOutput(hosts: string[], state = 'ok', result = 'ok'): string {
  const lines = hosts.flatMap((h) => TASKS.map((task, i) => ({ kind: 'host-task', host: h, task, status: 'ok', durationMs: (i + 1) * 10 })));
  const recap = Object.fromEntries(hosts.map((h) => [h, { state, failed: state === 'ok' ? 0 : 1, unreachable: 0 }]));
  return [...lines, { kind: 'run-end', result, recap }].map((e) => JSON.stringify(e)).join('\n') + '\n';
}

describe('bench tools', () => {
  it('starts fleet with forks, check, tags, limit and a private state dir', () => {
    const inv = invocation('fleet-check', lab, { forks: 50, limit: 'h1', steps: 3, scratch: '/s' });
    const a = inv.argv.join(' ');
    assert.match(a, /bin\/fleet\.js run \S+bench\/playbooks\/bench\.yaml -i \/l\/inventory\.yaml --known-hosts \/l\/known_hosts --output json --state-dir \/s\/state --forks 50 --check --tags t01,t02,t03 --limit h1$/);
    assert.doesNotMatch(invocation('fleet-apply', lab, { forks: 10, scratch: '/s' }).argv.join(' '), /--check|--tags|--limit/);
    assert.throws(() => invocation('fleet-compiled-apply', lab, { forks: 1, scratch: '/s' }), /tsc build/);
  });

  it('starts ansible-playbook with forks = hosts, its config, the lab known_hosts and a fresh control path dir', () => {
    const inv = invocation('ansible-apply', lab, { forks: 50, scratch: '/s', steps: 0 });
    assert.deepEqual(inv.argv.slice(0, 5), ['ansible-playbook', '-i', '/l/inventory.yaml', '-f', '50']);
    assert.deepEqual(inv.argv.slice(-2), ['--tags', 't00']);
    assert.match(String(inv.env.ANSIBLE_CONFIG), /bench\/ansible\/ansible\.cfg$/);
    assert.equal(inv.env.ANSIBLE_SSH_COMMON_ARGS, '-o UserKnownHostsFile=/l/known_hosts -o StrictHostKeyChecking=yes');
    assert.equal(inv.env.ANSIBLE_SSH_CONTROL_PATH_DIR, '/s/cp');
    assert.equal(inv.env.LC_ALL, 'C.UTF-8');
  });

  it('counts a fleet run only when it ended ok on every host, with per-task medians', () => {
    const good = judge('fleet-apply', 0, fleetOutput(['h1', 'h2']), '', 2);
    assert.equal(good.ok, true);
    assert.deepEqual(good.perTaskMs, TASKS.map((_, i) => (i + 1) * 10));
    assert.equal(judge('fleet-apply', 0, fleetOutput(['h1']), '', 2).ok, false, 'a host missing');
    assert.equal(judge('fleet-apply', 2, fleetOutput(['h1', 'h2'], 'failed', 'failed'), 'boom', 2).ok, false);
    assert.equal(judge('fleet-apply', 1, fleetOutput(['h1', 'h2']), '', 2).ok, false, 'exit code');
    assert.equal(judge('fleet-check', 0, 'not json at all\n', '', 1).ok, false);
  });

  it('counts an Ansible run only when the recap shows every host without failures', () => {
    const recap = (failed: number) => `PLAY RECAP ****\nh1                         : ok=12   changed=7    unreachable=0    failed=${failed}    skipped=0\nh2                         : ok=12   changed=7    unreachable=0    failed=0    skipped=0\n`;
    assert.equal(judge('ansible-apply', 0, recap(0), '', 2).ok, true);
    assert.equal(judge('ansible-apply', 2, recap(1), '', 2).ok, false);
    assert.equal(judge('ansible-check', 0, recap(0), '', 3).ok, false);
  });

  it("counts a floor run from its summary line", () => {
    const line = (ok: boolean, hosts: number) => JSON.stringify({ ok, hosts, steps: 12, perStepMs: TASKS.map(() => 5), failures: ok ? [] : ['h1: x'] });
    assert.equal(judge('floor', 0, line(true, 3), '', 3).ok, true);
    assert.equal(judge('floor', 1, line(false, 3), '', 3).ok, false);
    assert.equal(judge('floor', 0, line(true, 2), '', 3).ok, false);
  });
});

function rec(tool: RunRecord['tool'], wallMs: number, ok = true): RunRecord {
  return {
    tool, round: 0, ok, wallMs, firstByteMs: 100, cpuMs: wallMs / 2, userMs: wallMs / 3, sysMs: wallMs / 6,
    peakTreeRssKiB: 1024, peakProcessRssKiB: 512, peakProcesses: 1, hostCpuMs: 10, otherCpuMs: 0, loadAvg1: 0.5,
  };
}

function point(hosts: number, walls: Partial<Record<RunRecord['tool'], number>>): PointResult {
  const records = Object.entries(walls).map(([t, w]) => rec(t as RunRecord['tool'], w!));
  const summary: PointResult['summary'] = {};
  for (const r of records) summary[r.tool] = summarizeTool([r]);
  return { hosts, labUpMs: 1000, records, summary, ratios: pointRatios(summary) };
}

describe('bench report', () => {
  it('leaves failed runs out of the summary and counts them', () => {
    const s = summarizeTool([rec('floor', 1000), rec('floor', 3000), rec('floor', 99_000, false)]);
    assert.deepEqual([s.runs, s.failed, s.wallMs.median, s.wallMs.max], [2, 1, 2000, 3000]);
  });

  it("judges the issue's goals from the ratios of medians", () => {
    const p50 = point(50, { 'fleet-apply': 3000, 'fleet-check': 2500, 'ansible-apply': 120_000, 'ansible-check': 40_000, floor: 2500 });
    const goals = evaluateGoals([p50]);
    const byGoal = Object.fromEntries(goals.map((g) => [g.goal, g]));
    assert.equal(byGoal['fleet at least 20x faster than ansible-playbook (apply)']!.value, 40);
    assert.equal(byGoal['fleet at least 20x faster than ansible-playbook (apply)']!.met, true);
    assert.equal(byGoal['fleet at least 20x faster than ansible-playbook (check)']!.met, false);
    assert.equal(byGoal['fleet within 1.5x of the floor (apply)']!.value, 1.2);
    assert.equal(byGoal['fleet within 1.5x of the floor (check)']!.met, true);
    assert.equal(byGoal['check mode no slower than apply']!.met, true);
    // 200 hosts: only the check-vs-apply goal applies; Ansible missing: no Ansible goal.
    const g200 = evaluateGoals([point(200, { 'fleet-apply': 1000, 'fleet-check': 1100, floor: 900 })]);
    assert.deepEqual(g200.map((g) => [g.goal, g.met]), [['check mode no slower than apply', false]]);
  });

  it('prints every tool, ratio and goal', () => {
    const p = point(10, { 'fleet-apply': 1600, 'fleet-check': 1400, floor: 1000 });
    const res: BenchResults = {
      version: 1, date: '2026-01-01', machine: { cpuModel: 'cpu', cpus: 2, memGiB: 4, kernel: 'k', node: 'v20', ansible: 'none' },
      options: { runs: 1 }, startup: [], points: [p], goals: evaluateGoals([p]), trips: [], notes: ['a note'],
    };
    const text = formatReport(res);
    for (const s of ['fleet apply', 'fleet --check', 'floor (ssh2', 'fleet/floor apply (wall) 1.600', 'NOT met 10 hosts: fleet within 1.5x of the floor (apply): 1.60x', 'met     10 hosts: check mode', 'note: a note']) assert.ok(text.includes(s), s);
  });
});
