/**
 * Measure one command: wall time, time to first stdout byte, CPU time (user +
 * system) and peak memory of its whole process tree. The command runs in a
 * cgroup v2 group of its own (created under the machine's cgroup2 mount), so
 * CPU is counted for every descendant, including ones that detach (OpenSSH
 * ControlPersist masters that Ansible leaves behind). Memory is sampled from
 * /proc for every process of the group. When the command exits, whatever it
 * left in its group is killed (and its CPU counted) before the group is read.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError } from '../src/errors/fleet-error.ts';

export interface Measured {
  /** Exit code (null when killed by a signal). */
  code: number | null;
  wallMs: number;
  /** Time from spawn to the first byte on stdout (null when nothing was written). */
  firstByteMs: number | null;
  userMs: number;
  sysMs: number;
  /** userMs + sysMs. */
  cpuMs: number;
  /** Peak of the summed resident set of all processes of the tree (sampled), KiB. */
  peakTreeRssKiB: number;
  /** Largest resident set of any single process of the tree (sampled), KiB. */
  peakProcessRssKiB: number;
  /** Most processes alive at once in the tree (sampled). */
  peakProcesses: number;
  /** CPU the lab hosts (their sshd and everything it started) used during the run; null when no host was adopted. */
  hostCpuMs: number | null;
  /** CPU the whole machine used during the run (all cores, /proc/stat). */
  machineCpuMs: number;
  /** machineCpuMs minus the run's and the hosts' CPU: other work on the machine (noise), never below 0. */
  otherCpuMs: number;
  stdout: string;
  stderr: string;
}

/** What a results file keeps of a measured run (the figures, not the output). */
export type RunFigures = Pick<
  Measured,
  'wallMs' | 'cpuMs' | 'userMs' | 'sysMs' | 'peakTreeRssKiB' | 'peakProcessRssKiB' | 'peakProcesses' | 'hostCpuMs' | 'otherCpuMs'
>;

export function runFigures(m: RunFigures): RunFigures {
  const { wallMs, cpuMs, userMs, sysMs, peakTreeRssKiB, peakProcessRssKiB, peakProcesses, hostCpuMs, otherCpuMs } = m;
  return { wallMs, cpuMs, userMs, sysMs, peakTreeRssKiB, peakProcessRssKiB, peakProcesses, hostCpuMs, otherCpuMs };
}

export interface MeasureOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the command after this long (default 30 min). */
  timeoutMs?: number;
  /** RSS sampling period (default 100 ms). */
  sampleMs?: number;
}

const PAGE_KIB = 4;

/** The cgroup2 mount point: /sys/fs/cgroup (unified) or /sys/fs/cgroup/unified (hybrid). */
export function cgroup2Root(): string {
  const mounts = readFileSync('/proc/self/mounts', 'utf8').split('\n');
  for (const line of mounts) {
    const [, dir, type] = line.split(' ');
    if (type === 'cgroup2' && dir && existsSync(join(dir, 'cgroup.procs'))) return dir;
  }
  throw new FleetError('E_USAGE', 'bench: no cgroup2 mount found (needed to count the CPU of every process a tool starts)', {
    hint: 'mount -t cgroup2 none /sys/fs/cgroup/unified',
  });
}

let parent: string | undefined;
let seq = 0;
/** Groups of runs in progress (killed by removeGroups on an early exit). */
const live = new Set<string>();
let hostsGroup: string | undefined;

/** A parent group for this bench process, removed by removeGroups(). */
function parentGroup(): string {
  if (!parent) {
    parent = join(cgroup2Root(), `fleet-bench-${process.pid}`);
    mkdirSync(parent, { recursive: true });
  }
  return parent;
}

/**
 * Put lab host processes (each host's holder, init and sshd: everything sshd
 * starts later inherits the group) in a group of their own, so each run also
 * reports the CPU the hosts spent. Call after every lab bring-up.
 */
