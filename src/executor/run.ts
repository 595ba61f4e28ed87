/**
 * A whole run: every play in order over the hosts it selects, one journal,
 * automatic rollback of hosts that fail, and the recap at the end.
 */
import { resolve } from 'node:path';
import type { Playbook } from '../playbook/types.ts';
import type { Inventory } from '../inventory/types.ts';
import { selectHosts, limitHosts, inventoryGroupsVar } from '../inventory/index.ts';
import type { EventSink, HostRecap, RunResult } from '../events/types.ts';
import { RunJournal, newRunId } from '../journal/journal.ts';
import { lockHosts } from '../journal/lock.ts';
import { FleetError, isFleetError } from '../errors/fleet-error.ts';
import { newHostRun, hostvarsObject, type HostRun, type VarLayers } from './host-run.ts';
import { makeConnect, localResolver, planContextFor, type Connector, type PlayContext } from './play-context.ts';
import { runPlay } from './run-play.ts';
import { rollbackHost, pendingIntents } from './rollback.ts';

export interface RunOptions {
  playbook: Playbook;
  inventory: Inventory;
  check: boolean;
  forks: number;
  limit?: string;
  onlyTags: string[];
  skipTags: string[];
  extraVars: Record<string, unknown>;
  /** --no-rollback */
  noRollback: boolean;
  forceHandlers: boolean;
  emit: EventSink;
  stateDir: string;
  connector: Connector;
  maxOutputBytes?: number;
  argv?: string[];
  knownHosts?: string;
  /** Set to true (e.g. by a signal handler) to start no new task. */
  stop?: { requested: boolean };
  /** Use this run id (tests); default: a new one. */
  runId?: string;
}

