/** Plain line output: for pipes, CI, and the end of a live view. Handles every event kind. */
import type { EventOf, RunEvent, RunEventKind } from '../events/types.ts';
import {
  colors, formatDuration, formatEffects, formatRecap, hostSummary, noColors, paintStatus, useColor, type Paint,
} from './format.ts';

export interface PlainOptions {
  out?: NodeJS.WriteStream;
  /** Show file diffs and service changes (always on in check mode). */
  diff: boolean;
  color?: boolean;
}

type Handlers = { [K in RunEventKind]: (e: EventOf<K>) => string[] };

export function plainHandlers(p: Paint, opts: { diff: boolean }): Handlers {
  return {
    'run-start': (e) => {
      return [p.bold(`${e.check ? 'CHECK (nothing will be changed) ' : ''}run ${e.runId}: ${e.playbook} on ${e.hosts.length} host${e.hosts.length === 1 ? '' : 's'}`)];
    },
    'play-start': (e) => ['', p.bold(`PLAY [${e.play}] `) + p.dim(`${e.hosts.length} hosts, ${e.strategy}`)],
    'batch-start': (e) => (e.count > 1 ? [p.dim(`batch ${e.index}/${e.count}: ${e.hosts.join(', ')}`)] : []),
    'task-start': (e) => [p.bold(`${e.handler ? 'HANDLER' : 'TASK'} [${e.task}]`) + (e.hosts.length === 1 ? p.dim(` ${e.hosts[0]}`) : '')],
    'host-task': (e) => {
      const label = e.check && e.status === 'changed' ? 'would change' : e.status;
      const lines = [`  ${paintStatus(p, e.status, label)}: ${e.host}${e.msg && !e.msg.startsWith('would') ? p.dim(` (${e.msg})`) : ''}`];
      if (e.check || opts.diff || e.status === 'failed') lines.push(...formatEffects(p, e.effects, e.check));
      return lines;
    },
    'rollback-start': (e) => [p.magenta(`  ROLLING_BACK ${e.host}`) + p.dim(` (${e.reason}; ${e.steps} change${e.steps === 1 ? '' : 's'} to undo)`)],
    'rollback-step': (e) => {
      const lines = [`    ${paintStatus(p, e.status === 'done' ? 'changed' : e.status === 'planned' ? 'unknown' : e.status, e.status)}: ${e.description}${e.msg ? p.dim(` (${e.msg})`) : ''}`];
      if (e.effects && (opts.diff || e.status === 'planned')) lines.push(...formatEffects(p, e.effects, e.status === 'planned', '      '));
      return lines;
    },
    'rollback-end': (e) => [e.status === 'rolled-back' ? p.magenta(`  ROLLED_BACK ${e.host}`) : p.red(`  FAILED_TO_ROLLBACK ${e.host}: ${e.msg ?? ''}`)],
    'rollout-stopped': (e) => [p.red(`ROLLOUT STOPPED in play "${e.play}": ${e.reason}`)],
    warning: (e) => [p.yellow(`[WARNING] ${e.host ? e.host + ': ' : ''}${e.msg}`)],
    'run-end': (e) => {
      const lines = ['', p.bold('RECAP'), ...formatRecap(p, e.recap)];
      if (e.check) {
        lines.push('', p.bold('CHECK SUMMARY (nothing was changed)'));
        for (const [h, r] of Object.entries(e.recap)) lines.push('  ' + hostSummary(h, r, true));
      }
      lines.push('', `run ${e.runId} ${paintStatus(p, e.result === 'ok' ? 'ok' : 'failed', e.result)} in ${formatDuration(e.durationMs)}`);
      return lines;
    },
  };
}

export function plainReporter(opts: PlainOptions): (e: RunEvent) => void {
  const out = opts.out ?? process.stdout;
  const p = (opts.color ?? useColor(out)) ? colors : noColors;
  const handlers = plainHandlers(p, opts);
  return (e) => {
    const lines = (handlers[e.kind] as (ev: RunEvent) => string[])(e);
    if (lines.length) out.write(lines.join('\n') + '\n');
  };
}
