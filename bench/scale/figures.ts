/**
 * Per-host figures of one scale run, from fleet's JSON events and the time
 * each arrived (stamped-output.ts): did every host get a result for all 12
 * tasks, when did each host finish (its last result) and when did each get its
 * first; and their spread over the hosts: "no host starved".
 */
import { TASKS } from '../scenario.ts';
import { median } from '../stats.ts';
import type { StampedLine } from './stamped-output.ts';

export interface Spread {
  min: number;
  median: number;
  p95: number;
  max: number;
}

export interface HostFigures {
  /** Hosts with a result for every task, in order, each accepted (ok/changed; also unknown in check mode). */
  completed: number;
  /** Hosts that did not: "<host>: why" (at most 20). */
  incomplete: string[];
  /** Time of each complete host's last task result, ms since spawn. */
  completionMs: Spread | null;
  /** Time of each host's first task result, ms since spawn. */
  firstResultMs: Spread | null;
  /** When every host had its first task result (= firstResultMs.max), ms since spawn. */
  allStartedMs: number | null;
  /** When the run-start event arrived, ms since spawn. */
  runStartMs: number | null;
  /** Median over hosts of each task's durationMs, in task order. */
  perTaskMs: number[];
  /** Per host: its first task result and its last one when it completed (null when not), ms since spawn. */
  perHost: Record<string, { firstMs: number | null; doneMs: number | null }>;
}

/** The nearest-rank percentile `p` (0..100) of values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function spread(values: readonly number[]): Spread | null {
  if (values.length === 0) return null;
  return { min: Math.min(...values), median: median(values), p95: percentile(values, 95), max: Math.max(...values) };
}

/** The fields of fleet's JSON events (src/events/types.ts) the figures use. */
export interface FigureEvent {
  kind: string;
  host?: string;
  task?: string;
  status?: string;
  msg?: string;
  handler?: boolean;
  durationMs?: number;
}

export interface ParsedEvent {
  atMs: number;
  event: FigureEvent;
}

/** The JSON event lines (others, e.g. a stray warning on stdout, are skipped). */
export function parseEvents(lines: readonly StampedLine[]): ParsedEvent[] {
  const out: ParsedEvent[] = [];
  for (const l of lines) {
    if (!l.line.startsWith('{')) continue;
    try {
      out.push({ atMs: l.atMs, event: JSON.parse(l.line) as FigureEvent });
    } catch {
      // not an event
    }
  }
  return out;
}

export function hostFigures(events: readonly ParsedEvent[], hosts: readonly string[], check: boolean): HostFigures {
  const accepted = new Set(check ? ['ok', 'changed', 'unknown'] : ['ok', 'changed']);
  const byHost = new Map<string, Array<{ atMs: number; e: FigureEvent }>>(hosts.map((h) => [h, []]));
  for (const { atMs, event } of events) {
    if (event.kind === 'host-task' && !event.handler && event.host !== undefined) byHost.get(event.host)?.push({ atMs, e: event });
  }
  const incomplete: string[] = [];
  const done: number[] = [];
  const first: number[] = [];
  const perHost: HostFigures['perHost'] = {};
  for (const [host, results] of byHost) {
    const firstMs = results[0]?.atMs ?? null;
    let doneMs: number | null = null;
    if (firstMs !== null) first.push(firstMs);
    const names = results.map((r) => r.e.task);
    const bad = results.find((r) => !accepted.has(r.e.status ?? ''));
    if (bad) incomplete.push(`${host}: ${bad.e.task}: ${bad.e.status}${bad.e.msg ? ` (${bad.e.msg.split('\n')[0]})` : ''}`);
    else if (names.join('\n') !== TASKS.join('\n')) incomplete.push(`${host}: ${results.length} of ${TASKS.length} task results`);
    else doneMs = results[results.length - 1]!.atMs;
    if (doneMs !== null) done.push(doneMs);
    perHost[host] = { firstMs, doneMs };
  }
  const perTaskMs = TASKS.map((t) => median(events.flatMap(({ event: e }) => (e.kind === 'host-task' && e.task === t && e.durationMs !== undefined ? [e.durationMs] : []))));
  const runStart = events.find((e) => e.event.kind === 'run-start');
  return {
    completed: done.length,
    incomplete: incomplete.slice(0, 20),
    completionMs: spread(done),
    firstResultMs: spread(first),
    allStartedMs: first.length === hosts.length && first.length > 0 ? Math.max(...first) : null,
    runStartMs: runStart?.atMs ?? null,
    perTaskMs,
    perHost,
  };
}
