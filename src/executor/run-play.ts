/**
 * One play: pick its hosts, cut them into serial batches, run each batch with
 * the play's strategy (linear: task by task across hosts; free: each host on
 * its own), run handlers, roll failed hosts back, and stop the rollout when a
 * batch fails more than max_fail_percentage (or any host, with
 * any_errors_fatal).
 */
import PQueue from 'p-queue';
import type { Play, Task, TaskNode } from '../playbook/types.ts';
import { taskSelected } from '../playbook/index.ts';
import { evaluateCondition, UnknownValueError } from '../expr/index.ts';
import type { HostRun } from './host-run.ts';
import { taskVars } from './host-run.ts';
import { isFleetError } from '../errors/fleet-error.ts';
import { emptyEffects } from '../events/types.ts';
import type { PlayContext } from './play-context.ts';
import { runTask, type TaskOutcome } from './run-task.ts';
import { LockstepGate, freeGate, type Gate } from './lockstep.ts';
import { batchSizes } from './batches.ts';
import { renderString } from '../template/index.ts';

export interface PlayOptions {
  forks: number;
  onlyTags: string[];
  skipTags: string[];
  forceHandlers: boolean;
  /** Called when a host has failed for good (after blocks/rescue): rolls it back if wanted. */
  onHostFailed(host: HostRun, reason: string): Promise<void>;
  /** The run was interrupted: start no new task. */
  stopping(): boolean;
}

export interface PlayResult {
  /** The rollout was stopped: run no further batch or play. */
  stopped: boolean;
}

function numberTasks(play: Play): Map<TaskNode, number> {
  const order = new Map<TaskNode, number>();
  let n = 0;
  const walk = (nodes: TaskNode[]) => {
    for (const node of nodes) {
      order.set(node, n++);
      if (node.kind === 'block') {
        walk(node.block);
        walk(node.rescue);
        walk(node.always);
      }
    }
  };
  walk(play.tasks);
  walk(play.handlers);
  return order;
}

