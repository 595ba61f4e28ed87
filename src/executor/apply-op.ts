/**
 * Apply one op to a host for real. Before anything touches the host, the op's
 * undo is appended to the host's journal (fsynced), with any previous content
 * stored as a blob. The state view is updated with what is now known.
 */
import type { Op, PathState } from '../modules/types.ts';
import type { ExecResult, HeldSession, Transport } from '../transport/types.ts';
import type { RunJournal } from '../journal/journal.ts';
import { sha256 } from '../journal/journal.ts';
import type { PathFingerprint, StoredPath, Undo } from '../journal/types.ts';
import { FleetError } from '../errors/fleet-error.ts';
import { shq } from '../core/shell.ts';
import type { StateView } from './state-view.ts';
import { randomBytes } from 'node:crypto';
import {
  attrsScript, backupAndRemoveScript, mkdirScript, removeScript, systemctlScript, waitForScript,
} from './remote-scripts.ts';

export interface ApplyContext {
  host: string;
  transport: Transport;
  view: StateView;
  journal: RunJournal;
  play: string;
  task: string;
  become: boolean;
  becomeUser?: string;
  timeoutMs?: number;
  maxOutputBytes?: number;
  /** no_log: keep the task's values (commands, errors) out of the journal. */
  noLog?: boolean;
}

export interface OpOutcome {
  /** Journal sequence number of the intent (undefined for ops with nothing to undo). */
  seq?: number;
  /** Result of an exec or wait_for op. */
  exec?: ExecResult;
}

/** Largest tree backup kept in the journal (a bigger one fails the op before anything is removed). */
const MAX_BACKUP_BYTES = 1024 * 1024 * 1024;

export function opSummary(op: Op): string {
  switch (op.op) {
    case 'write': return `write ${op.path}`;
    case 'mkdir': return `mkdir ${op.path}`;
    case 'remove': return `remove ${op.path}`;
    case 'attrs': return `attrs ${op.path}`;
    case 'systemctl': return `systemctl ${op.action} ${op.unit}`;
    case 'daemon-reload': return 'systemctl daemon-reload';
    case 'exec': return `run ${op.cmd}`;
    case 'wait_for': return `wait_for ${op.host}:${op.port} ${op.state}`;
  }
}

async function run(ctx: ApplyContext, script: string, stdin?: string | Buffer, held?: HeldSession, simple?: boolean): Promise<ExecResult> {
  return ctx.transport.exec(script, {
    ...(simple ? { simple } : {}),
    become: ctx.become,
    becomeUser: ctx.becomeUser,
    timeoutMs: ctx.timeoutMs,
    maxOutputBytes: ctx.maxOutputBytes,
    ...(stdin !== undefined ? { stdin } : {}),
    ...(held ? { held } : {}),
  });
}

/** The session the read before this change holds open, if it can run the change (as the same user). */
function heldFor(ctx: ApplyContext): HeldSession | undefined {
  return ctx.view.takeHeld(ctx.become, ctx.becomeUser);
}

/** Run one of fleet's own scripts for a change: in the held session of the read before it when there is one. */
async function mustRun(ctx: ApplyContext, what: string, script: string): Promise<ExecResult> {
  const r = await run(ctx, script, undefined, heldFor(ctx));
  if (r.code !== 0) {
    const why = r.timedOut ? 'timed out' : r.stderr.toString().trim() || r.stdout.toString().trim() || `exit ${r.code}`;
    throw new FleetError('E_REMOTE', `${what} failed: ${why}`, { host: ctx.host });
  }
  return r;
}

/**
 * A path's previous state for the journal: a file's bytes as a blob; for a
 * directory or special file only its attributes (an attrs op's undo). A tree
 * that is removed is backed up by removeTree, in the removal's own round trip.
 */
async function storePath(ctx: ApplyContext, st: PathState): Promise<StoredPath> {
  switch (st.kind) {
    case 'absent':
      return { kind: 'absent' };
    case 'file':
      return { kind: 'file', blob: await ctx.journal.putBlob(st.content), size: st.content.length, ...metaOf(st) };
    case 'directory':
      return { kind: 'directory', ...metaOf(st) };
    case 'other':
      return { kind: 'other', type: st.type, ...metaOf(st) };
  }
}

/** Run an exec or wait_for op without journaling it (a read-only probe in check mode). */
export async function probeOp(
  op: Extract<Op, { op: 'exec' } | { op: 'wait_for' }>,
  ctx: Omit<ApplyContext, 'journal'>,
): Promise<OpOutcome> {
  if (op.op === 'wait_for') {
    const timeoutMs = (op.delaySec + op.timeoutSec + 30) * 1000;
    return { exec: await ctx.transport.exec(waitForScript(op), { timeoutMs }) };
  }
  const script = execScript(op);
  const r = await ctx.transport.exec(script, {
    ...(isSimple(op) ? { simple: true } : {}),
    become: ctx.become, becomeUser: ctx.becomeUser, timeoutMs: ctx.timeoutMs, maxOutputBytes: ctx.maxOutputBytes,
    ...(op.stdin !== undefined ? { stdin: op.stdin } : {}),
  });
  return { exec: r };
}

