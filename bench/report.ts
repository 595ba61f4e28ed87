/** The bench's results: their shape (bench/results/*.json), the ratios and goals, and the terminal report. */
import { TASKS } from './scenario.ts';
import { median, ratio, summarize, type Summary } from './stats.ts';
import type { StartupSample } from './startup.ts';
import { TOOL_LABELS, type ToolName } from './tools.ts';
import type { TripReport } from './trips.ts';
import type { RunFigures } from './measure.ts';

/** hostCpuMs: the lab hosts (sshd and what it ran); otherCpuMs: other work on the machine during the run (noise). */
export interface RunRecord extends RunFigures {
  tool: ToolName;
  /** 0-based round; tools run interleaved, rotated each round. */
  round: number;
  ok: boolean;
  error?: string;
  firstByteMs: number | null;
  /** 1-minute load average right after the run. */
  loadAvg1: number;
  /** fleet: median task duration over hosts; floor: median step duration. */
  perTaskMs?: number[];
  /** floor: median time to connect to a host. */
  connectMs?: number;
}

export interface ToolSummary {
  runs: number;
  failed: number;
  wallMs: Summary;
  cpuMs: Summary;
  peakTreeRssKiB: Summary;
  peakProcessRssKiB: Summary;
  firstByteMs: Summary;
  hostCpuMs: Summary;
  /** Other work on the machine during the runs, in cores (otherCpuMs / wallMs). */
  otherCores: Summary;
  /** Median over runs of the per-task medians. */
  perTaskMs?: number[];
  /** floor: median over runs of the median connect time. */
  connectMs?: number;
}

export interface PointResult {
  hosts: number;
  labUpMs: number;
  records: RunRecord[];
  summary: Partial<Record<ToolName, ToolSummary>>;
  /** Ratios of median wall times (and CPU), a / b. */
  ratios: Record<string, number>;
}

export interface Goal {
  goal: string;
  hosts: number;
  value: number;
  target: string;
  met: boolean;
}

export interface BenchResults {
  version: 1;
  date: string;
  machine: Record<string, string | number>;
  options: Record<string, unknown>;
  startup: StartupSample[];
  compiledBuildMs?: number;
  points: PointResult[];
  goals: Goal[];
  trips: TripReport[];
  notes: string[];
}

export function summarizeTool(records: RunRecord[]): ToolSummary {
  const ok = records.filter((r) => r.ok);
  const per = ok.map((r) => r.perTaskMs).filter((p): p is number[] => Array.isArray(p));
  return {
    runs: ok.length,
    failed: records.length - ok.length,
    wallMs: summarize(ok.map((r) => r.wallMs)),
    cpuMs: summarize(ok.map((r) => r.cpuMs)),
    peakTreeRssKiB: summarize(ok.map((r) => r.peakTreeRssKiB)),
    peakProcessRssKiB: summarize(ok.map((r) => r.peakProcessRssKiB)),
    firstByteMs: summarize(ok.map((r) => r.firstByteMs).filter((x): x is number => x !== null)),
    hostCpuMs: summarize(ok.map((r) => r.hostCpuMs).filter((x): x is number => x !== null)),
    otherCores: summarize(ok.map((r) => r.otherCpuMs / r.wallMs)),
    ...(per.length ? { perTaskMs: per[0]!.map((_, i) => median(per.map((p) => p[i]!))) } : {}),
    ...(ok.some((r) => r.connectMs !== undefined) ? { connectMs: median(ok.flatMap((r) => (r.connectMs !== undefined ? [r.connectMs] : []))) } : {}),
  };
}

export function pointRatios(s: PointResult['summary']): Record<string, number> {
  const w = (t: ToolName) => s[t]?.wallMs;
  const c = (t: ToolName) => s[t]?.cpuMs;
  const out: Record<string, number> = {
    'fleet/ansible apply (wall)': ratio(w('fleet-apply'), w('ansible-apply')),
    'fleet/ansible check (wall)': ratio(w('fleet-check'), w('ansible-check')),
    'fleet/floor apply (wall)': ratio(w('fleet-apply'), w('floor')),
    'fleet check/floor (wall)': ratio(w('fleet-check'), w('floor')),
    'fleet check/apply (wall)': ratio(w('fleet-check'), w('fleet-apply')),
    'fleet/ansible apply (cpu)': ratio(c('fleet-apply'), c('ansible-apply')),
    'fleet/ansible check (cpu)': ratio(c('fleet-check'), c('ansible-check')),
    'fleet/floor apply (cpu)': ratio(c('fleet-apply'), c('floor')),
    'fleet tsc build/floor apply (wall)': ratio(w('fleet-compiled-apply'), w('floor')),
    'fleet tsc build/tsx apply (wall)': ratio(w('fleet-compiled-apply'), w('fleet-apply')),
    'fleet tsc build/tsx check (wall)': ratio(w('fleet-compiled-check'), w('fleet-check')),
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => Number.isFinite(v)));
}

