/** Run the real fleet CLI as a child process and parse its JSON event lines. */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { RunEvent } from '../../src/events/types.ts';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FLEET_BIN = join(REPO, 'bin', 'fleet.js');

export interface FleetResult {
  code: number | null;
  stdout: string;
  stderr: string;
  events: RunEvent[];
}

function parseEvents(stdout: string): RunEvent[] {
  const out: RunEvent[] = [];
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      out.push(JSON.parse(line) as RunEvent);
    } catch {
      // not an event line
    }
  }
  return out;
}

export function fleet(args: string[], env: NodeJS.ProcessEnv = {}): FleetResult {
  const r = spawnSync(process.execPath, [FLEET_BIN, ...args], {
    cwd: REPO,
    env: { ...process.env, CI: '1', ...env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, events: parseEvents(r.stdout) };
}

/** Start fleet in the background (for kill tests). */
export function fleetChild(args: string[]) {
  return spawn(process.execPath, [FLEET_BIN, ...args], { cwd: REPO, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

export function runEnd(events: RunEvent[]) {
  const e = events.find((x) => x.kind === 'run-end');
  if (!e || e.kind !== 'run-end') throw new Error('no run-end event');
  return e;
}

export function hostTasks(events: RunEvent[], host?: string) {
  return events.filter((e): e is Extract<RunEvent, { kind: 'host-task' }> => e.kind === 'host-task' && (!host || e.host === host));
}
