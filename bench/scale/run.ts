/**
 * `npm run bench:scale`: the 500-host scale run of issue 5. Brings a scale lab
 * up (lab.ts: N addresses of one namespace, K sshds, a directory per host),
 * then per round: seed, fleet apply (measured), check every host migrated;
 * seed, fleet --check (measured), check every host untouched. Prints a table
 * and writes bench/results/<date>-scale-<N>.json. Exits 1 when a run failed,
 * a host did not finish or a host's end state is wrong. The lab is torn down
 * at the end, on exit, Ctrl-C and SIGTERM; `--down` removes one a killed run
 * left behind.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { hideBin } from 'yargs/helpers';
import { isFleetError } from '../../src/errors/fleet-error.ts';
import { adoptHostProcesses, removeGroups } from '../measure.ts';
import { BENCH_DIR } from '../scenario.ts';
import { runScaleFleet } from './fleet-run.ts';
import { createScaleLab, defaultScaleLabDir } from './lab.ts';
import { teardownScaleDirSync } from './lab-state.ts';
import { machineInfo } from '../machine.ts';
import { runFigures } from '../measure.ts';
import { parseScaleOptions, type ScaleOptions } from './options.ts';
import { formatScaleReport, RSS_GOAL_KIB, type ScaleResults, type ScaleRunRecord } from './report.ts';

const log = (msg: string) => process.stderr.write(`[bench:scale ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);


function resultsPath(o: ScaleOptions, date: string): string {
  if (o.out) return o.out;
  const dir = join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const base = `${date}-scale-${o.hosts}`;
  let path = join(dir, `${base}.json`);
  for (let i = 2; existsSync(path); i++) path = join(dir, `${base}-${i}.json`);
  return path;
}

async function main(): Promise<number> {
  const o = parseScaleOptions(hideBin(process.argv));
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench:scale: must run as root (network namespaces, cgroups)\n');
    return 4;
  }
  const dir = o.dir ?? defaultScaleLabDir(o.name);
  if (o.down) {
    const found = teardownScaleDirSync(dir);
    process.stdout.write(found ? `scale lab ${o.name}: down\n` : `scale lab ${o.name}: not running (no ${dir}/state.json)\n`);
    return 0;
  }
  process.on('exit', removeGroups);
  // Ctrl-C / SIGTERM: exit, so the 'exit' handlers (ours and the lab's teardown) run.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => process.exit(sig === 'SIGINT' ? 130 : 143));
  const date = new Date().toISOString().slice(0, 10);
  log(`bringing up a scale lab of ${o.hosts} hosts on ${o.sshds} sshds`);
  const t0 = Date.now();
  const lab = await createScaleLab({ name: o.name, hosts: o.hosts, sshds: o.sshds, ...(o.dir ? { dir: o.dir } : {}) });
  const upMs = Date.now() - t0;
  const records: ScaleRunRecord[] = [];
  const notes: string[] = [];
  try {
    adoptHostProcesses(lab.sshds.map((r) => r.pid));
    for (let round = 0; round < o.runs; round++) {
      for (const mode of ['apply', 'check'] as const) {
        const r = await runScaleFleet(lab, { check: mode === 'check', forks: o.forks });
        const m = r.measured;
        const rec: ScaleRunRecord = {
          mode, round, ok: r.ok, ...(r.error !== undefined ? { error: r.error } : {}), hosts: o.hosts, forks: o.forks,
          ...runFigures(m), loadAvg1: loadavg()[0]!, firstEventMs: r.firstEventMs, figures: r.figures,
          rssGoalMet: m.peakTreeRssKiB < RSS_GOAL_KIB, ...(r.ok ? {} : { stderrTail: r.stderrTail }),
        };
        records.push(rec);
        const other = m.otherCpuMs / m.wallMs;
        log(`${mode} #${round + 1}: ${r.ok ? `${(m.wallMs / 1000).toFixed(2)} s wall, ${(m.cpuMs / 1000).toFixed(2)} s CPU, peak RSS ${(m.peakTreeRssKiB / 1024).toFixed(0)} MiB, ${r.figures.completed}/${o.hosts} hosts done` : `FAILED: ${r.error}`}${other > 0.2 ? ` (other work on the machine: ${other.toFixed(2)} cores)` : ''}`);
      }
    }
  } finally {
    await lab.down();
  }
  const others = records.map((r) => r.otherCpuMs / r.wallMs);
  if (others.some((x) => x > 0.25)) notes.push(`other work on this machine took up to ${Math.max(...others).toFixed(2)} cores while fleet ran: the timings are disturbed by it`);
  const results: ScaleResults = {
    version: 1, kind: 'scale', date, machine: machineInfo(), options: { ...o },
    lab: { hosts: o.hosts, sshds: o.sshds, subnet: lab.subnet, upMs }, records, notes,
  };
  process.stdout.write(formatScaleReport(results));
  const path = resultsPath(o, date);
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\nresults written to ${path}\n`);
  const failed = records.filter((r) => !r.ok).length;
  if (failed) process.stderr.write(`bench:scale: ${failed} runs failed (see 'error' in the results file)\n`);
  return failed ? 1 : 0;
}

try {
  process.exitCode = await main();
} catch (e) {
  process.stderr.write(`bench:scale: ${isFleetError(e) ? e.describe() : (e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = 1;
} finally {
  removeGroups();
}
