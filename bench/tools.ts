/**
 * The measured tools: how to start each one against a lab, and how to tell
 * from its output that it did the whole scenario on every host.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetError } from '../src/errors/fleet-error.ts';
import { ANSIBLE_CFG, ANSIBLE_PLAYBOOK, FLEET_PLAYBOOK, REPO_DIR, TASKS, taskTag } from './scenario.ts';

export type ToolName =
  | 'fleet-apply' | 'fleet-check'
  | 'fleet-compiled-apply' | 'fleet-compiled-check'
  | 'ansible-apply' | 'ansible-check'
  | 'floor';

export const TOOL_LABELS: Record<ToolName, string> = {
  'fleet-apply': 'fleet apply',
  'fleet-check': 'fleet --check',
  'fleet-compiled-apply': 'fleet apply (tsc build)',
  'fleet-compiled-check': 'fleet --check (tsc build)',
  'ansible-apply': 'ansible-playbook',
  'ansible-check': 'ansible-playbook --check',
  floor: 'floor (ssh2, plain commands)',
};

export function isCheck(tool: ToolName): boolean {
  return tool.endsWith('-check');
}

export function isFleet(tool: ToolName): boolean {
  return tool.startsWith('fleet-');
}

export interface LabRef {
  inventoryPath: string;
  knownHostsPath: string;
}

export interface Invocation {
  argv: string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface RunScope {
  /** Hosts worked on at once (fleet --forks, ansible -f). */
  forks: number;
  /** Only this host (fleet --limit, ansible -l, floor --limit). */
  limit?: string;
  /** Only the first `steps` tasks (by their tNN tags); default all. */
  steps?: number;
  /** Scratch directory for this run (fleet's state dir, Ansible's control sockets and temp files). */
  scratch: string;
  /** Entry script of the tsc build (startup.ts buildCompiled), for the fleet-compiled-* tools. */
  compiledEntry?: string;
}

/** The environment every measured tool starts with (also bench/scale). */
export const BASE_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
  HOME: process.env.HOME ?? '/root',
  LANG: 'C.UTF-8',
  // ansible-playbook refuses LC_ALL=C; C.UTF-8 suits every tool.
  LC_ALL: 'C.UTF-8',
  TERM: 'dumb',
};

function tags(steps: number | undefined): string[] {
  if (steps === undefined || steps >= TASKS.length) return [];
  // A tag no task has selects nothing: the run connects to nothing.
  const list = steps === 0 ? ['t00'] : Array.from({ length: steps }, (_, i) => taskTag(i));
  return ['--tags', list.join(',')];
}

export function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'fleet-bench-'));
}

export function invocation(tool: ToolName, lab: LabRef, scope: RunScope): Invocation {
  const check = isCheck(tool) ? ['--check'] : [];
  if (isFleet(tool)) {
    const compiled = tool.startsWith('fleet-compiled-');
    if (compiled && !scope.compiledEntry) throw new FleetError('E_USAGE', `bench: ${tool} needs the tsc build`);
    return {
      argv: [
        process.execPath, compiled ? scope.compiledEntry! : join(REPO_DIR, 'bin/fleet.js'), 'run', FLEET_PLAYBOOK, '-i', lab.inventoryPath,
        '--known-hosts', lab.knownHostsPath, '--output', 'json', '--state-dir', join(scope.scratch, 'state'),
        '--forks', String(scope.forks), ...check, ...tags(scope.steps), ...(scope.limit ? ['--limit', scope.limit] : []),
      ],
      env: { ...BASE_ENV },
      cwd: REPO_DIR,
    };
  }
  if (tool === 'ansible-apply' || tool === 'ansible-check') {
    return {
      argv: [
        'ansible-playbook', '-i', lab.inventoryPath, '-f', String(scope.forks), ANSIBLE_PLAYBOOK,
        ...check, ...tags(scope.steps), ...(scope.limit ? ['-l', scope.limit] : []),
      ],
      env: {
        ...BASE_ENV,
        ANSIBLE_CONFIG: ANSIBLE_CFG,
        ANSIBLE_SSH_COMMON_ARGS: `-o UserKnownHostsFile=${lab.knownHostsPath} -o StrictHostKeyChecking=yes`,
        ANSIBLE_SSH_CONTROL_PATH_DIR: join(scope.scratch, 'cp'),
        ANSIBLE_LOCAL_TEMP: join(scope.scratch, 'tmp'),
        ANSIBLE_NOCOLOR: '1',
      },
      cwd: REPO_DIR,
    };
  }
  return {
    argv: [
      process.execPath, '--import', 'tsx', join(REPO_DIR, 'bench/floor.ts'), '--inventory', lab.inventoryPath,
      '--known-hosts', lab.knownHostsPath, ...(scope.steps !== undefined ? ['--steps', String(scope.steps)] : []),
      ...(scope.limit ? ['--limit', scope.limit] : []),
    ],
    env: { ...BASE_ENV },
    cwd: REPO_DIR,
  };
}

