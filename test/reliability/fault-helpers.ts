/**
 * Helpers for the fault tests: the real CLI as a live child process whose JSON
 * events are read as they come (to strike at the right moment), processes of a
 * lab host read from /proc, killing a host's sshd by PID, and memory samples.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { RunEvent } from '../../src/events/types.ts';
import type { JournalRecord, RunMeta } from '../../src/journal/types.ts';
import { REPO_ROOT, type Lab } from '../lab/index.ts';
import { pidsInNetns, comm, signal, waitGone } from '../lab/procs.ts';
import { runFleet } from '../integration/helpers.ts';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LiveOptions {
  /** Keep every event in `events` (default true; off for runs of many thousand tasks). */
  keepEvents?: boolean;
  /** Options for node itself, before bin/fleet.js. */
  nodeArgs?: string[];
  /** Called for each stdout line (events and anything else). */
  onLine?: (line: string) => void;
}

/** `node bin/fleet.js ARGS` running in the background. */
export class LiveFleet {
  readonly child: ChildProcess;
  readonly events: RunEvent[] = [];
  stderr = '';
  /** stdout lines that are not events (capped). */
  other: string[] = [];
  lines = 0;
  readonly exit: Promise<Exit>;
  private readonly waiters = new Set<() => void>();

  constructor(args: string[], options: LiveOptions = {}) {
    this.child = spawn(process.execPath, [...(options.nodeArgs ?? []), 'bin/fleet.js', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, CI: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = options.keepEvents ?? true;
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.lines++;
      options.onLine?.(line);
      if (keep && line.startsWith('{')) {
        try {
          this.events.push(JSON.parse(line) as RunEvent);
        } catch {
          if (this.other.length < 200) this.other.push(line);
        }
      } else if (!line.startsWith('{') && this.other.length < 200) this.other.push(line);
      for (const w of this.waiters) w();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      if (this.stderr.length < 1 << 20) this.stderr += s;
    });
    this.exit = new Promise((resolve) => this.child.once('exit', (code, sig) => resolve({ code, signal: sig })));
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  /** The first event (seen or to come) that matches; rejects after timeoutMs or when fleet exits first. */
  waitFor(pred: (e: RunEvent) => boolean, timeoutMs: number, what: string): Promise<RunEvent> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const hit = this.events.find(pred);
        if (!hit) return false;
        cleanup();
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}\nstderr:\n${this.stderr}`));
      }, timeoutMs);
      const onExit = (): void => {
        if (!check()) {
          cleanup();
          reject(new Error(`fleet exited before ${what}\nstderr:\n${this.stderr}`));
        }
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        this.child.off('exit', onExit);
      };
      const waiter = (): void => void check();
      if (check()) return;
      this.waiters.add(waiter);
      this.child.once('exit', onExit);
    });
  }

  /** SIGKILL it if it still runs (after a failed assertion). */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Poll `fn` every 25 ms until it is true; throws after timeoutMs. */
export async function waitUntil(fn: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Processes of a lab host (read from /proc of this machine) whose command line matches. */
export function hostProcs(lab: Lab, host: string, re: RegExp): Array<{ pid: number; cmd: string }> {
  return pidsInNetns(lab.host(host).netns)
    .map((p) => ({ pid: p.pid, cmd: cmdline(p.pid) }))
    .filter((p) => re.test(p.cmd));
}

/** SIGKILL every sshd of a host, by PID: the listener and every session (its commands go on, orphaned). */
export async function killSshd(lab: Lab, host: string): Promise<number> {
  const procs = pidsInNetns(lab.host(host).netns).filter((p) => comm(p.pid) === 'sshd');
  signal(procs, 'SIGKILL');
  const left = await waitGone(procs, 5000);
  if (left.length > 0) throw new Error(`sshd processes ${left.map((p) => p.pid).join(' ')} of ${host} survive SIGKILL`);
  return procs.length;
}

/** Resident memory of a process in KiB (VmRSS), or null once it is gone. */
export function rssKib(pid: number): number | null {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** `fleet show RUN --output json`: the run's meta and every host's journal records. */
export function showRun(stateDir: string, run: string): { run: RunMeta; hosts: Record<string, JournalRecord[]> } {
  const r = runFleet(['show', run, '--state-dir', stateDir, '--output', 'json']);
  if (r.code !== 0) throw new Error(`fleet show ${run}: exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as { run: RunMeta; hosts: Record<string, JournalRecord[]> };
}

/** One line per intent: `op (applied|failed|interrupted|no change|undone)`, like `fleet show`. */
export function journalSummary(records: JournalRecord[]): string[] {
  const done = new Map<number, { ok: boolean; changed: boolean }>();
  const undone = new Set<number>();
  for (const r of records) {
    if (r.t === 'done') done.set(r.seq, r);
    if (r.t === 'undone' && r.ok) undone.add(r.seq);
  }
  return records.flatMap((r) => {
    if (r.t !== 'intent') return [];
    const d = done.get(r.seq);
    const state = undone.has(r.seq) ? 'undone' : !d ? 'interrupted' : !d.ok ? 'failed' : d.changed ? 'applied' : 'no change';
    return [`${r.op} (${state})`];
  });
}

/** The run-end event of a live run. */
export function liveEnd(run: LiveFleet): Extract<RunEvent, { kind: 'run-end' }> {
  const e = run.events.find((x): x is Extract<RunEvent, { kind: 'run-end' }> => x.kind === 'run-end');
  if (!e) throw new Error(`no run-end event\nstderr:\n${run.stderr}`);
  return e;
}

/** host-task events of a live run for one task (and host). */
export function liveTasks(run: LiveFleet, task: string, host?: string): Array<Extract<RunEvent, { kind: 'host-task' }>> {
  return run.events.filter(
    (e): e is Extract<RunEvent, { kind: 'host-task' }> => e.kind === 'host-task' && e.task === task && (host === undefined || e.host === host),
  );
}
