/**
 * Turn an op into what a person wants to see: a unified diff for a file, a
 * before -> after for a service, the command line for a command. Computed
 * against the state view before the op is applied or simulated, so check mode
 * and apply mode describe a change identically.
 */
import { createTwoFilesPatch } from 'diff';
import type { Op, PathState } from '../modules/types.ts';
import type { FileDiff, ServiceChange, TaskEffects } from '../events/types.ts';
import type { StateView } from './state-view.ts';
import { unitFileName } from './state-view.ts';

const MAX_DIFF_INPUT = 2 * 1024 * 1024;

export function formatMode(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}

function attrsOf(s: PathState): string {
  return s.kind === 'absent' ? 'absent' : `${formatMode(s.meta.mode)} ${s.meta.owner}:${s.meta.group}`;
}

export function isText(buf: Buffer): boolean {
  if (buf.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(buf);
    return true;
  } catch {
    return false;
  }
}

/** Drop the `Index:` and `===` header lines and the empty header tabs of `diff`'s output. */
function cleanPatch(patch: string): string {
  return patch
    .split('\n')
    .filter((l) => !l.startsWith('Index: ') && !/^=+$/.test(l))
    .map((l) => (l.startsWith('--- ') || l.startsWith('+++ ') ? l.replace(/\t$/, '') : l))
    .join('\n');
}

/** A unified diff between two contents of one path. */
export function fileDiff(path: string, before: PathState, after: PathState): FileDiff {
  const d: FileDiff = { path, before: before.kind, after: after.kind };
  const b = before.kind === 'file' ? before.content : Buffer.alloc(0);
  const a = after.kind === 'file' ? after.content : Buffer.alloc(0);
  if (before.kind === 'file' || after.kind === 'file') {
    if (!b.equals(a) || before.kind !== after.kind) {
      if (isText(b) && isText(a) && b.length + a.length <= MAX_DIFF_INPUT) {
        d.unified = cleanPatch(createTwoFilesPatch(
          before.kind === 'file' ? path : '/dev/null',
          after.kind === 'file' ? path : '/dev/null',
          b.toString('utf8'),
          a.toString('utf8'),
          '',
          '',
          { context: 3 },
        ));
      } else {
        d.binary = { beforeBytes: b.length, afterBytes: a.length };
      }
    }
  }
  const ab = attrsOf(before);
  const aa = attrsOf(after);
  if (before.kind !== 'absent' && after.kind !== 'absent' && ab !== aa) d.attrs = { before: ab, after: aa };
  return d;
}

function afterWrite(before: PathState, op: Extract<Op, { op: 'write' }>, owner: string): PathState {
  const meta = before.kind === 'absent' ? undefined : before.meta;
  return {
    kind: 'file',
    content: op.content,
    meta: {
      mode: op.mode ?? meta?.mode ?? 0o644,
      owner: op.owner ?? meta?.owner ?? owner,
      group: op.group ?? meta?.group ?? owner,
      uid: -1,
      gid: -1,
    },
  };
}

/** Describe one op against the current view (call before applying or simulating it). */
export async function describeOp(op: Op, view: StateView, owner: string): Promise<TaskEffects> {
  const fx: TaskEffects = { diffs: [], services: [], commands: [] };
  switch (op.op) {
    case 'write': {
      const before = await view.path(op.path);
      fx.diffs.push(fileDiff(op.path, before, afterWrite(before, op, owner)));
      break;
    }
    case 'mkdir': {
      const before = await view.path(op.path);
      fx.diffs.push({ path: op.path, before: before.kind, after: 'directory' });
      break;
    }
    case 'remove': {
      const before = await view.path(op.path);
      fx.diffs.push(fileDiff(op.path, before, { kind: 'absent' }));
      break;
    }
    case 'attrs': {
      const before = await view.path(op.path);
      if (before.kind !== 'absent') {
        const after = {
          ...before,
          meta: {
            ...before.meta,
            ...(op.mode !== undefined ? { mode: op.mode } : {}),
            ...(op.owner !== undefined ? { owner: op.owner } : {}),
            ...(op.group !== undefined ? { group: op.group } : {}),
          },
        } as PathState;
        fx.diffs.push(fileDiff(op.path, before, after));
      }
      break;
    }
    case 'systemctl': {
      const s = await view.service(op.unit);
      const after = { active: s.active, enabled: s.enabled };
      switch (op.action) {
        case 'start': case 'restart': case 'reload': after.active = 'active'; break;
        case 'stop': after.active = 'inactive'; break;
        case 'enable': after.enabled = 'enabled'; break;
        case 'disable': after.enabled = 'disabled'; break;
        case 'mask': after.enabled = 'masked'; break;
        case 'unmask': after.enabled = 'disabled'; break;
        case 'reset-failed': if (after.active === 'failed') after.active = 'inactive'; break;
      }
      const change: ServiceChange = {
        name: unitFileName(op.unit),
        before: { active: s.active, enabled: s.enabled },
        after,
      };
      if (op.action === 'restart' || op.action === 'reload' || op.action === 'reset-failed') change.action = op.action;
      fx.services.push(change);
      break;
    }
    case 'daemon-reload':
      fx.services.push({
        name: 'systemd',
        before: { active: 'active', enabled: 'static' },
        after: { active: 'active', enabled: 'static' },
        action: 'daemon-reload',
      });
      break;
    case 'exec':
      fx.commands.push(op.chdir ? `cd ${op.chdir} && ${op.cmd}` : op.cmd);
      break;
    case 'wait_for':
      fx.commands.push(
        `wait for ${op.host}:${op.port} ${op.state}` +
          (op.state === 'established' ? ` (at least ${op.minCount})` : '') +
          ` within ${op.timeoutSec}s`,
      );
      break;
  }
  return fx;
}

export function mergeEffects(into: TaskEffects, from: TaskEffects): void {
  into.diffs.push(...from.diffs);
  into.services.push(...from.services);
  into.commands.push(...from.commands);
}