/** The script of an exec op: in its directory; a simple command replaces the shell (one process less). */
function execScript(op: Extract<Op, { op: 'exec' }>): string {
  const cmd = op.simple ? `exec ${op.cmd}` : op.cmd;
  return op.chdir ? `cd -- ${shq(op.chdir)} && ${cmd}` : cmd;
}

/** One simple command with nothing around it: the login shell can run it (no /bin/sh in between). */
function isSimple(op: Extract<Op, { op: 'exec' }>): boolean {
  return op.simple === true && !op.chdir;
}

function metaOf(st: Exclude<PathState, { kind: 'absent' }>) {
  return { mode: st.meta.mode, owner: st.meta.owner, group: st.meta.group };
}

async function intent(ctx: ApplyContext, op: Op, undo: Undo): Promise<number> {
  const seq = ctx.journal.nextSeq(ctx.host);
  await ctx.journal.append(ctx.host, {
    t: 'intent',
    seq,
    time: new Date().toISOString(),
    play: ctx.play,
    task: ctx.task,
    op: ctx.noLog && op.op === 'exec' ? 'run (hidden by no_log)' : opSummary(op),
    undo,
    become: ctx.become,
    ...(ctx.becomeUser ? { becomeUser: ctx.becomeUser } : {}),
    ...(ctx.noLog ? { noLog: true } : {}),
  });
  return seq;
}

export async function markDone(ctx: Pick<ApplyContext, 'host' | 'journal' | 'noLog'>, seq: number, ok: boolean, changed: boolean, error?: string): Promise<void> {
  const err = error && ctx.noLog ? 'hidden by no_log' : error;
  // A change that succeeded needs no fsync of its own: lost in a crash, its fsynced
  // intent still says what to undo, which is what rollback would do anyway.
  await ctx.journal.append(ctx.host, { t: 'done', seq, ok, changed, ...(err ? { error: err } : {}) }, { sync: !(ok && changed) });
}

/** Apply one op. Throws FleetError on failure (after journaling the intent and its failure). */
export async function applyOp(op: Op, ctx: ApplyContext): Promise<OpOutcome> {
  const { view } = ctx;
  switch (op.op) {
    case 'write': {
      const before = await view.path(op.path);
      // Modules plan writes only over files or nothing (a directory or symlink there fails the plan).
      if (before.kind === 'directory' || before.kind === 'other') {
        throw new FleetError('E_INTERNAL', `refusing to write ${op.path} over a ${before.kind === 'other' ? before.type : 'directory'}`, { host: ctx.host });
      }
      const after: PathFingerprint = { kind: 'file', sha256: sha256(op.content) };
      const seq = await intent(ctx, op, { kind: 'path', path: op.path, before: await storePath(ctx, before), after });
      return guarded(ctx, seq, async () => {
        // The mode of the file being replaced is known: saying it spares the host a chmod --reference.
        const mode = op.mode ?? (before.kind === 'file' ? before.meta.mode : undefined);
        const held = heldFor(ctx);
        const meta = await ctx.transport.write(op.path, op.content, {
          mode, owner: op.owner, group: op.group, become: ctx.become, becomeUser: ctx.becomeUser, ...(held ? { held } : {}),
        });
        view.remember(op.path, { kind: 'file', content: op.content, meta });
        return {};
      });
    }
    case 'mkdir': {
      const chain = op.parents ? await view.missingAncestors(op.path) : [op.path];
      const top = chain[0] ?? op.path;
      const seq = await intent(ctx, op, {
        kind: 'path', path: top, before: { kind: 'absent' }, after: { kind: 'directory' },
      });
      return guarded(ctx, seq, async () => {
        await mustRun(ctx, `mkdir ${op.path}`, mkdirScript(op));
        // Known to be empty directories now (topmost first); what their metadata came out as
        // (umask, a set-gid parent...) is read only if a later task asks.
        for (const p of chain) view.rememberCreated(p);
        return {};
      });
    }
    case 'remove': {
      const before = await view.path(op.path);
      if (before.kind === 'absent') return {};
      if (before.kind !== 'file') return removeTree(ctx, op, before);
      const seq = await intent(ctx, op, {
        kind: 'path', path: op.path, before: await storePath(ctx, before), after: { kind: 'absent' },
      });
      return guarded(ctx, seq, async () => {
        await mustRun(ctx, `removing ${op.path}`, removeScript(op.path));
        view.forgetPath(op.path);
        view.remember(op.path, { kind: 'absent' });
        return {};
      });
    }
    case 'attrs': {
      const before = await view.path(op.path);
      if (before.kind === 'absent') throw new FleetError('E_REMOTE', `${op.path} does not exist`, { host: ctx.host });
      const stored = await storePath(ctx, before);
      const after: PathFingerprint = before.kind === 'file'
        ? { kind: 'file', sha256: sha256(before.content) }
        : { kind: 'directory' };
      const seq = await intent(ctx, op, { kind: 'path', path: op.path, before: stored, after });
      return guarded(ctx, seq, async () => {
        await mustRun(ctx, `changing attributes of ${op.path}`, attrsScript(op.path, op.mode, op.owner, op.group));
        view.forgetPath(op.path);
        return {};
      });
    }
    case 'systemctl': {
      const s = await view.service(op.unit);
      const seq = await intent(ctx, op, { kind: 'service', unit: s.name, before: { load: s.load, active: s.active, enabled: s.enabled } });
      return guarded(ctx, seq, async () => {
        const r = await run(ctx, systemctlScript(op.action, s.name));
        view.forgetService(op.unit);
        if (r.code !== 0) {
          const status = await run(ctx, `systemctl status --no-pager -n 10 -- ${shq(s.name)} 2>&1 | tail -n 15`).catch(() => undefined);
          throw new FleetError('E_REMOTE', `systemctl ${op.action} ${s.name} failed: ${r.stderr.toString().trim() || `exit ${r.code}`}`, {
            host: ctx.host,
            hint: status?.stdout.toString().trim() || undefined,
          });
        }
        return {};
      });
    }
    case 'daemon-reload': {
      const seq = await intent(ctx, op, { kind: 'daemon-reload' });
      return guarded(ctx, seq, async () => {
        await mustRun(ctx, 'systemctl daemon-reload', 'systemctl daemon-reload');
        view.invalidate();
        return {};
      });
    }
    case 'exec': {
      // The undo command must be kept to be run; what ran is hidden under no_log.
      const ran = ctx.noLog ? '(hidden by no_log)' : op.cmd;
      const seq = await intent(ctx, op, { kind: 'command', ran, ...(op.rollback ? { cmd: op.rollback } : {}) });
      // done is written by the task runner once changed_when/failed_when are known.
      try {
        const r = await run(ctx, execScript(op), op.stdin, undefined, isSimple(op));
        view.invalidate();
        return { seq, exec: r };
      } catch (e) {
        view.invalidate();
        await markDone(ctx, seq, false, true, (e as Error).message).catch(() => undefined);
        throw e;
      }
    }
    case 'wait_for':
      return probeOp(op, ctx);
  }
}

