/**
 * `npm run bench`: fleet against ansible-playbook and a raw-SSH floor on light
 * lab hosts (see docs/performance.md). For each lab size: bring a lab up, then
 * `runs` rounds in which every tool runs once (order rotated each round), each
 * run from freshly seeded hosts (seeding and checking are outside the timed
 * region) and checked afterwards (apply: every host migrated; check: every
 * host untouched). Prints the report and writes bench/results/<date>.json.
 * Labs are torn down on exit, Ctrl-C and SIGTERM.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hideBin } from 'yargs/helpers';
import { createLab, type Lab } from '../test/lab/index.ts';
import { isFleetError } from '../src/errors/fleet-error.ts';
import { adoptHostProcesses, measure, removeGroups, runFigures } from './measure.ts';
import { parseBenchOptions, type BenchOptions } from './options.ts';
import { checkHosts, seedHosts } from './hosts.ts';
import { evaluateGoals, formatReport, pointRatios, summarizeTool, type BenchResults, type PointResult, type RunRecord } from './report.ts';
import { BENCH_DIR } from './scenario.ts';
import { buildCompiled, measureStartup, type CompiledBuild } from './startup.ts';
import { interleave } from './stats.ts';
import { machineInfo } from './machine.ts';
import { ansibleVersion, invocation, isCheck, judge, TOOL_LABELS, type ToolName } from './tools.ts';
import { countTrips, verboseSshd, type TripReport } from './trips.ts';

const LAB_NAME = 'fleet-bench';
const log = (msg: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

let scratchRoot: string | undefined;
function cleanupSync(): void {
  removeGroups();
  if (scratchRoot) rmSync(scratchRoot, { recursive: true, force: true });
  scratchRoot = undefined;
}

function machine(ansible: string | null): Record<string, string | number> {
  const ssh = spawnSync('ssh', ['-V'], { encoding: 'utf8' });
  return {
    ...machineInfo(),
    openssh: (ssh.stderr || ssh.stdout || '').trim(),
    ansible: ansible ?? 'ansible-playbook not installed',
  };
}

/** One timed run of `tool` against every host of the lab, from seeded hosts, checked afterwards. */
async function timedRun(lab: Lab, tool: ToolName, round: number, compiled: CompiledBuild | null): Promise<RunRecord> {
  await seedHosts(lab);
  const scratch = mkdtempSync(join(scratchRoot!, 'run-'));
  const inv = invocation(tool, lab, { forks: lab.hosts.length, scratch, ...(compiled ? { compiledEntry: compiled.entry } : {}) });
  const m = await measure(inv.argv, { env: inv.env, cwd: inv.cwd });
  rmSync(scratch, { recursive: true, force: true });
  const verdict = judge(tool, m.code, m.stdout, m.stderr, lab.hosts.length);
  let error = verdict.error;
  if (verdict.ok) {
    const problems = await checkHosts(lab, isCheck(tool) ? 'seeded' : 'applied');
    if (problems.length) error = `hosts not as expected after the run: ${problems.slice(0, 5).join('; ')}${problems.length > 5 ? ` (+${problems.length - 5})` : ''}`;
  }
  const rec: RunRecord = {
    tool, round, ok: error === undefined, ...(error !== undefined ? { error } : {}),
    ...runFigures(m), firstByteMs: m.firstByteMs, loadAvg1: loadavg()[0]!,
    ...(verdict.perTaskMs ? { perTaskMs: verdict.perTaskMs } : {}),
    ...(verdict.connectMs !== undefined ? { connectMs: verdict.connectMs } : {}),
  };
  const other = m.otherCpuMs / m.wallMs;
  log(`${lab.hosts.length} hosts, round ${round + 1}: ${TOOL_LABELS[tool]} ${rec.ok ? `${(m.wallMs / 1000).toFixed(2)} s wall, ${(m.cpuMs / 1000).toFixed(2)} s CPU` : `FAILED: ${error}`}${other > 0.2 ? ` (other work on the machine: ${other.toFixed(2)} cores)` : ''}`);
  return rec;
}

async function measurePoint(hosts: number, tools: ToolName[], o: BenchOptions, compiled: CompiledBuild | null): Promise<PointResult> {
  log(`bringing up ${hosts} lab hosts`);
  const t0 = Date.now();
  const lab = await createLab({ name: LAB_NAME, hosts, teardownOnExit: true, timeoutMs: 60_000 + hosts * 500 });
  const labUpMs = Date.now() - t0;
  try {
    adoptHostProcesses(lab.hosts.flatMap((h) => [h.holderPid, h.initPid, h.pid]));
    const records: RunRecord[] = [];
    for (let round = 0; round < o.runs; round++) {
      for (const tool of interleave(tools, round)) records.push(await timedRun(lab, tool, round, compiled));
    }
    const summary: PointResult['summary'] = {};
    for (const tool of tools) summary[tool] = summarizeTool(records.filter((r) => r.tool === tool));
    return { hosts, labUpMs, records, summary, ratios: pointRatios(summary) };
  } finally {
    await lab.down();
  }
}

async function measureTrips(tools: ToolName[]): Promise<TripReport[]> {
  log('counting round trips and host processes per task (1 host, sshd LogLevel VERBOSE)');
  const lab = await createLab({ name: `${LAB_NAME}-rt`, hosts: 1, teardownOnExit: true });
  try {
    await verboseSshd(lab, lab.hosts[0]!);
    const out: TripReport[] = [];
    for (const tool of tools) out.push(await countTrips(lab, tool));
    return out;
  } finally {
    await lab.down();
  }
}