/** The issue's goals, as measured (reported, never asserted). */
export function evaluateGoals(points: PointResult[]): Goal[] {
  const goals: Goal[] = [];
  for (const p of points) {
    const r = p.ratios;
    if (p.hosts === 50) {
      for (const mode of ['apply', 'check'] as const) {
        const v = r[`fleet/ansible ${mode} (wall)`];
        if (v !== undefined) goals.push({ goal: `fleet at least 20x faster than ansible-playbook (${mode})`, hosts: p.hosts, value: 1 / v, target: '>= 20x', met: 1 / v >= 20 });
      }
    }
    if (p.hosts === 10 || p.hosts === 50) {
      for (const [key, label] of [['fleet/floor apply (wall)', 'apply'], ['fleet check/floor (wall)', 'check']] as const) {
        const v = r[key];
        if (v !== undefined) goals.push({ goal: `fleet within 1.5x of the floor (${label})`, hosts: p.hosts, value: v, target: '<= 1.5x', met: v <= 1.5 });
      }
    }
    const cv = r['fleet check/apply (wall)'];
    if (cv !== undefined) goals.push({ goal: 'check mode no slower than apply', hosts: p.hosts, value: cv, target: '<= 1.0x', met: cv <= 1 });
  }
  return goals;
}

const s1 = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '-');
const mib = (kib: number) => (Number.isFinite(kib) ? (kib / 1024).toFixed(0) : '-');
const range = (x: Summary, f: (v: number) => string) => (x.n ? `${f(x.median)} [${f(x.min)}-${f(x.max)}]` : '-');
const pad = (s: string, n: number) => s.padEnd(n);

export function formatReport(res: BenchResults): string {
  const lines: string[] = [];
  const m = res.machine;
  lines.push(`fleet bench ${res.date}: ${m.cpuModel}, ${m.cpus} CPUs, ${m.memGiB} GiB, Linux ${m.kernel}, node ${m.node}, ${m.ansible}`);
  lines.push('', 'startup (median [min-max] of the runs)');
  lines.push(`  ${pad('', 44)}${pad('wall s', 20)}${pad('CPU s', 20)}RSS MiB`);
  for (const s of res.startup) lines.push(`  ${pad(s.label, 44)}${pad(range(s.wallMs, s1), 20)}${pad(range(s.cpuMs, s1), 20)}${mib(s.peakRssKiB.median)}`);
  for (const p of res.points) {
    lines.push('', `${p.hosts} hosts: median [min-max] of ${res.options.runs} interleaved runs (lab up in ${s1(p.labUpMs)} s)`);
    lines.push(`  ${pad('tool', 30)}${pad('wall s', 24)}${pad('controller CPU s', 22)}${pad('peak RSS MiB', 20)}${pad('first byte s', 20)}${pad('host CPU s', 12)}other load`);
    for (const [tool, s] of Object.entries(p.summary) as Array<[ToolName, ToolSummary]>) {
      const failed = s.failed ? `  (${s.failed} failed runs not counted)` : '';
      const other = s.otherCores.n ? `${s.otherCores.median.toFixed(2)} [${s.otherCores.min.toFixed(2)}-${s.otherCores.max.toFixed(2)}] cores` : '-';
      lines.push(`  ${pad(TOOL_LABELS[tool], 30)}${pad(range(s.wallMs, s1), 24)}${pad(range(s.cpuMs, s1), 22)}${pad(range(s.peakTreeRssKiB, mib), 20)}${pad(range(s.firstByteMs, s1), 20)}${pad(s1(s.hostCpuMs.median), 12)}${other}${failed}`);
    }
    lines.push('  ratios of medians: ' + Object.entries(p.ratios).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(' | '));
    const fa = p.summary['fleet-apply']?.perTaskMs;
    const fl = p.summary.floor?.perTaskMs;
    if (fa) {
      lines.push('  per task, median over hosts (ms): fleet apply / floor');
      const connect = p.summary.floor?.connectMs;
      if (connect !== undefined) lines.push(`    ${pad(' - connect (fleet: inside task 1)', 45)}${pad('-', 8)}${connect.toFixed(0)}`);
      TASKS.forEach((t, i) => lines.push(`    ${String(i + 1).padStart(2)} ${pad(t, 42)}${pad(fa[i]!.toFixed(0), 8)}${fl ? fl[i]!.toFixed(0) : '-'}`));
    }
  }
  if (res.goals.length) {
    lines.push('', 'goals (from this run; reported, not asserted)');
    for (const g of res.goals) lines.push(`  ${g.met ? 'met    ' : 'NOT met'} ${g.hosts} hosts: ${g.goal}: ${g.value.toFixed(2)}x (${g.target})`);
  }
  if (res.trips.length) {
    lines.push('', 'per task on one host: SSH sessions (round trips) / new connections / processes started on the host');
    lines.push(`  ${pad('task', 46)}${res.trips.map((t) => pad(TOOL_LABELS[t.tool], 28)).join('')}`);
    const cell = (c: { sessions: number; connections: number; processes: number }) => `${c.sessions} / ${c.connections} / ${c.processes}`;
    lines.push(`  ${pad(' 0 (no task selected)', 46)}${res.trips.map((t) => pad(cell(t.cumulative[0]!), 28)).join('')}`);
    TASKS.forEach((task, i) => lines.push(`  ${pad(`${String(i + 1).padStart(2)} ${task}`, 46)}${res.trips.map((t) => pad(cell(t.perTask[i]!), 28)).join('')}`));
    lines.push(`  ${pad('total', 46)}${res.trips.map((t) => pad(cell(t.cumulative[t.cumulative.length - 1]!), 28)).join('')}`);
  }
  for (const n of res.notes) lines.push('', `note: ${n}`);
  return lines.join('\n') + '\n';
}
