/**
 * One fleet run over the scale lab, the same way in `npm run bench:scale` and
 * in test/bench/scale-lab.test.ts: hosts seeded (and checked seeded) first,
 * then `node bin/fleet.js run bench/scale/playbook.yaml ... --output json`
 * under bench/measure.ts's measure() (CPU and peak RSS of the whole process
 * tree), its events stamped as they arrive, judged by bench/tools.ts's judge,
 * then every host directory checked: migrated after an apply, untouched after
 * --check.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { measure, type Measured } from '../measure.ts';
import { REPO_DIR } from '../scenario.ts';
import { BASE_ENV, judge } from '../tools.ts';
import { checkScaleHosts } from './end-state.ts';
import { hostFigures, parseEvents, type HostFigures } from './figures.ts';
import type { ScaleHost } from './lab-types.ts';
import { seedScaleHosts } from './seed.ts';
import { collectStamped } from './stamped-output.ts';

export const SCALE_PLAYBOOK = fileURLToPath(new URL('playbook.yaml', import.meta.url));

/** What a run needs of the lab. */
export interface ScaleTarget {
  hosts: readonly ScaleHost[];
  inventoryPath: string;
  knownHostsPath: string;
}

export interface ScaleRunOptions {
  check: boolean;
  /** --forks; 'default' leaves it to fleet (50). */
  forks: number | 'default';
  /** Kill fleet after this long (default 30 min). */
  timeoutMs?: number;
}

export interface ScaleRunOutcome {
  ok: boolean;
  /** Why the run does not count (failed, a host did not finish, hosts not as expected). */
  error?: string;
  measured: Omit<Measured, 'stdout' | 'stderr'>;
  /** ms from spawn to the first event (measure()'s own first byte is null: stdout goes to a file). */
  firstEventMs: number | null;
  figures: HostFigures;
  /** End-state problems (at most 20). */
  stateProblems: string[];
  stderrTail: string;
}


export function fleetArgv(target: ScaleTarget, stateDir: string, o: ScaleRunOptions): string[] {
  return [
    process.execPath, join(REPO_DIR, 'bin/fleet.js'), 'run', SCALE_PLAYBOOK, '-i', target.inventoryPath,
    '--known-hosts', target.knownHostsPath, '--output', 'json', '--state-dir', stateDir,
    ...(o.forks === 'default' ? [] : ['--forks', String(o.forks)]), ...(o.check ? ['--check'] : []),
  ];
}

/** Scratch dirs of runs in progress, removed at exit too (Ctrl-C exits without unwinding). */
const liveScratch = new Set<string>();
let exitHook = false;
function scratchDir(): string {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const d of liveScratch) rmSync(d, { recursive: true, force: true });
    });
  }
  const d = mkdtempSync(join(tmpdir(), 'fleet-scale-run-'));
  liveScratch.add(d);
  return d;
}

const head = (list: string[], n = 5) => `${list.slice(0, n).join('; ')}${list.length > n ? ` (+${list.length - n})` : ''}`;

/** Seed every host, check the seeding, run fleet (measured), check every host. */
export async function runScaleFleet(target: ScaleTarget, o: ScaleRunOptions): Promise<ScaleRunOutcome> {
  seedScaleHosts(target.hosts.map((h) => h.root));
  const seeded = checkScaleHosts(target.hosts, 'seeded');
  if (seeded.length > 0) throw new FleetError('E_INTERNAL', `bench: seeding did not give the seeded state: ${head(seeded)}`);
  const scratch = scratchDir();
  try {
    let t0 = 0;
    const out = collectStamped(join(scratch, 'events.jsonl'), () => t0);
    t0 = performance.now();
    const m = await measure(out.wrap(fleetArgv(target, join(scratch, 'state'), o)), { env: BASE_ENV, cwd: REPO_DIR, ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
    const lines = out.finish();
    const { stdout: _unused, stderr, ...measured } = m;
    const n = target.hosts.length;
    const events = parseEvents(lines);
    const malformed = lines.filter((l) => l.line.startsWith('{')).length - events.length;
    // judge() gets the well-formed event lines; a cut or garbled line is an error of its own.
    const stdout = events.map((e) => JSON.stringify(e.event)).join('\n');
    const verdict = judge(o.check ? 'fleet-check' : 'fleet-apply', m.code, stdout, stderr, n);
    const figures = hostFigures(events, target.hosts.map((h) => h.name), o.check);
    const stateProblems = checkScaleHosts(target.hosts, o.check ? 'seeded' : 'applied');
    let error: string | undefined;
    if (malformed > 0) error = `exit ${m.code}; ${malformed} malformed JSON event lines in fleet's output`;
    else if (figures.completed !== n) error = `exit ${m.code}; ${n - figures.completed} of ${n} hosts did not finish: ${head(figures.incomplete, 3)}`;
    else if (verdict.error !== undefined) error = verdict.error;
    else if (stateProblems.length > 0) error = `hosts not as expected after the run: ${head(stateProblems)}`;
    return {
      ok: error === undefined,
      ...(error !== undefined ? { error } : {}),
      measured,
      firstEventMs: lines[0]?.atMs ?? null,
      figures,
      stateProblems: stateProblems.slice(0, 20),
      stderrTail: stderr.trim().split('\n').slice(-10).join('\n'),
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    liveScratch.delete(scratch);
  }
}
