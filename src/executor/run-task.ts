/**
 * One task on one host: when, loop, retries/until, changed_when, failed_when,
 * register, notify. Emits one `host-task` event.
 */
import type { Task } from '../playbook/types.ts';
import type { TaskEffects, TaskStatus } from '../events/types.ts';
import { emptyEffects } from '../events/types.ts';
import { FleetError, isFleetError } from '../errors/fleet-error.ts';
import { evaluateCondition, UnknownValueError, isUnknown } from '../expr/index.ts';
import { renderString, renderDeep } from '../template/index.ts';
import { getModule } from '../modules/index.ts';
import { mergeEffects } from './describe.ts';
import { markDone } from './apply-op.ts';
import { runItem, type ItemOutcome } from './run-item.ts';
import type { HostRun } from './host-run.ts';
import type { Transport } from '../transport/types.ts';
import { taskVars } from './host-run.ts';
import type { PlayContext } from './play-context.ts';
import { UNKNOWN_RESULT } from './unknown-result.ts';

export interface TaskOutcome {
  status: TaskStatus;
  msg?: string;
  effects: TaskEffects;
  /** The value `register` stored (also returned for run_once). */
  registered?: unknown;
  setFacts?: Record<string, unknown>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function conditionsHold(conds: string[] | undefined, vars: Record<string, unknown>): boolean {
  for (const c of conds ?? []) if (!evaluateCondition(c, vars)) return false;
  return true;
}

function itemLabel(item: unknown): string {
  const s = typeof item === 'string' ? item : JSON.stringify(item);
  return s.length > 80 ? s.slice(0, 77) + '...' : s;
}

/**
 * Run `task` for `host` (on `target`, which differs for delegate_to).
 * `scoped` are block and task vars, outermost first.
 */
export async function runTask(
  pc: PlayContext,
  host: HostRun,
  task: Task,
  scoped: Record<string, unknown>[],
  opts: { handler: boolean } = { handler: false },
): Promise<TaskOutcome> {
  const started = Date.now();
  const trips: TripCount = {};
  const outcome = await runTaskInner(pc, host, task, [...scoped, task.vars], trips);
  const roundTrips = trips.transport ? trips.transport.roundTrips - trips.start! : 0;
  const noLog = task.noLog;
  pc.emit({
    kind: 'host-task',
    host: host.name,
    task: task.name,
    status: outcome.status,
    ...(outcome.msg !== undefined ? { msg: noLog ? 'output hidden by no_log' : outcome.msg } : {}),
    effects: noLog ? redact(outcome.effects) : outcome.effects,
    check: pc.check,
    handler: opts.handler,
    durationMs: Date.now() - started,
    roundTrips,
    noLog,
  });
  return outcome;
}

function redact(fx: TaskEffects): TaskEffects {
  return {
    diffs: fx.diffs.map((d) => ({ path: d.path, before: d.before, after: d.after })),
    services: fx.services,
    commands: fx.commands.map(() => '(hidden by no_log)'),
  };
}

/** Commands started on the task's target while it ran (counted from its transport). */
interface TripCount {
  transport?: Transport;
  start?: number;
}

async function runTaskInner(
  pc: PlayContext, host: HostRun, task: Task, scoped: Record<string, unknown>[], trips: TripCount,
): Promise<TaskOutcome> {
  const vars = taskVars(host, pc.layers, scoped);
  const where = { task: task.name, location: task.location };
  try {
    if (!conditionsHold(task.when, vars)) {
      // A skipped task still registers (Ansible): `r is skipped` must work after it.
      const registered = { changed: false, skipped: true, skip_reason: 'Conditional result was False' };
      if (task.register) host.facts[task.register] = registered;
      return { status: 'skipped', effects: emptyEffects(), registered };
    }
  } catch (e) {
    if (e instanceof UnknownValueError) {
      if (task.register) host.facts[task.register] = UNKNOWN_RESULT;
      return unknownOutcome(task, `unknown until run: the condition depends on a result check mode cannot know (${e.message})`);
    }
    return failOutcome(task, e);
  }

  const target = task.delegateTo ? pc.delegate(String(renderString(task.delegateTo, vars, where)), host) : host;
  let items: unknown[] | undefined;
  try {
    if (task.loop !== undefined) {
      const l = typeof task.loop === 'string' ? renderString(task.loop, vars, where) : renderDeep(task.loop, vars, where);
      if (isUnknown(l)) {
        if (task.register) host.facts[task.register] = UNKNOWN_RESULT;
        return unknownOutcome(task, 'unknown until run: the loop depends on a result check mode cannot know');
      }
      if (!Array.isArray(l)) throw new FleetError('E_VALIDATION', `loop must be a list, got ${typeof l}`, { location: task.location });
      items = l;
    }
    const tgt = await pc.connect(target);
    trips.transport = tgt.transport!;
    trips.start = tgt.transport!.roundTrips;
    const module = getModule(task.module)!;
    const become = task.become ?? pc.play.become;
    const becomeUser = task.becomeUser ?? pc.play.becomeUser;
    tgt.view!.setBecome(become, becomeUser);
    const effects = emptyEffects();
    const results: Record<string, unknown>[] = [];
    let anyChanged = false;
    let failedMsg: string | undefined;
    let lastMsg: string | undefined;
    let anyUnknown = false;
    let setFacts: Record<string, unknown> | undefined;

    for (const item of items ?? [undefined]) {
      const ivars = items ? { ...vars, [task.loopVar]: item } : vars;
      let out: ItemOutcome;
      let attempt = 0;
      for (;;) {
        attempt++;
        out = await runItem({
          task,
          module,
          vars: ivars,
          check: pc.check,
          view: tgt.view!,
          owner: become ? (becomeUser ?? 'root') : tgt.inventory.connection.user,
          planContext: pc.planContext(target, ivars, task),
          apply: {
            host: target.name,
            transport: tgt.transport!,
            ...(pc.journal ? { journal: pc.journal } : {}),
            play: pc.play.name,
            task: task.name,
            become,
            ...(becomeUser ? { becomeUser } : {}),
            ...(task.timeout ? { timeoutMs: task.timeout * 1000 } : {}),
            maxOutputBytes: pc.maxOutputBytes,
            noLog: task.noLog,
          },
        });
        if (out.execSeqs.length) target.journaled = true;
        if (out.unknown) {
          if (task.changedWhen) {
            try {
              out.changed = conditionsHold(task.changedWhen, task.register ? { ...ivars, [task.register]: out.result } : ivars);
            } catch (e) {
              if (!(e instanceof UnknownValueError)) throw e;
            }
          }
          break;
        }
        // changed_when / failed_when see the result under its register name too.
        const rvars = task.register ? { ...ivars, [task.register]: out.result } : ivars;
        if (task.changedWhen) out.changed = conditionsHold(task.changedWhen, rvars);
        if (task.failedWhen) out.failed = conditionsHold(task.failedWhen, rvars) ? true : false;
        if (task.failedWhen && !out.failed) delete out.msg;
        out.result.changed = out.changed;
        out.result.failed = out.failed;
        if (!task.until) break;
        const done = !out.failed && conditionsHold([task.until], rvars);
        if (done || attempt > task.retries) {
          if (!done) {
            out.failed = true;
            out.msg = `until condition not met after ${attempt} attempts: ${task.until}`;
          }
          out.result.attempts = attempt;
          break;
        }
        // This attempt's commands are finished: journal them before the next attempt's.
        if (pc.journal) {
          for (const seq of out.execSeqs) {
            await markDone({ host: target.name, journal: pc.journal, noLog: task.noLog }, seq, !out.failed, out.changed && !out.failed);
          }
        }
        await sleep(task.delay * 1000);
      }
      if (pc.journal && out.execSeqs.length) {
        for (const seq of out.execSeqs) {
          // A command that failed is taken to have changed nothing (Ansible's view): give it
          // `rollback:` when it can fail half-way.
          await markDone({ host: target.name, journal: pc.journal, noLog: task.noLog }, seq, !out.failed, out.changed && !out.failed);
        }
      }
      mergeEffects(effects, out.effects);
      if (out.unknown) anyUnknown = true;
      if (out.setFacts) setFacts = { ...setFacts, ...out.setFacts };
      results.push(!items || isUnknown(out.result) ? out.result : { ...out.result, [task.loopVar]: item });
      anyChanged ||= out.changed;
      if (out.msg !== undefined) lastMsg = out.msg;
      if (out.failed) {
        failedMsg = items ? `item ${itemLabel(item)}: ${out.msg ?? 'failed'}` : out.msg ?? 'failed';
        if (!items) break;
      }
    }

    const registered = items
      ? { changed: anyChanged, failed: failedMsg !== undefined, skipped: false, results, msg: failedMsg ?? 'All items completed' }
      : anyUnknown ? UNKNOWN_RESULT : results[0];
    if (setFacts) Object.assign(host.facts, setFacts);
    if (task.register) host.facts[task.register] = registered;
    if (failedMsg !== undefined) {
      if (task.ignoreErrors) return { status: anyChanged ? 'changed' : 'ok', msg: `failed, ignored: ${failedMsg}`, effects, registered, setFacts };
      return { status: 'failed', msg: failedMsg, effects, registered };
    }
    if (anyChanged) for (const n of task.notify) host.notified.add(n);
    const status: TaskStatus = anyUnknown && task.checkMode === false ? 'unknown' : anyChanged ? 'changed' : 'ok';
    return { status, ...(lastMsg !== undefined ? { msg: lastMsg } : {}), effects, registered, setFacts };
  } catch (e) {
    if (e instanceof UnknownValueError) {
      if (task.register) host.facts[task.register] = UNKNOWN_RESULT;
      return unknownOutcome(task, `unknown until run: ${e.message}`);
    }
    if (isFleetError(e) && e.code === 'E_UNREACHABLE') {
      target.unreachable = true;
      return { status: 'unreachable', msg: e.describe(), effects: emptyEffects() };
    }
    return failOutcome(task, e);
  }
}

function unknownOutcome(task: Task, msg: string): TaskOutcome {
  return { status: 'unknown', msg, effects: emptyEffects(), registered: UNKNOWN_RESULT };
}

function failOutcome(task: Task, e: unknown): TaskOutcome {
  const msg = isFleetError(e) ? e.describe() : `internal error: ${(e as Error)?.stack ?? String(e)}`;
  if (task.ignoreErrors && isFleetError(e) && e.fault !== 'fleet') return { status: 'ok', msg: `failed, ignored: ${msg}`, effects: emptyEffects() };
  return { status: 'failed', msg, effects: emptyEffects() };
}
