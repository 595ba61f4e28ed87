/** The scale bench's results (bench/results/<date>-scale-<N>.json) and its terminal table. */
import type { RunFigures } from '../measure.ts';
import type { HostFigures, Spread } from './figures.ts';

/** The goal: peak controller RSS under 300 MB (10^6 bytes; 286 MiB). */
export const RSS_GOAL_KIB = (300e6 / 1024);

/** cpuMs: fleet and everything it started; hostCpuMs: the lab's sshds and everything they started. */
export interface ScaleRunRecord extends RunFigures {
  mode: 'apply' | 'check';
  round: number;
  ok: boolean;
  error?: string;
  hosts: number;
  forks: number | 'default';
  loadAvg1: number;
  firstEventMs: number | null;
  figures: HostFigures;
  rssGoalMet: boolean;
  stderrTail?: string;
}

export interface ScaleResults {
  version: 1;
  kind: 'scale';
  date: string;
  machine: Record<string, string | number>;
  options: Record<string, unknown>;
  lab: { hosts: number; sshds: number; subnet: string; upMs: number };
  records: ScaleRunRecord[];
  notes: string[];
}

const s = (ms: number | null | undefined) => (ms === null || ms === undefined || Number.isNaN(ms) ? '-' : `${(ms / 1000).toFixed(2)}`);
const mib = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
const spreadText = (x: Spread | null) => (x ? `${s(x.min)} / ${s(x.median)} / ${s(x.p95)} / ${s(x.max)}` : '-');

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

export function formatScaleReport(r: ScaleResults): string {
  const rows = [[
    'run', 'wall s', 'ctrl CPU s', 'peak RSS', 'host CPU s', 'other cores', 'hosts done',
    'done at s (min / median / p95 / max)', 'all started s', 'result',
  ]];
  for (const x of r.records) {
    rows.push([
      `${x.mode} #${x.round + 1} (forks ${x.forks})`, s(x.wallMs), s(x.cpuMs), mib(x.peakTreeRssKiB), s(x.hostCpuMs),
      (x.otherCpuMs / x.wallMs).toFixed(2), `${x.figures.completed}/${x.hosts}`, spreadText(x.figures.completionMs),
      s(x.figures.allStartedMs), x.ok ? (x.rssGoalMet ? 'ok' : 'ok, RSS over 300 MB') : 'FAILED',
    ]);
  }
  const lines = [
    `fleet scale run: ${r.lab.hosts} hosts on ${r.lab.sshds} sshds (${r.lab.subnet}), lab up in ${s(r.lab.upMs)} s`,
    `machine: ${r.machine.cpus} CPUs, ${r.machine.cpuModel}, ${r.machine.node}`,
    '',
    table(rows),
    '',
    'times are seconds since fleet was started; "done at": when each host had its last (12th) task result;',
    '"all started": when every host had its first task result. Goal: peak controller RSS < 300 MB (286 MiB).',
  ];
  for (const x of r.records.filter((y) => !y.ok)) lines.push(`${x.mode} #${x.round + 1}: ${x.error}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return `${lines.join('\n')}\n`;
}