export function adoptHostProcesses(pids: number[]): void {
  if (!hostsGroup) {
    hostsGroup = join(parentGroup(), 'hosts');
    mkdirSync(hostsGroup, { recursive: true });
  }
  for (const pid of pids) {
    if (pid <= 0) continue;
    try {
      writeFileSync(join(hostsGroup, 'cgroup.procs'), String(pid));
    } catch {
      /* exited meanwhile */
    }
  }
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** Non-idle CPU time of the whole machine so far (ms, all cores). */
function machineBusyMs(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [, user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).map(Number);
  return (user! + nice! + system! + irq! + softirq! + steal!) * TICK_MS;
}

function pidsOf(group: string): number[] {
  try {
    return readFileSync(join(group, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Resident set of a process in KiB (0 when it is gone or a zombie). */
function rssKiB(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
    return Number(fields[1]) * PAGE_KIB;
  } catch {
    return 0;
  }
}

function cpuStat(group: string): { userMs: number; sysMs: number } {
  const kv = Object.fromEntries(
    readFileSync(join(group, 'cpu.stat'), 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]),
  );
  return { userMs: Number(kv.user_usec ?? 0) / 1000, sysMs: Number(kv.system_usec ?? 0) / 1000 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Kill everything left in the group and wait until it is empty (zombies count as gone). */
async function emptyGroup(group: string): Promise<void> {
  const kill = join(group, 'cgroup.kill');
  for (let i = 0; i < 100; i++) {
    const left = pidsOf(group).filter((p) => !isZombie(p));
    if (left.length === 0) return;
    if (existsSync(kill)) writeFileSync(kill, '1');
    else for (const p of left) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    await sleep(20);
  }
  throw new FleetError('E_INTERNAL', `bench: processes ${pidsOf(group).join(' ')} survive in ${group}`);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z';
  } catch {
    return true;
  }
}

async function removeGroup(group: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      rmdirSync(group);
      return;
    } catch {
      await sleep(20);
    }
  }
}

/** Run argv[0] with argv[1..] and measure it (see the file comment). */
export async function measure(argv: string[], options: MeasureOptions = {}): Promise<Measured> {
  const group = join(parentGroup(), `run-${++seq}`);
  mkdirSync(group);
  live.add(group);
  // The wrapper joins the group before exec, so every descendant is in it from the start.
  const wrapper = 'echo $$ > "$0/cgroup.procs" && exec "$@"';
  const hostsBefore = hostsGroup ? cpuStat(hostsGroup) : null;
  const machineBefore = machineBusyMs();
  const started = process.hrtime.bigint();
  const since = () => Number(process.hrtime.bigint() - started) / 1e6;
  const child = spawn('/bin/sh', ['-c', wrapper, group, ...argv], {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let firstByteMs: number | null = null;
  child.stdout.on('data', (b: Buffer) => {
    if (firstByteMs === null) firstByteMs = since();
    out.push(b);
  });
  child.stderr.on('data', (b: Buffer) => err.push(b));
  let peakTree = 0;
  let peakOne = 0;
  let peakProcs = 0;
  const sample = () => {
    const pids = pidsOf(group);
    let sum = 0;
    for (const p of pids) {
      const r = rssKiB(p);
      sum += r;
      if (r > peakOne) peakOne = r;
    }
    if (sum > peakTree) peakTree = sum;
    if (pids.length > peakProcs) peakProcs = pids.length;
  };
  const sampler = setInterval(sample, options.sampleMs ?? 100);
  const timeout = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30 * 60_000);
  // Processes left behind may hold stdout open: the run ends when the tool exits,
  // then they are killed, then the pipes close.
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const { code, wallMs } = await new Promise<{ code: number | null; wallMs: number }>((resolve, reject) => {
    child.on('error', (e) => reject(new FleetError('E_INTERNAL', `bench: cannot run ${argv[0]}: ${e.message}`, { cause: e })));
    child.on('exit', (c) => resolve({ code: c, wallMs: since() }));
  });
  clearInterval(sampler);
  clearTimeout(timeout);
  try {
    await emptyGroup(group);
    await closed;
    const cpu = cpuStat(group);
    const hostsAfter = hostsGroup && hostsBefore ? cpuStat(hostsGroup) : null;
    const hostCpuMs = hostsAfter && hostsBefore ? hostsAfter.userMs + hostsAfter.sysMs - hostsBefore.userMs - hostsBefore.sysMs : null;
    const machineCpuMs = machineBusyMs() - machineBefore;
    return {
      code,
      wallMs,
      firstByteMs,
      userMs: cpu.userMs,
      sysMs: cpu.sysMs,
      cpuMs: cpu.userMs + cpu.sysMs,
      peakTreeRssKiB: peakTree,
      peakProcessRssKiB: peakOne,
      peakProcesses: peakProcs,
      hostCpuMs,
      machineCpuMs,
      otherCpuMs: Math.max(0, machineCpuMs - cpu.userMs - cpu.sysMs - (hostCpuMs ?? 0)),
      stdout: Buffer.concat(out).toString('utf8'),
      stderr: Buffer.concat(err).toString('utf8'),
    };
  } finally {
    await removeGroup(group);
    live.delete(group);
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Kill what runs in progress left and remove this process's groups (at the end,
 * or from an exit handler on Ctrl-C: synchronous).
 */
export function removeGroups(): void {
  for (const group of live) {
    try {
      writeFileSync(join(group, 'cgroup.kill'), '1');
    } catch {
      for (const p of pidsOf(group)) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
    }
  }
  // Lab hosts still up (their teardown may run after us) go back to the root group.
  if (hostsGroup) {
    for (const p of pidsOf(hostsGroup)) try { writeFileSync(join(cgroup2Root(), 'cgroup.procs'), String(p)); } catch { /* gone */ }
  }
  for (const group of [...live, ...(hostsGroup ? [hostsGroup] : []), ...(parent ? [parent] : [])]) {
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(group);
        break;
      } catch {
        Atomics.wait(sleepCell, 0, 0, 20);
      }
    }
  }
  live.clear();
  hostsGroup = undefined;
  parent = undefined;
}