/**
 * Remove a directory (or special file) in one round trip (in the held session
 * of the read before it, when there is one): the host sends its tar and
 * waits; the backup and the intent are journaled (fsynced); only then is the
 * host told to go on with `rm -rf`.
 */
async function removeTree(
  ctx: ApplyContext, op: Extract<Op, { op: 'remove' }>, before: Exclude<PathState, { kind: 'absent' | 'file' }>,
): Promise<OpOutcome> {
  let seq: number | undefined;
  let backupError: string | undefined;
  // The tar streams into the journal's blob store: a big tree (or many hosts at once) is never held in memory.
  const blob = ctx.journal.blobWriter();
  let stored = false;
  const marker = `fleet-pause-${randomBytes(12).toString('hex')}`;
  try {
    const held = heldFor(ctx);
    const r = await ctx.transport.exec(backupAndRemoveScript(op.path, marker), {
      become: ctx.become,
      becomeUser: ctx.becomeUser,
      timeoutMs: ctx.timeoutMs,
      ...(held ? { held } : {}),
      onStdout: (chunk) => {
        if (blob.size + chunk.length > MAX_BACKUP_BYTES) backupError ??= `the tree is larger than ${MAX_BACKUP_BYTES / 2 ** 30} GiB: too large to back up for rollback`;
        else if (backupError === undefined) blob.write(chunk);
      },
      pause: {
        marker,
        resume: async (status) => {
          if (status !== '0' || backupError !== undefined) return 'stop';
          const base = before.kind === 'directory' ? { kind: 'directory' as const } : { kind: 'other' as const, type: before.type };
          const tree = await blob.finish();
          stored = true;
          seq = await intent(ctx, op, { kind: 'path', path: op.path, before: { ...base, ...metaOf(before), tree }, after: { kind: 'absent' } });
          return 'go';
        },
      },
    });
    if (seq === undefined) {
      const why = r.timedOut ? 'timed out' : backupError ?? (r.stderr.toString().trim() || `exit ${r.code}`);
      throw new FleetError('E_REMOTE', `backing up ${op.path} failed: ${why}`, { host: ctx.host });
    }
    return await guarded(ctx, seq, async () => {
      ctx.view.forgetPath(op.path);
      if (r.code !== 0) {
        const why = r.timedOut ? 'timed out' : r.stderr.toString().trim() || `exit ${r.code}`;
        throw new FleetError('E_REMOTE', `removing ${op.path} failed: ${why}`, { host: ctx.host });
      }
      ctx.view.remember(op.path, { kind: 'absent' });
      return {};
    });
  } finally {
    if (!stored) await blob.abort();
  }
}

async function guarded(ctx: ApplyContext, seq: number, fn: () => Promise<OpOutcome>): Promise<OpOutcome> {
  try {
    const out = await fn();
    await markDone(ctx, seq, true, true);
    return { ...out, seq };
  } catch (e) {
    await markDone(ctx, seq, false, true, (e as Error).message).catch(() => undefined);
    throw e;
  }
}
