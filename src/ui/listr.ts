/**
 * The live view on a terminal: one listr2 line per host showing its current
 * task and state (ROLLING_BACK / ROLLED_BACK included). When the run ends,
 * the diffs, check summary and recap are printed below it in plain form.
 */
import { Listr } from 'listr2';
import type { EventOf, RunEvent, RunEventKind } from '../events/types.ts';
import { colors, noColors, useColor } from './format.ts';
import { plainHandlers } from './plain.ts';

interface HostLine {
  title: string;
  set?: (title: string) => void;
  finish?: (error?: Error) => void;
  finished?: { error?: Error };
  details: string[];
}

export interface LiveReporter {
  sink: (e: RunEvent) => void;
  /** Resolves when the live view has finished drawing. */
  done(): Promise<void>;
}

export function listrReporter(opts: { diff: boolean; out?: NodeJS.WriteStream }): LiveReporter {
  const out = opts.out ?? process.stdout;
  const p = useColor(out) ? colors : noColors;
  const plain = plainHandlers(p, opts);
  const hosts = new Map<string, HostLine>();
  let running: Promise<unknown> = Promise.resolve();
  let check = false;
  let play = '';
  const tail: string[] = [];

  const line = (host: string) => hosts.get(host);
  const setTitle = (host: string, title: string) => {
    const h = line(host);
    if (!h) return;
    h.title = title;
    h.set?.(title);
  };
  const finish = (host: string, error?: Error) => {
    const h = line(host);
    if (!h || h.finished) return;
    h.finished = error ? { error } : {};
    h.finish?.(error);
  };

  const handlers: { [K in RunEventKind]: (e: EventOf<K>) => void } = {
    'run-start': (e) => {
      check = e.check;
      out.write(plain['run-start'](e).join('\n') + '\n');
      for (const h of e.hosts) hosts.set(h, { title: `${h}: waiting`, details: [] });
      const list = new Listr(
        e.hosts.map((name) => ({
          title: `${name}: waiting`,
          task: (_: unknown, task: { title: string }) =>
            new Promise<void>((resolve, reject) => {
              const h = hosts.get(name)!;
              h.set = (t) => { task.title = t; };
              h.finish = (err) => (err ? reject(err) : resolve());
              task.title = h.title;
              if (h.finished) h.finish(h.finished.error);
            }),
        })),
        { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: false } },
      );
      running = list.run().catch(() => undefined);
    },
    'play-start': (e) => { play = e.play; },
    'batch-start': (e) => { for (const h of e.hosts) setTitle(h, `${h}: ${play} (batch ${e.index}/${e.count})`); },
    'task-start': (e) => { for (const h of e.hosts) setTitle(h, `${h}: ${e.handler ? 'handler' : 'task'} ${e.task}`); },
    'host-task': (e) => {
      const status = check && e.status === 'changed' ? 'would change' : e.status;
      setTitle(e.host, `${e.host}: ${e.task} ${status}`);
      const detail = plain['host-task'](e);
      if (detail.length > 1 || e.status === 'failed' || e.status === 'unreachable' || e.status === 'unknown') {
        hosts.get(e.host)?.details.push(p.bold(`TASK [${e.task}]`), ...detail);
      }
    },
    'rollback-start': (e) => { setTitle(e.host, `${e.host}: ROLLING_BACK (${e.reason})`); tail.push(...plain['rollback-start'](e)); },
    'rollback-step': (e) => { setTitle(e.host, `${e.host}: ROLLING_BACK ${e.description}`); tail.push(...plain['rollback-step'](e)); },
    'rollback-end': (e) => {
      tail.push(...plain['rollback-end'](e));
      setTitle(e.host, `${e.host}: ${e.status === 'rolled-back' ? 'ROLLED_BACK' : 'FAILED_TO_ROLLBACK'}`);
      finish(e.host, new Error(e.status === 'rolled-back' ? `${e.host}: ROLLED_BACK` : `${e.host}: FAILED_TO_ROLLBACK ${e.msg ?? ''}`));
    },
    'rollout-stopped': (e) => { tail.push(...plain['rollout-stopped'](e)); },
    warning: (e) => { tail.push(...plain.warning(e)); },
    'run-end': (e) => {
      for (const [name, r] of Object.entries(e.recap)) {
        if (r.state === 'ok') { setTitle(name, `${name}: ${r.changed ? `${r.changed} changed` : 'ok'}`); finish(name); }
        else if (r.state === 'not-run') { setTitle(name, `${name}: not run`); finish(name); }
        else finish(name, new Error(`${name}: ${r.state.toUpperCase()}`));
      }
      tail.push(...plain['run-end'](e));
    },
  };

  return {
    sink: (e) => (handlers[e.kind] as (ev: RunEvent) => void)(e),
    async done() {
      await running;
      const details: string[] = [];
      for (const [name, h] of hosts) if (h.details.length) details.push('', p.bold(name), ...h.details);
      out.write([...details, ...tail].join('\n') + '\n');
    },
  };
}