export async function runPlay(pc: PlayContext, hostNames: string[], opts: PlayOptions): Promise<PlayResult> {
  const { play } = pc;
  pc.emit({ kind: 'play-start', play: play.name, hosts: hostNames, strategy: play.strategy });
  const order = numberTasks(play);
  const byOrder = new Map([...order].map(([node, n]) => [n, node]));
  const queue = new PQueue({ concurrency: Math.max(1, opts.forks) });
  const serialVars = { ...pc.layers.playVars, ...pc.layers.magic, ...pc.layers.extraVars };
  const serial = play.serial.map((s) =>
    typeof s === 'string' && s.includes('{{') ? (renderString(s, serialVars, { task: `serial of play "${play.name}"`, location: play.location }) as number | string) : s,
  );
  const sizes = batchSizes(serial, hostNames.length);
  let offset = 0;
  let abort = false;

  for (let b = 0; b < sizes.length; b++) {
    const batch = hostNames.slice(offset, offset + sizes[b]!).map((n) => pc.hosts.get(n)!).filter((h) => !h.failed && !h.unreachable);
    offset += sizes[b]!;
    if (batch.length === 0) continue;
    if (opts.stopping()) return { stopped: true };
    pc.emit({ kind: 'batch-start', play: play.name, index: b + 1, count: sizes.length, hosts: batch.map((h) => h.name) });

    const runOnce = new Map<Task, Promise<TaskOutcome>>();
    const batchNames = batch.map((h) => h.name);
    const announce = (o: number, hosts: string[]) => {
      const node = byOrder.get(o);
      // after a stop (signal, any_errors_fatal) released hosts skip the task: do not announce it
      if (node && node.kind === 'task' && !abort && !opts.stopping()) {
        pc.emit({ kind: 'task-start', play: play.name, task: node.name, location: node.location, hosts, handler: play.handlers.includes(node) });
      }
    };
    const gate: Gate = play.strategy === 'linear' ? new LockstepGate(batchNames, announce) : freeGate;

    const runOne = async (host: HostRun, task: Task, scoped: Record<string, unknown>[], handler: boolean): Promise<TaskOutcome | undefined> => {
      await gate.enter(host.name, order.get(task)!);
      if (abort || opts.stopping() || host.unreachable || (host.failed && !(handler && opts.forceHandlers))) return undefined;
      if (play.strategy === 'free') {
        pc.emit({ kind: 'task-start', play: play.name, task: task.name, location: task.location, hosts: [host.name], handler });
      }
      if (task.runOnce) {
        let shared = runOnce.get(task);
        const first = !shared;
        if (!shared) {
          shared = queue.add(() => runTask(pc, host, task, scoped, { handler })) as Promise<TaskOutcome>;
          runOnce.set(task, shared);
        }
        const out = await shared;
        if (!first) {
          if (task.register && out.registered !== undefined) host.facts[task.register] = out.registered;
          if (out.setFacts) Object.assign(host.facts, out.setFacts);
          if (out.status === 'changed') for (const n of task.notify) host.notified.add(n);
        }
        return out;
      }
      return (await queue.add(() => runTask(pc, host, task, scoped, { handler }))) as TaskOutcome;
    };

    /**
     * Run nodes for one host; returns false when the host failed (and it was not rescued).
     * `rescuable`: inside a block with a rescue section, so a failure here is not fatal for any_errors_fatal.
     */
    const runNodes = async (host: HostRun, nodes: TaskNode[], scoped: Record<string, unknown>[], rescuable = false): Promise<boolean> => {
      for (const node of nodes) {
        if (!taskSelected(node.tags, opts.onlyTags, opts.skipTags) && node.kind === 'task') continue;
        if (node.kind === 'task') {
          const out = await runOne(host, node, scoped, false);
          if (!out) { if (host.failed || host.unreachable) return false; continue; }
          countOutcome(host, out);
          if (out.status === 'unreachable') {
            // As in Ansible: a host that cannot be reached is fatal too under any_errors_fatal.
            if (play.anyErrorsFatal) abort = true;
            return false;
          }
          if (out.status === 'failed') {
            if (play.anyErrorsFatal && !rescuable) abort = true;
            return false;
          }
          continue;
        }
        // a block
        let enter = true;
        const inner = [...scoped, node.vars];
        try {
          // the same variables a task in the block sees (inventory_hostname, block vars...)
          const vars = taskVars(host, pc.layers, inner);
          enter = node.when.every((c) => evaluateCondition(c, vars));
        } catch (e) {
          if (!(e instanceof UnknownValueError)) {
            // a broken condition fails this host, not the whole run
            const out: TaskOutcome = { status: 'failed', msg: isFleetError(e) ? e.describe() : String(e), effects: emptyEffects() };
            pc.emit({ kind: 'host-task', host: host.name, task: node.name, status: 'failed', msg: node.noLog ? 'output hidden by no_log' : out.msg!, effects: out.effects, check: pc.check, handler: false, durationMs: 0, roundTrips: 0, noLog: node.noLog });
            countOutcome(host, out);
            if (play.anyErrorsFatal && !rescuable) abort = true;
            return false;
          }
        }
        if (!enter) continue;
        let ok = await runNodes(host, node.block, inner, rescuable || node.rescue.length > 0);
        if (!ok && !host.unreachable && node.rescue.length) {
          ok = await runNodes(host, node.rescue, inner, rescuable);
        }
        if (!host.unreachable && node.always.length) {
          const alwaysOk = await runNodes(host, node.always, inner, rescuable);
          ok = ok && alwaysOk;
        }
        if (!ok) return false;
      }
      return true;
    };

    const runHost = async (host: HostRun) => {
      try {
        const ok = await runNodes(host, play.tasks, []);
        if (!ok && !host.failed) {
          host.failed = true;
          host.recap.state = host.unreachable ? 'unreachable' : 'failed';
          gate.leave(host.name);
          await opts.onHostFailed(host, host.unreachable ? 'unreachable' : 'a task failed');
        }
        // handlers
        for (const h of play.handlers) {
          const wanted = host.notified.has(h.name) || h.listen.some((l) => host.notified.has(l));
          if (!wanted || host.unreachable || (host.failed && !opts.forceHandlers)) continue;
          host.notified.delete(h.name);
          for (const l of h.listen) host.notified.delete(l);
          const out = await runOne(host, h, [], true);
          if (out) {
            countOutcome(host, out);
            if ((out.status === 'failed' || out.status === 'unreachable') && !host.failed) {
              host.failed = true;
              host.recap.state = out.status === 'unreachable' ? 'unreachable' : 'failed';
              gate.leave(host.name);
              await opts.onHostFailed(host, `handler "${h.name}" failed`);
            }
          }
        }
      } finally {
        gate.leave(host.name);
        if (host.recap.state === 'not-run') host.recap.state = 'ok';
      }
    };

    await Promise.all(batch.map((h) => runHost(h)));

    const failed = batch.filter((h) => h.failed || h.unreachable).length;
    if (abort) {
      pc.emit({ kind: 'rollout-stopped', play: play.name, reason: 'any_errors_fatal: a host failed' });
      return { stopped: true };
    }
    if (failed > 0) {
      const pct = (failed / batch.length) * 100;
      if (play.maxFailPercentage !== undefined && pct > play.maxFailPercentage) {
        pc.emit({ kind: 'rollout-stopped', play: play.name, reason: `${failed} of ${batch.length} hosts in batch ${b + 1} failed (${pct.toFixed(0)}% > max_fail_percentage ${play.maxFailPercentage}%)` });
        return { stopped: true };
      }
      if (failed === batch.length) {
        pc.emit({ kind: 'rollout-stopped', play: play.name, reason: `every host in batch ${b + 1} failed` });
        return { stopped: true };
      }
    }
  }
  return { stopped: false };
}

function countOutcome(host: HostRun, out: TaskOutcome): void {
  const r = host.recap;
  switch (out.status) {
    case 'ok': r.ok++; break;
    case 'changed': r.changed++; break;
    case 'failed': r.failed++; break;
    case 'skipped': r.skipped++; break;
    case 'unreachable': r.unreachable++; break;
    case 'unknown': r.unknown++; break;
  }
  r.filesChanged += out.effects.diffs.length;
  r.servicesChanged += out.effects.services.filter((s) => s.name !== 'systemd').length;
  r.commandsRun += out.effects.commands.length;
}
