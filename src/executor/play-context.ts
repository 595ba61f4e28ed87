/**
 * What every task of a play needs: the run's settings, the hosts, how to
 * connect, where local templates and files are, and the event sink.
 */
import { existsSync, promises as fsp } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { Play, Playbook, Task } from '../playbook/types.ts';
import type { PlanContext } from '../modules/types.ts';
import type { InventoryHost } from '../inventory/types.ts';
import type { Transport } from '../transport/types.ts';
import type { EventSink } from '../events/types.ts';
import type { RunJournal } from '../journal/journal.ts';
import { FleetError, isFleetError } from '../errors/fleet-error.ts';
import { evaluateCondition } from '../expr/index.ts';
import { renderTemplate } from '../template/index.ts';
import { readInputFile } from '../core/read-input.ts';
import type { HostRun, VarLayers } from './host-run.ts';
import { StateView } from './state-view.ts';

export type Connector = (host: InventoryHost) => Promise<Transport>;

export interface PlayContext {
  playbook: Playbook;
  play: Play;
  check: boolean;
  emit: EventSink;
  journal?: RunJournal;
  layers: VarLayers;
  maxOutputBytes: number;
  hosts: Map<string, HostRun>;
  /** Open the host's connection if needed (throws E_UNREACHABLE). */
  connect(host: HostRun): Promise<HostRun>;
  /** The host a task delegates to. */
  delegate(name: string, from: HostRun): HostRun;
  planContext(host: HostRun, vars: Record<string, unknown>, task: Task): Omit<PlanContext, 'facts' | 'vars' | 'check'>;
}

export function makeConnect(connector: Connector): (host: HostRun) => Promise<HostRun> {
  const pending = new Map<string, Promise<HostRun>>();
  return (host) => {
    if (host.transport && host.view) return Promise.resolve(host);
    if (host.unreachable) {
      return Promise.reject(new FleetError('E_UNREACHABLE', `${host.name} is unreachable`, { host: host.name }));
    }
    let p = pending.get(host.name);
    if (!p) {
      p = connector(host.inventory).then(
        (t) => {
          host.transport = t;
          host.view = new StateView(t, { become: false, user: host.inventory.connection.user });
          pending.delete(host.name);
          return host;
        },
        (e: unknown) => {
          pending.delete(host.name);
          throw asUnreachable(host.name, e);
        },
      );
      pending.set(host.name, p);
    }
    return p;
  };
}

/**
 * A host fleet cannot open a session to is unreachable, whatever the reason:
 * refused or timed out (E_UNREACHABLE), a rejected host key (E_HOST_KEY_*) or
 * failed SSH authentication (E_AUTH). The original message and hint are kept.
 */
function asUnreachable(name: string, e: unknown): unknown {
  if (!isFleetError(e) || e.code === 'E_UNREACHABLE') return e;
  if (e.code !== 'E_AUTH' && !e.code.startsWith('E_HOST_KEY')) return e;
  return new FleetError('E_UNREACHABLE', e.message, { cause: e, host: e.host ?? name, ...(e.hint ? { hint: e.hint } : {}) });
}

/** Local lookup of templates and files: <playbook dir>/templates|files, the playbook dir, and its parent's. */
export function localResolver(playbookDir: string) {
  const textCache = new Map<string, string>();
  const find = (src: string, sub: 'templates' | 'files'): string => {
    if (isAbsolute(src)) return src;
    const candidates = [join(playbookDir, sub, src), join(playbookDir, src), join(playbookDir, '..', sub, src), resolve(src)];
    const hit = candidates.find((c) => existsSync(c));
    if (!hit) {
      throw new FleetError('E_FILE_NOT_FOUND', `${sub === 'templates' ? 'template' : 'file'} '${src}' not found`, {
        hint: `looked in: ${candidates.join(', ')}`,
      });
    }
    return hit;
  };
  return {
    async templateText(src: string): Promise<{ path: string; text: string }> {
      const path = find(src, 'templates');
      let text = textCache.get(path);
      if (text === undefined) {
        text = await readInputFile(path, 'template');
        textCache.set(path, text);
      }
      return { path, text };
    },
    async file(src: string): Promise<Buffer> {
      return fsp.readFile(find(src, 'files'));
    },
  };
}

export function planContextFor(
  resolver: ReturnType<typeof localResolver>,
  host: HostRun,
  vars: Record<string, unknown>,
  task: Task,
): Omit<PlanContext, 'facts' | 'vars' | 'check'> {
  return {
    host: host.name,
    async renderTemplateFile(src: string): Promise<string> {
      const { path, text } = await resolver.templateText(src);
      return renderTemplate(text, vars, { file: path, task: task.name });
    },
    readLocalFile: (src: string) => resolver.file(src),
    evaluate: (expression: string) => evaluateCondition(expression, vars),
  };
}
