/**
 * Processes of lab hosts, read from /proc without spawning anything. A process
 * is named by PID + start time so a reused PID is never killed by mistake, and
 * a zombie counts as gone (PID 1 of this machine does not reap promptly).
 */
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { sleep, sleepSync } from './run.ts';
import type { ProcRef } from './types.ts';

interface ProcStat {
  state: string;
  ppid: number;
  start: number;
}

function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm (field 2) may hold spaces and parentheses: split after the last ')'.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: f[0], ppid: Number(f[1]), start: Number(f[19]) };
}

export function procRef(pid: number): ProcRef | null {
  const s = readStat(pid);
  return s ? { pid, start: s.start } : null;
}

/** Not running: no such PID, a zombie, or the PID now belongs to another process. */
export function isGone(ref: ProcRef): boolean {
  const s = readStat(ref.pid);
  return s === null || s.state === 'Z' || s.state === 'X' || s.start !== ref.start;
}

/** Inode of a named network namespace (/run/netns/NAME), or null when it does not exist. */
export function netnsInode(netns: string): number | null {
  try {
    return statSync(`/run/netns/${netns}`).ino;
  } catch {
    return null;
  }
}

function allPids(): number[] {
  return readdirSync('/proc').filter((n) => /^\d+$/.test(n)).map(Number);
}

/** Live processes in each network namespace, keyed by namespace inode (like `ip netns pids`). */
export function pidsByNetns(inodes: Iterable<number>): Map<number, ProcRef[]> {
  const wanted = new Map<number, ProcRef[]>();
  for (const ino of inodes) wanted.set(ino, []);
  if (wanted.size === 0) return wanted;
  for (const pid of allPids()) {
    let link: string;
    try {
      link = readlinkSync(`/proc/${pid}/ns/net`);
    } catch {
      continue; // exited, or a zombie (its namespace links are gone)
    }
    const m = /^net:\[(\d+)\]$/.exec(link);
    const list = m ? wanted.get(Number(m[1])) : undefined;
    if (!list) continue;
    const ref = procRef(pid);
    if (ref && !isGone(ref)) list.push(ref);
  }
  return wanted;
}

export function pidsInNetns(netns: string): ProcRef[] {
  const ino = netnsInode(netns);
  return ino === null ? [] : (pidsByNetns([ino]).get(ino) ?? []);
}

/** PIDs of a process from the outermost to its own PID namespace (the NSpid line). */
export function nsPids(pid: number): number[] {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('NSpid:'));
    return line ? line.slice(6).trim().split(/\s+/).map(Number) : [];
  } catch {
    return [];
  }
}

export function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The root-namespace PID among `candidates` whose innermost PID is `inner` (and whose command is `name`). */
export function outerPid(candidates: ProcRef[], inner: number, name?: string): number {
  for (const c of candidates) {
    const ids = nsPids(c.pid);
    if (ids.length > 1 && ids[ids.length - 1] === inner && (name === undefined || comm(c.pid) === name)) return c.pid;
  }
  return 0;
}

export function signal(refs: ProcRef[], sig: NodeJS.Signals): void {
  for (const r of refs) {
    if (isGone(r)) continue;
    try {
      process.kill(r.pid, sig);
    } catch {
      // already exited
    }
  }
}

/** Wait until every process is gone; returns those still running after timeoutMs. */
export async function waitGone(refs: ProcRef[], timeoutMs: number): Promise<ProcRef[]> {
  const deadline = Date.now() + timeoutMs;
  let left = refs.filter((r) => !isGone(r));
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(20);
    left = left.filter((r) => !isGone(r));
  }
  return left;
}

export function waitGoneSync(refs: ProcRef[], timeoutMs: number): ProcRef[] {
  const deadline = Date.now() + timeoutMs;
  let left = refs.filter((r) => !isGone(r));
  while (left.length > 0 && Date.now() < deadline) {
    sleepSync(20);
    left = left.filter((r) => !isGone(r));
  }
  return left;
}