export interface RunSummary {
  runId: string;
  result: RunResult;
  recap: Record<string, HostRecap>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runPlaybook(o: RunOptions): Promise<RunSummary> {
  const started = Date.now();
  const hosts = new Map<string, HostRun>(o.inventory.hosts.map((h) => [h.name, newHostRun(h)]));
  const allSelected = new Set<string>();
  const plays = o.playbook.plays.map((play) => {
    let names = selectHosts(o.inventory, play.hosts);
    if (o.limit) names = limitHosts(o.inventory, names, o.limit);
    names.forEach((n) => allSelected.add(n));
    return { play, names };
  });
  const id = o.runId ?? newRunId();
  // Check mode changes nothing: it takes no lock.
  const unlock = o.check ? async () => undefined : await lockHosts(o.stateDir, id, [...allSelected], `fleet run ${o.playbook.file}`);
  let journal: RunJournal;
  try {
    journal = await RunJournal.create(o.stateDir, {
      id,
      playbook: resolve(o.playbook.file),
      inventory: resolve(o.inventory.file),
      ...(o.knownHosts ? { knownHosts: o.knownHosts } : {}),
      check: o.check,
      started: new Date().toISOString(),
      hosts: [...allSelected],
      result: 'running',
      argv: o.argv ?? process.argv.slice(2),
      pid: process.pid,
    });
  } catch (e) {
    await unlock();
    throw e;
  }
  const runId = journal.meta.id;
  o.emit({ kind: 'run-start', runId, playbook: o.playbook.file, check: o.check, hosts: [...allSelected], time: new Date().toISOString() });

  const connect = makeConnect(o.connector);
  const resolver = localResolver(o.playbook.dir);
  const stop = o.stop ?? { requested: false };
  let interrupted = false;
  const groups = inventoryGroupsVar(o.inventory);

  try {
    for (const { play, names } of plays) {
      if (stop.requested) { interrupted = true; break; }
      const active = names.filter((n) => !hosts.get(n)!.failed && !hosts.get(n)!.unreachable);
      if (active.length === 0) continue;
      const layers: VarLayers = { playVars: play.vars, extraVars: o.extraVars, magic: {}, check: o.check };
      layers.magic = {
        groups,
        hostvars: hostvarsObject(hosts, () => layers),
        play_hosts: active,
        ansible_play_hosts: active,
        ansible_play_hosts_all: names,
      };
      const pc: PlayContext = {
        playbook: o.playbook,
        play,
        check: o.check,
        emit: o.emit,
        ...(o.check ? {} : { journal }),
        layers,
        maxOutputBytes: o.maxOutputBytes ?? 1024 * 1024,
        hosts,
        connect,
        delegate: (name, from) => {
          const h = hosts.get(name);
          if (!h) throw new FleetError('E_VALIDATION', `delegate_to: no host '${name}' in the inventory (from ${from.name})`);
          return h;
        },
        planContext: (host, vars, task) => planContextFor(resolver, host, vars, task),
      };
      const res = await runPlay(pc, active, {
        forks: o.forks,
        onlyTags: o.onlyTags,
        skipTags: o.skipTags,
        forceHandlers: o.forceHandlers,
        stopping: () => stop.requested,
        onHostFailed: async (host, reason) => {
          if (o.check) return; // a check run journals nothing per host
          await journal.append(host.name, { t: 'status', state: host.unreachable ? 'unreachable' : 'failed', msg: reason, time: new Date().toISOString() }).catch(() => undefined);
          if (o.noRollback || !play.rollback) return;
          if ((await pendingIntents(journal, host.name)).length === 0) return;
          await autoRollback(o, journal, host, connect, reason);
        },
      });
      if (stop.requested) interrupted = true;
      if (res.stopped) break;
    }
  } finally {
    await Promise.all([...hosts.values()].map((h) => h.transport?.close().catch(() => undefined)));
    await unlock();
  }

  const recap: Record<string, HostRecap> = {};
  for (const name of allSelected) recap[name] = hosts.get(name)!.recap;
  const states = Object.values(recap).map((r) => r.state);
  const result: RunResult = interrupted
    ? 'interrupted'
    : states.some((s) => s === 'failed' || s === 'rolled-back' || s === 'failed-to-rollback')
      ? 'failed'
      : states.includes('unreachable') ? 'unreachable' : 'ok';
  await journal.saveMeta({
    ended: new Date().toISOString(),
    result,
    hostStates: Object.fromEntries(Object.entries(recap).map(([h, r]) => [h, r.state])),
  });
  await journal.close();
  o.emit({ kind: 'run-end', runId, result, check: o.check, recap, durationMs: Date.now() - started });
  return { runId, result, recap };
}

async function autoRollback(
  o: RunOptions,
  journal: RunJournal,
  host: HostRun,
  connect: (h: HostRun) => Promise<HostRun>,
  reason: string,
): Promise<void> {
  // An unreachable host may come back: reconnect a few times before giving up.
  if (host.unreachable || !host.transport) {
    await host.transport?.close().catch(() => undefined);
    host.transport = undefined;
    host.view = undefined;
    host.unreachable = false;
    for (let attempt = 0; attempt < 3 && !host.transport; attempt++) {
      try {
        await connect(host);
      } catch (e) {
        if (!isFleetError(e)) throw e;
        if (attempt < 2) await sleep(2000 * 2 ** attempt); // no pause after the last try
      }
    }
    if (!host.transport) {
      host.unreachable = true;
      host.recap.state = 'failed-to-rollback';
      o.emit({ kind: 'rollback-end', host: host.name, status: 'failed-to-rollback', msg: `${host.name} is unreachable; run \`fleet rollback ${journal.meta.id} --host ${host.name}\` when it is back` });
      return;
    }
  }
  const status = await rollbackHost({
    host: host.name,
    journal,
    transport: host.transport!,
    emit: o.emit,
    check: false,
    force: false,
    reason,
  });
  host.recap.state = status;
  if (status === 'rolled-back') host.recap.rolledBack++;
  host.view?.invalidate();
}
