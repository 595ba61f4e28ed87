/**
 * What each task costs on a host: SSH sessions (round trips: commands started
 * over an open connection), new SSH connections, and processes started on the
 * host. Measured from the host's side, so it works for every tool alike:
 * sshd logs at LogLevel VERBOSE one "Starting session" line per session and
 * one "Accepted publickey" line per connection, and the host's PID namespace
 * hands out PIDs in sequence, so /proc/sys/kernel/ns_last_pid read before and
 * after a run tells how many processes the run started there.
 *
 * Per task: the tool runs against one seeded host with the first k tasks
 * (k = 0..12, selected by their tNN tags); task k costs count(k) - count(k-1).
 * The first task's cost includes opening the connection; count(0) is what the
 * tool does with no task selected.
 */
import { rmSync } from 'node:fs';
import type { Lab, LabHost } from '../test/lab/index.ts';
import { tcpAccepts } from '../test/lab/index.ts';
import { FleetError } from '../src/errors/fleet-error.ts';
import { measure } from './measure.ts';
import { checkHosts, seedHosts } from './hosts.ts';
import { TASKS } from './scenario.ts';
import { invocation, isCheck, judge, scratchDir, type ToolName } from './tools.ts';

export interface TripCounts {
  /** SSH sessions started (exec, subsystem such as sftp, shell). */
  sessions: number;
  /** Of which sftp/scp subsystem sessions. */
  subsystems: number;
  /** SSH connections accepted. */
  connections: number;
  /** Processes started on the host (sshd's own children included). */
  processes: number;
}

export interface TripReport {
  tool: ToolName;
  /** cumulative[k]: counts of a run with the first k tasks. */
  cumulative: TripCounts[];
  /** perTask[i]: what task i+1 added. */
  perTask: TripCounts[];
}

const LOG = '/var/log/lab-sshd.log';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Make the host's sshd log every session (it re-reads its config on SIGHUP). */
export async function verboseSshd(lab: Lab, host: LabHost): Promise<void> {
  const r = await lab.exec(host, `sed -i 's/^LogLevel .*/LogLevel VERBOSE/' /etc/ssh/sshd_config && kill -HUP "$(cat /run/sshd.pid)"`);
  if (r.code !== 0) throw new FleetError('E_INTERNAL', `bench: cannot raise sshd's LogLevel on ${host.name}: ${r.stderr.trim()}`);
  await sleep(300);
  const deadline = Date.now() + 10_000;
  while (!(await tcpAccepts(host.address, 22))) {
    if (Date.now() > deadline) throw new FleetError('E_INTERNAL', `bench: sshd on ${host.name} did not come back after SIGHUP`);
    await sleep(100);
  }
}

/** Empty the sshd log and return the host's last PID (the reading shell's own: it forks nothing after it starts). */
async function mark(lab: Lab, host: LabHost): Promise<number> {
  const r = await lab.exec(host, `: > ${LOG}; read p < /proc/sys/kernel/ns_last_pid; echo "$p"`);
  return Number(r.stdout.trim());
}

/** Read the host's last PID first (before `cat` forks), then the log. */
async function collect(lab: Lab, host: LabHost, before: number): Promise<TripCounts> {
  const r = await lab.exec(host, `read p < /proc/sys/kernel/ns_last_pid; echo "$p"; cat ${LOG}`);
  const [pidLine, ...log] = r.stdout.split('\n');
  const after = Number(pidLine);
  const count = (re: RegExp) => log.filter((l) => re.test(l)).length;
  return {
    sessions: count(/Starting session: /),
    subsystems: count(/Starting session: subsystem/),
    connections: count(/Accepted publickey for /),
    // The reading shell of `collect` took one PID itself.
    processes: after - before - 1,
  };
}

function diff(a: TripCounts, b: TripCounts): TripCounts {
  return {
    sessions: a.sessions - b.sessions,
    subsystems: a.subsystems - b.subsystems,
    connections: a.connections - b.connections,
    processes: a.processes - b.processes,
  };
}

/** One tool against the lab's first host, k = 0..12 tasks. `progress` is told each step. */
export async function countTrips(lab: Lab, tool: ToolName, progress: (msg: string) => void = () => undefined): Promise<TripReport> {
  const host = lab.hosts[0]!;
  const cumulative: TripCounts[] = [];
  for (let k = 0; k <= TASKS.length; k++) {
    await seedHosts(lab, host.name);
    const before = await mark(lab, host);
    const scratch = scratchDir();
    let verdict: { ok: boolean; error?: string };
    try {
      const inv = invocation(tool, lab, { forks: 1, limit: host.name, steps: k, scratch });
      const m = await measure(inv.argv, { env: inv.env, cwd: inv.cwd });
      verdict = k === TASKS.length ? judge(tool, m.code, m.stdout, m.stderr, 1) : { ok: m.code === 0, error: m.stderr.slice(-500) };
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    if (!verdict.ok) throw new FleetError('E_INTERNAL', `bench: ${tool} with ${k} tasks failed: ${verdict.error}`);
    await sleep(200); // sshd's session processes finish logging
    // Count before checking the host: the check starts processes there too.
    cumulative.push(await collect(lab, host, before));
    if (k === TASKS.length) {
      const problems = await checkHosts(lab, isCheck(tool) ? 'seeded' : 'applied', host.name);
      if (problems.length) throw new FleetError('E_INTERNAL', `bench: ${tool} left ${host.name} wrong: ${problems.join('; ')}`);
    }
    progress(`${tool}: ${k}/${TASKS.length} tasks`);
  }
  const perTask = cumulative.slice(1).map((c, i) => diff(c, cumulative[i]!));
  return { tool, cumulative, perTask };
}
