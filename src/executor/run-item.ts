/**
 * One task on one host for one loop item: template the arguments, plan, then
 * (check mode) describe and simulate, or (apply mode) describe and apply each
 * op. Returns the Ansible-like result object that `register` stores.
 */
import type { ModuleDef, PlanContext } from '../modules/types.ts';
import type { Task } from '../playbook/types.ts';
import type { TaskEffects } from '../events/types.ts';
import { emptyEffects } from '../events/types.ts';
import { FleetError } from '../errors/fleet-error.ts';
import { renderDeep, renderString } from '../template/index.ts';
import { UNKNOWN_RESULT } from './unknown-result.ts';
import { describeOp, mergeEffects } from './describe.ts';
import { applyOp, probeOp, type ApplyContext, type OpOutcome } from './apply-op.ts';
import type { StateView } from './state-view.ts';

export interface ItemContext {
  task: Task;
  module: ModuleDef;
  vars: Record<string, unknown>;
  check: boolean;
  view: StateView;
  planContext: Omit<PlanContext, 'facts' | 'vars' | 'check'>;
  /** How to reach the host; `journal` is absent in check mode. */
  apply: Omit<ApplyContext, 'view' | 'journal'> & { journal?: ApplyContext['journal'] };
  owner: string;
}

export interface ItemOutcome {
  result: Record<string, unknown>;
  effects: TaskEffects;
  failed: boolean;
  changed: boolean;
  msg?: string;
  /** Journal seqs of exec ops, to mark done once changed_when is known. */
  execSeqs: number[];
  /** Check mode: the task's outcome cannot be known before it runs. */
  unknown: boolean;
  setFacts?: Record<string, unknown>;
}

function parseArgs(ctx: ItemContext): unknown {
  const { task, module } = ctx;
  const raw = new Set(module.rawArgs ?? []);
  const templ: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(task.args)) {
    templ[k] = raw.has(k) ? v : renderDeep(v, ctx.vars, { task: task.name, location: task.argLocations[k] ?? task.location });
  }
  const parsed = module.schema.safeParse(templ);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = String(issue.path[0] ?? '');
    throw new FleetError('E_VALIDATION', `${task.module}: ${issue.path.length ? issue.path.join('.') + ': ' : ''}${issue.message}`, {
      location: task.argLocations[key] ?? task.location,
    });
  }
  return parsed.data;
}

function lines(s: string): string[] {
  if (s === '') return [];
  return s.replace(/\n$/, '').split('\n');
}

export async function runItem(ctx: ItemContext): Promise<ItemOutcome> {
  // Apply mode: a read holds its session for the change it leads to (released at the end).
  ctx.view.holdReads(!ctx.check && ctx.apply.journal !== undefined);
  try {
    return await runItemHeld(ctx);
  } finally {
    ctx.view.holdReads(false);
  }
}

async function runItemHeld(ctx: ItemContext): Promise<ItemOutcome> {
  const args = parseArgs(ctx);
  const plan = await ctx.module.plan(args, {
    ...ctx.planContext,
    facts: ctx.view,
    vars: ctx.vars,
    check: ctx.check,
  });
  const out: ItemOutcome = {
    result: { changed: false, failed: false, skipped: false, ...(plan.result ?? {}) },
    effects: emptyEffects(),
    failed: false,
    changed: false,
    execSeqs: [],
    unknown: false,
  };
  if (plan.msg !== undefined) out.msg = plan.msg;
  if (plan.msg !== undefined) out.result.msg = plan.msg;
  if (plan.setFacts) {
    out.setFacts = plan.setFacts;
    out.result.ansible_facts = plan.setFacts;
  }
  if (plan.fail) {
    out.failed = true;
    out.msg = plan.fail;
    out.result.failed = true;
    out.result.msg = plan.fail;
    return out;
  }
  if (ctx.task.rollback !== undefined) {
    const undo = String(renderString(ctx.task.rollback, ctx.vars, { task: ctx.task.name, location: ctx.task.location }));
    for (const op of plan.ops) if (op.op === 'exec') op.rollback = undo;
  }
  // check_mode: false runs a read-only probe in check mode, but only while the host is
  // still as it really is: after predicted changes its answer could differ from the run's.
  const runsForReal = !ctx.check || (ctx.task.checkMode === false && ctx.view.predicted === 0);
  const defer = (ctx.module.kind === 'action' || ctx.module.kind === 'probe') && !runsForReal;
  for (const op of plan.ops) {
    mergeEffects(out.effects, await describeOp(op, ctx.view, ctx.owner));
    out.changed = out.changed || op.op !== 'wait_for';
    if (defer) continue;
    let r: OpOutcome;
    if (ctx.check || !ctx.apply.journal) {
      if (op.op !== 'exec' && op.op !== 'wait_for') {
        await ctx.view.simulate(op);
        continue;
      }
      // check_mode: false: the task declared itself read-only, so it runs (unjournaled).
      r = await probeOp(op, { ...ctx.apply, view: ctx.view });
    } else {
      r = await applyOp(op, { ...ctx.apply, journal: ctx.apply.journal, view: ctx.view });
    }
    if (r.exec) {
      if (r.seq !== undefined) out.execSeqs.push(r.seq);
      const stdout = r.exec.stdout.toString('utf8');
      const stderr = r.exec.stderr.toString('utf8');
      Object.assign(out.result, {
        rc: r.exec.code,
        stdout: stdout.replace(/\n$/, ''),
        stderr: stderr.replace(/\n$/, ''),
        stdout_lines: lines(stdout),
        stderr_lines: lines(stderr),
        ...(r.exec.truncated ? { truncated: true } : {}),
      });
      if (r.exec.timedOut) {
        out.failed = true;
        out.msg = `timed out after ${Math.round((ctx.apply.timeoutMs ?? 0) / 1000)}s (the command was killed on the host)`;
      } else if (r.exec.code !== 0) {
        out.failed = true;
        out.msg = op.op === 'wait_for'
          ? `wait_for ${op.host}:${op.port} ${op.state}: condition not met within ${op.timeoutSec}s (last count ${stdout.trim() || '0'})`
          : `non-zero exit code ${r.exec.code}`;
      }
      if (out.failed) break;
    }
  }
  if (defer && plan.ops.length > 0) {
    out.unknown = true;
    out.result = UNKNOWN_RESULT;
    out.msg = ctx.task.checkMode === false
      ? 'unknown until run: earlier tasks would change this host, so probing it now would not tell'
      : ctx.module.kind === 'action' ? 'would run' : 'would wait';
    return out;
  }
  out.result.changed = out.changed;
  out.result.failed = out.failed;
  if (out.msg !== undefined) out.result.msg = out.msg;
  return out;
}