function resultsPath(o: BenchOptions, date: string): string {
  if (o.out) return o.out;
  const dir = join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const base = `${date}${o.quick ? '-quick' : ''}`;
  let path = join(dir, `${base}.json`);
  for (let i = 2; existsSync(path); i++) path = join(dir, `${base}-${i}.json`);
  return path;
}

/** What bin/fleet.js runs: the build in dist/ (bundled: dist/fleet.mjs) when it is fresh, else the sources through tsx. */
function fleetEntry(): string {
  const root = join(BENCH_DIR, '..');
  const newest = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce(
    (m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);
  const stamp = join(root, 'dist', '.stamp');
  return existsSync(stamp) && existsSync(join(root, 'dist', 'fleet.mjs')) && statSync(stamp).mtimeMs >= newest(join(root, 'src'))
    ? 'from the build in dist/ (dist/fleet.mjs)'
    : 'through tsx (dist/ is missing or older than src/)';
}

async function main(): Promise<number> {
  const o = parseBenchOptions(hideBin(process.argv));
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench: must run as root (the lab uses network and mount namespaces)\n');
    return 4;
  }
  process.on('exit', cleanupSync);
  // Ctrl-C / SIGTERM: exit, so the 'exit' handlers (ours, and the labs' teardown) run.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => process.exit(sig === 'SIGINT' ? 130 : 143));
  scratchRoot = mkdtempSync(join(tmpdir(), 'fleet-bench-'));
  const date = new Date().toISOString().slice(0, 10);
  const ansible = ansibleVersion();
  const notes: string[] = [];
  if (o.ansible && !ansible) notes.push('ansible-playbook is not installed (apt-get install -y ansible-core): Ansible not measured');
  const useAnsible = o.ansible && ansible !== null;

  const entry = fleetEntry();
  log(`fleet runs ${entry}`);
  if (!entry.startsWith('from the build')) notes.push(`fleet ran ${entry}: run \`npm run build\` (done by npm ci) to time fleet as installed`);

  let compiled: CompiledBuild | null = null;
  if (o.compiled) {
    log('building src/ with tsc');
    compiled = await buildCompiled(join(scratchRoot, 'build'));
    if (!compiled) notes.push('the tsc build of src/ failed: fleet-compiled runs skipped');
  }
  const tools: ToolName[] = [
    'fleet-apply', 'fleet-check',
    ...(compiled ? (['fleet-compiled-apply', 'fleet-compiled-check'] as const) : []),
    ...(useAnsible ? (['ansible-apply', 'ansible-check'] as const) : []),
    'floor',
  ];

  log('measuring startup');
  const startup = await measureStartup(o.quick ? 3 : 5, compiled);
  const trips = o.trips ? await measureTrips(tools.filter((t) => !t.startsWith('fleet-compiled-'))) : [];
  const points: PointResult[] = [];
  let lostPoints = 0;
  for (const n of o.hosts) {
    try {
      points.push(await measurePoint(n, tools, o, compiled));
    } catch (e) {
      // Keep what the other sizes measured.
      lostPoints++;
      const msg = isFleetError(e) ? e.describe() : (e as Error)?.message ?? String(e);
      log(`${n} hosts: ${msg}`);
      notes.push(`${n} hosts not measured: ${msg}`);
    }
  }

  const others = points.flatMap((p) => p.records.filter((r) => r.ok).map((r) => r.otherCpuMs / r.wallMs)).sort((a, b) => a - b);
  const otherMedian = others.length ? others[Math.floor(others.length / 2)]! : 0;
  if (otherMedian > 0.25) {
    notes.push(`other work on this machine took ${otherMedian.toFixed(2)} cores (median over the runs) while the tools ran: the timings are disturbed by it; compare runs with the 'other load' column and the min values`);
  }
  const results: BenchResults = {
    version: 1,
    date,
    machine: { ...machine(ansible), fleetEntry: entry },
    options: { ...o, tools },
    startup,
    ...(compiled ? { compiledBuildMs: compiled.buildMs } : {}),
    points,
    goals: evaluateGoals(points),
    trips,
    notes,
  };
  process.stdout.write(formatReport(results));
  const path = resultsPath(o, date);
  writeFileSync(path, JSON.stringify(results, null, 2) + '\n');
  process.stdout.write(`\nresults written to ${path}\n`);
  const failed = points.flatMap((p) => p.records).filter((r) => !r.ok).length;
  if (failed) process.stderr.write(`bench: ${failed} runs failed (not counted; see 'error' in the results file)\n`);
  return failed || lostPoints ? 1 : 0;
}

/**
 * `npm run bench` starts this file through the tsx CLI, which SIGKILLs its
 * child when the child does not acknowledge a Ctrl-C within about 60 ms (a race
 * it can lose while the labs' teardown runs), cutting the teardown short. So
 * under the tsx CLI (its preflight script is loaded) the bench runs one process
 * further down, where that kill cannot reach it; this process only passes
 * signals on and returns the worker's exit code.
 */
function runAsWorker(): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, FLEET_BENCH_WORKER: '1' },
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (child.exitCode === null) child.kill(sig);
    });
  }
  return new Promise((resolve) => {
    child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
    child.on('error', (e) => {
      process.stderr.write(`bench: cannot start the worker: ${e.message}\n`);
      resolve(1);
    });
  });
}

const underTsxCli = process.execArgv.some((a) => a.includes('tsx/dist/preflight'));
if (underTsxCli && process.env.FLEET_BENCH_WORKER !== '1') {
  process.exitCode = await runAsWorker();
} else {
  try {
    process.exitCode = await main();
  } catch (e) {
    process.stderr.write(`bench: ${isFleetError(e) ? e.describe() : (e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  } finally {
    cleanupSync();
  }
}
