/**
 * Helpers for integration tests: run the real CLI (`node bin/fleet.js`) as a
 * child process, parse its `--output json` event lines, write playbooks and
 * look at files inside lab hosts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { EventOf, HostRecap, RunEvent } from '../../src/events/types.ts';
import { REPO_ROOT } from '../lab/index.ts';

export interface FleetResult {
  code: number;
  /** Every stdout line that parsed as a JSON event, in order. */
  events: RunEvent[];
  stdout: string;
  stderr: string;
}

/** Run `node bin/fleet.js ARGS` from the repo root and wait for it. */
export function runFleet(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): FleetResult {
  const r = spawnSync(process.execPath, ['bin/fleet.js', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 64 << 20,
    env: { ...process.env, ...options.env, CI: '1' },
  });
  if (r.error) throw r.error;
  const events: RunEvent[] = [];
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      events.push(JSON.parse(line) as RunEvent);
    } catch {
      // not an event line
    }
  }
  return { code: r.status ?? (r.signal ? 128 : 1), events, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI's entry point, for tests that start it themselves. */
export const FLEET_BIN = join(REPO_ROOT, 'bin', 'fleet.js');

/** Start `node bin/fleet.js ARGS` in the background (to signal or kill it). */
export function fleetChild(args: string[]) {
  return spawn(process.execPath, [FLEET_BIN, ...args], { cwd: REPO_ROOT, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** What a lab gives the CLI: inventory and known_hosts. */
export interface LabTarget {
  inventoryPath: string;
  knownHostsPath: string;
}

/** `fleet run PLAYBOOK -i INV --known-hosts KH --output json --state-dir STATE [...extra]`. */
export function fleetRun(
  lab: LabTarget,
  playbook: string,
  stateDir: string,
  extra: string[] = [],
  inventoryPath = lab.inventoryPath,
): FleetResult {
  return runFleet([
    'run', playbook, '-i', inventoryPath, '--known-hosts', lab.knownHostsPath,
    '--output', 'json', '--state-dir', stateDir, ...extra,
  ]);
}

/** A fresh temp directory; remove it with `rmSync(dir, { recursive: true, force: true })` or `removeDir`. */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `fleet-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Write `<dir>/<name>` (creating parents) and return its path. Templates go in `templates/NAME`, files in `files/NAME`. */
export function writePlaybook(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** A light lab (Lab) or a systemd lab (SystemdLab): runs a script inside a host as root. */
export interface ExecLab {
  exec(host: string, script: string, options?: { input?: string }): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

/** Content of a file inside a lab host, or null when it does not exist (read as root, not through fleet). */
export async function hostFile(lab: ExecLab, host: string, path: string): Promise<string | null> {
  const q = `'${path.replace(/'/g, `'\\''`)}'`;
  const r = await lab.exec(host, `if [ -f ${q} ]; then cat -- ${q}; else exit 3; fi`);
  if (r.code === 3) return null;
  if (r.code !== 0) throw new Error(`hostFile ${host}:${path}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** "MODE OWNER GROUP TYPE" (e.g. "640 deploy deploy regular file", empty or not) of a path inside a host, or null when absent. */
export async function hostStat(lab: ExecLab, host: string, path: string): Promise<string | null> {
  const q = `'${path.replace(/'/g, `'\\''`)}'`;
  const r = await lab.exec(host, `if [ -e ${q} ] || [ -L ${q} ]; then stat -c '%a %U %G %F' -- ${q}; else exit 3; fi`);
  if (r.code === 3) return null;
  if (r.code !== 0) throw new Error(`hostStat ${host}:${path}: exit ${r.code}: ${r.stderr}`);
  return r.stdout.trim().replace(/ regular empty file$/, ' regular file');
}

/** Run a script in a host and fail loudly when it does not exit 0. */
export async function hostSh(lab: ExecLab, host: string, script: string): Promise<string> {
  const r = await lab.exec(host, script);
  if (r.code !== 0) throw new Error(`${host}: '${script}' exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export function eventsOf<K extends RunEvent['kind']>(events: RunEvent[], kind: K): EventOf<K>[] {
  return events.filter((e): e is EventOf<K> => e.kind === kind);
}

/** The run-end event (throws with the CLI's output when there is none). */
export function runEnd(r: FleetResult): EventOf<'run-end'> {
  const end = eventsOf(r.events, 'run-end');
  if (end.length !== 1) {
    throw new Error(`expected one run-end event, got ${end.length}\nexit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
  return end[0]!;
}

export function recapOf(r: FleetResult): Record<string, HostRecap> {
  return runEnd(r).recap;
}

/** host -> changed count from the run-end recap. */
export function changedByHost(r: FleetResult): Record<string, number> {
  return Object.fromEntries(Object.entries(recapOf(r)).map(([h, rc]) => [h, rc.changed]));
}

/** host-task events of one task (by name), optionally of one host. */
export function hostTasks(r: FleetResult, task: string, host?: string): EventOf<'host-task'>[] {
  return eventsOf(r.events, 'host-task').filter((e) => e.task === task && (host === undefined || e.host === host));
}

/** The single host-task event of `task` on `host`. */
export function hostTask(r: FleetResult, task: string, host: string): EventOf<'host-task'> {
  const found = hostTasks(r, task, host);
  if (found.length !== 1) {
    const names = [...new Set(eventsOf(r.events, 'host-task').map((e) => e.task))];
    throw new Error(`expected one host-task '${task}' on ${host}, got ${found.length}; tasks seen: ${JSON.stringify(names)}\nstderr:\n${r.stderr}`);
  }
  return found[0]!;
}

/** A readable dump of a run for assertion messages. */
export function explain(r: FleetResult): string {
  const lines = eventsOf(r.events, 'host-task').map((e) => `${e.host} ${e.status.padEnd(9)} ${e.task}${e.msg ? ` -- ${e.msg}` : ''}`);
  return `exit ${r.code}\n${lines.join('\n')}\nstderr:\n${r.stderr}`;
}