export interface ToolOutcome {
  ok: boolean;
  /** Why the run does not count. */
  error?: string;
  /** fleet: median duration of each task over the hosts (ms); floor: median per step. */
  perTaskMs?: number[];
  /** floor: median time to connect to a host (ms). */
  connectMs?: number;
}

interface FleetEvent {
  kind: string;
  task?: string;
  host?: string;
  status?: string;
  durationMs?: number;
  result?: string;
  recap?: Record<string, { state: string; failed: number; unreachable: number }>;
}

function tail(text: string, lines = 8): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Did the run finish the scenario on all `hosts` hosts? Judged from exit code and output. */
export function judge(tool: ToolName, code: number | null, stdout: string, stderr: string, hosts: number): ToolOutcome {
  if (isFleet(tool)) {
    const events = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as FleetEvent);
    const end = events.find((e) => e.kind === 'run-end');
    const bad = Object.entries(end?.recap ?? {}).filter(([, r]) => r.state !== 'ok' || r.failed > 0 || r.unreachable > 0);
    if (code !== 0 || !end || end.result !== 'ok' || Object.keys(end.recap ?? {}).length !== hosts || bad.length > 0) {
      const failed = events.filter((e) => e.kind === 'host-task' && e.status !== 'ok' && e.status !== 'changed').slice(0, 3);
      return { ok: false, error: `exit ${code}; ${JSON.stringify(failed)} ${tail(stderr)}` };
    }
    const perTaskMs = TASKS.map((t) => {
      const d = events.filter((e) => e.kind === 'host-task' && e.task === t).map((e) => e.durationMs ?? 0).sort((a, b) => a - b);
      return d.length ? d[Math.floor(d.length / 2)]! : 0;
    });
    return { ok: true, perTaskMs };
  }
  if (tool === 'ansible-apply' || tool === 'ansible-check') {
    const recap = [...stdout.matchAll(/^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)/gm)];
    const bad = recap.filter((m) => m[4] !== '0' || m[5] !== '0');
    if (code !== 0 || recap.length !== hosts || bad.length > 0) return { ok: false, error: `exit ${code}; ${tail(stdout)} ${tail(stderr)}` };
    return { ok: true };
  }
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    const r = JSON.parse(line) as { ok: boolean; hosts: number; connectMs: number; perStepMs: number[]; failures: string[] };
    if (code !== 0 || !r.ok || r.hosts !== hosts) return { ok: false, error: `exit ${code}; ${(r.failures ?? []).slice(0, 3).join('; ')} ${tail(stderr)}` };
    return { ok: true, perTaskMs: r.perStepMs, connectMs: r.connectMs };
  } catch {
    return { ok: false, error: `exit ${code}; ${tail(stdout)} ${tail(stderr)}` };
  }
}

/** ansible-playbook's version line, or null when it is not installed. */
export function ansibleVersion(): string | null {
  const r = spawnSync('ansible-playbook', ['--version'], { env: BASE_ENV, encoding: 'utf8' });
  if (r.status !== 0) return null;
  return r.stdout.split('\n')[0]?.trim() ?? null;
}
