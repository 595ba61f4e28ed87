/**
 * bench/measure.ts (root, cgroup2): CPU is counted for every process a command
 * starts, also one that detached from it, and what it leaves behind is killed.
 * No timing is asserted: the CPU a detached process reports for itself is a
 * lower bound of what the group must have counted.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { measure, removeGroups } from '../../bench/measure.ts';

const CLK_TCK_MS = 10;

/** utime + stime (ms) from a /proc/PID/stat line. */
function cpuOfStat(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * CLK_TCK_MS;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('bench measure', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-measure-'));
  after(() => {
    removeGroups();
    rmSync(dir, { recursive: true, force: true });
  });

  it('counts the CPU of a detached grandchild and kills what is left when the command exits', async () => {
    const done = join(dir, 'done');
    const pidFile = join(dir, 'left');
    // A detached worker burns CPU, records its own CPU time, then starts a
    // sleeper that outlives the command (like a ControlPersist master).
    const script = `
      setsid sh -c 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; cat /proc/$$/stat > "$1.tmp"; mv "$1.tmp" "$1"; setsid sleep 300 & echo $! > "$2"' worker ${done} ${pidFile} &
      while [ ! -s ${done} ] || [ ! -s ${pidFile} ]; do sleep 0.05; done
      echo hello`;
    const m = await measure(['/bin/sh', '-c', script]);
    assert.equal(m.code, 0);
    assert.equal(m.stdout, 'hello\n');
    const workerCpu = cpuOfStat(readFileSync(done, 'utf8'));
    assert.ok(workerCpu > 0, 'the worker used CPU');
    assert.ok(m.cpuMs >= workerCpu, `group counted ${m.cpuMs} ms, the detached worker alone used ${workerCpu} ms`);
    assert.ok(m.firstByteMs !== null && m.firstByteMs <= m.wallMs);
    const left = Number(readFileSync(pidFile, 'utf8'));
    assert.equal(alive(left), false, 'the sleeper left behind was killed');
  });

  it('reports the exit code and stderr of a failing command', async () => {
    const m = await measure(['/bin/sh', '-c', 'echo oops >&2; exit 3']);
    assert.deepEqual([m.code, m.stderr, m.firstByteMs], [3, 'oops\n', null]);
  });
});
