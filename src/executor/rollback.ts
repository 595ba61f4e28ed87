/**
 * Roll one host back from its journal: the same code for automatic rollback
 * of a failed host and for `fleet rollback RUN`.
 *
 * Order: paths and commands are undone newest first; then, if any unit file
 * was restored or daemon-reload had run, one daemon-reload; then every touched
 * service goes back to the state it had before its first change in the run
 * (restarted when it was running, so it picks up its restored files).
 */
import type { PathState } from '../modules/types.ts';
import type { Transport } from '../transport/types.ts';
import type { RunJournal } from '../journal/journal.ts';
import { sha256 } from '../journal/journal.ts';
import type { IntentRecord, PathFingerprint, StoredPath } from '../journal/types.ts';
import type { EventSink, TaskEffects } from '../events/types.ts';
import { emptyEffects } from '../events/types.ts';
import { FleetError } from '../errors/fleet-error.ts';
import { fileDiff } from './describe.ts';
import { isUnitPath, parseKeyValues } from './state-view.ts';
import { attrsScript, removeScript, systemctlScript, untarScript } from './remote-scripts.ts';
import { shq } from '../core/shell.ts';

export interface RollbackOptions {
  host: string;
  journal: RunJournal;
  transport: Transport;
  emit: EventSink;
  /** Show what would be done, change nothing. */
  check: boolean;
  /** Restore files even when they changed since fleet wrote them. */
  force: boolean;
  reason: string;
}

export type RollbackStatus = 'rolled-back' | 'failed-to-rollback';

const RUNNING = new Set(['active', 'activating', 'reloading']);

function matches(st: PathState, fp: PathFingerprint): boolean {
  if (fp.kind === 'absent') return st.kind === 'absent';
  if (fp.kind === 'directory') return st.kind === 'directory';
  return st.kind === 'file' && sha256(st.content) === fp.sha256;
}

function sameAsStored(st: PathState, stored: StoredPath, content?: Buffer): boolean {
  if (stored.kind === 'absent') return st.kind === 'absent';
  if (st.kind === 'absent' || st.kind !== stored.kind) return false;
  const attrs = st.meta.mode === stored.mode && st.meta.owner === stored.owner && st.meta.group === stored.group;
  if (stored.kind === 'file') return attrs && st.kind === 'file' && !!content && st.content.equals(content);
  return attrs && !stored.tree;
}

/** The intents still to undo, newest first. */
export async function pendingIntents(journal: RunJournal, host: string): Promise<IntentRecord[]> {
  const records = await journal.read(host);
  const undone = new Set<number>();
  const unchanged = new Set<number>();
  const intents: IntentRecord[] = [];
  for (const r of records) {
    if (r.t === 'intent') intents.push(r);
    else if (r.t === 'undone' && r.ok) undone.add(r.seq);
    else if (r.t === 'done' && !r.changed) unchanged.add(r.seq);
  }
  return intents.filter((i) => !undone.has(i.seq) && !unchanged.has(i.seq) && i.undo.kind !== 'none').reverse();
}

export async function rollbackHost(o: RollbackOptions): Promise<RollbackStatus> {
  const { host, journal, transport, emit, check } = o;
  const intents = await pendingIntents(journal, host);
  emit({ kind: 'rollback-start', host, reason: o.reason, steps: intents.length });
  const done = async (seq: number, ok: boolean, msg?: string) => {
    if (!check) await journal.append(host, { t: 'undone', seq, ok, time: new Date().toISOString(), ...(msg ? { msg } : {}) });
  };
  const fail = (msg: string): RollbackStatus => {
    emit({ kind: 'rollback-end', host, status: 'failed-to-rollback', msg });
    return 'failed-to-rollback';
  };
  const services = new Map<string, { intent: IntentRecord; before: { load: string; active: string; enabled: string } }>();
  let reload = false;
  let restoredFiles = false;
  const anyBecome = intents.some((i) => i.become);
  /** Check mode: the state each restore would leave, for the older steps after it. */
  const predicted = new Map<string, PathState>();

  try {
    for (const it of intents) {
      const sudo = { become: it.become ?? false, becomeUser: it.becomeUser };
      const u = it.undo;
      if (u.kind === 'service') {
        services.set(u.unit, { intent: it, before: u.before });
        continue;
      }
      if (u.kind === 'daemon-reload') {
        reload = true;
        await done(it.seq, true);
        continue;
      }
      if (u.kind === 'command') {
        if (!u.cmd) {
          const msg = `cannot undo "${it.task}": it ran \`${u.ran}\` and declares no rollback command; rollback of ${host} stops here`;
          emit({ kind: 'rollback-step', host, description: `undo ${it.op}`, status: 'failed', msg });
          return fail(msg);
        }
        const shown = it.noLog ? '(rollback command hidden by no_log)' : u.cmd;
        const fx: TaskEffects = { ...emptyEffects(), commands: [shown] };
        if (check) {
          emit({ kind: 'rollback-step', host, description: `run ${shown}`, status: 'planned', effects: fx });
          continue;
        }
        const r = await transport.exec(u.cmd, { ...sudo, timeoutMs: 600_000 });
        if (r.code !== 0) {
          const msg = `rollback command \`${shown}\` failed: ${it.noLog ? `exit ${r.code}` : r.stderr.toString().trim() || `exit ${r.code}`}`;
          emit({ kind: 'rollback-step', host, description: `run ${shown}`, status: 'failed', msg, effects: fx });
          await done(it.seq, false, msg);
          return fail(msg);
        }
        emit({ kind: 'rollback-step', host, description: `run ${shown}`, status: 'done', effects: fx });
        await done(it.seq, true);
        continue;
      }
      if (u.kind !== 'path') continue;
      const current = (check && predictedState(predicted, u.path)) || (await transport.read(u.path, sudo));
      const content = u.before.kind === 'file' ? await journal.getBlob(u.before.blob) : undefined;
      if (sameAsStored(current, u.before, content)) {
        emit({ kind: 'rollback-step', host, description: `${u.path} is already as before`, status: 'skipped' });
        await done(it.seq, true);
        continue;
      }
      if (!matches(current, u.after) && !o.force) {
        const msg = `${u.path} changed since fleet wrote it (drift); rollback of ${host} stops here. Use --force to restore it anyway.`;
        emit({ kind: 'rollback-step', host, description: `restore ${u.path}`, status: 'failed', msg });
        return fail(msg);
      }
      const target: PathState = storedToState(u.before, content);
      const diff = fileDiff(u.path, current, target);
      // no_log: which path, not what was in it
      const fx: TaskEffects = { ...emptyEffects(), diffs: [it.noLog ? { path: diff.path, before: diff.before, after: diff.after } : diff] };
      if (isUnitPath(u.path)) reload = true;
      restoredFiles = true;
      if (check) {
        // later (older) steps are checked against what this one would leave
        for (const p of [...predicted.keys()]) if (p.startsWith(u.path + '/')) predicted.delete(p);
        predicted.set(u.path, target);
        emit({ kind: 'rollback-step', host, description: `restore ${u.path}`, status: 'planned', effects: fx });
        continue;
      }
      await restorePath(transport, u.path, u.before, content, current, journal, sudo);
      emit({ kind: 'rollback-step', host, description: `restore ${u.path}`, status: 'done', effects: fx });
      await done(it.seq, true);
    }

    if (reload) {
      const fx: TaskEffects = { ...emptyEffects(), services: [{ name: 'systemd', before: { active: 'active', enabled: 'static' }, after: { active: 'active', enabled: 'static' }, action: 'daemon-reload' }] };
      if (check) emit({ kind: 'rollback-step', host, description: 'systemctl daemon-reload', status: 'planned', effects: fx });
      else {
        const r = await transport.exec('systemctl daemon-reload', { become: anyBecome, timeoutMs: 120_000 });
        if (r.code !== 0) return fail(`systemctl daemon-reload failed: ${r.stderr.toString().trim()}`);
        emit({ kind: 'rollback-step', host, description: 'systemctl daemon-reload', status: 'done', effects: fx });
      }
    }

    // Services: the map holds, per unit, the state before its FIRST change (intents are newest first).
    for (const [unit, { before, intent }] of [...services.entries()].reverse()) {
      const sudo = { become: intent.become ?? false, becomeUser: intent.becomeUser };
      const cur = parseKeyValues((await transport.exec(`systemctl show ${shq(unit)} -p LoadState -p ActiveState -p UnitFileState`, sudo)).stdout.toString());
      const now = { active: cur.ActiveState ?? 'inactive', enabled: cur.UnitFileState ?? '' };
      const actions: string[] = [];
      if (before.enabled === 'masked' && now.enabled !== 'masked') actions.push('mask');
      if (before.enabled !== 'masked' && now.enabled === 'masked') actions.push('unmask');
      if (before.enabled === 'enabled' && now.enabled !== 'enabled') actions.push('enable');
      if (before.enabled === 'disabled' && now.enabled === 'enabled') actions.push('disable');
      const wasRunning = RUNNING.has(before.active);
      const isRunning = RUNNING.has(now.active);
      if (wasRunning && !isRunning) actions.push('reset-failed', 'start');
      else if (wasRunning && isRunning && restoredFiles) actions.push('restart');
      else if (!wasRunning && isRunning) actions.push('stop');
      const after = { active: wasRunning ? 'active' : isRunning ? 'inactive' : now.active, enabled: before.enabled === 'masked' ? 'masked' : actions.includes('enable') ? 'enabled' : actions.includes('disable') ? 'disabled' : now.enabled };
      const fx: TaskEffects = { ...emptyEffects(), services: [{ name: unit, before: now, after, ...(actions.includes('restart') ? { action: 'restart' } : {}) }] };
      const description = actions.length ? `systemctl ${actions.join(', ')} ${unit}` : `${unit} is already as before`;
      if (check) {
        emit({ kind: 'rollback-step', host, description, status: actions.length ? 'planned' : 'skipped', effects: fx });
        continue;
      }
      for (const a of actions) {
        const r = await transport.exec(systemctlScript(a, unit), { ...sudo, timeoutMs: 300_000 });
        if (r.code !== 0 && a !== 'reset-failed') {
          const msg = `systemctl ${a} ${unit} failed: ${r.stderr.toString().trim() || `exit ${r.code}`}`;
          emit({ kind: 'rollback-step', host, description, status: 'failed', msg });
          return fail(msg);
        }
      }
      emit({ kind: 'rollback-step', host, description, status: actions.length ? 'done' : 'skipped', effects: fx });
    }
    if (!check) {
      for (const { intent } of services.values()) await done(intent.seq, true);
      for (const it of intents) if (it.undo.kind === 'service') await done(it.seq, true);
      await journal.append(host, { t: 'status', state: 'rolled-back', time: new Date().toISOString() });
    }
    emit({ kind: 'rollback-end', host, status: 'rolled-back' });
    return 'rolled-back';
  } catch (e) {
    const msg = e instanceof FleetError ? e.message : String((e as Error).message ?? e);
    if (!check) await journal.append(host, { t: 'status', state: 'failed-to-rollback', msg, time: new Date().toISOString() }).catch(() => undefined);
    return fail(msg);
  }
}

/** Check mode: the predicted state of a path, if a planned restore decided it (or removed an ancestor). */
function predictedState(predicted: Map<string, PathState>, path: string): PathState | undefined {
  const hit = predicted.get(path);
  if (hit) return hit;
  for (let p = path; p.lastIndexOf('/') > 0; ) {
    p = p.slice(0, p.lastIndexOf('/'));
    if (predicted.get(p)?.kind === 'absent') return { kind: 'absent' };
  }
  return undefined;
}

function storedToState(stored: StoredPath, content?: Buffer): PathState {
  const meta = stored.kind === 'absent' ? undefined : { mode: stored.mode, owner: stored.owner, group: stored.group, uid: -1, gid: -1 };
  switch (stored.kind) {
    case 'absent': return { kind: 'absent' };
    case 'file': return { kind: 'file', content: content ?? Buffer.alloc(0), meta: meta! };
    case 'directory': return { kind: 'directory', meta: meta! };
    case 'other': return { kind: 'other', type: stored.type, meta: meta! };
  }
}

async function restorePath(
  transport: Transport,
  path: string,
  before: StoredPath,
  content: Buffer | undefined,
  current: PathState,
  journal: RunJournal,
  sudo: { become: boolean; becomeUser?: string },
): Promise<void> {
  const must = async (script: string, stdin?: Buffer) => {
    const r = await transport.exec(script, { ...sudo, timeoutMs: 600_000, ...(stdin ? { stdin } : {}) });
    if (r.code !== 0) throw new FleetError('E_ROLLBACK', `restoring ${path} failed: ${r.stderr.toString().trim() || `exit ${r.code}`}`);
  };
  switch (before.kind) {
    case 'absent':
      await must(removeScript(path));
      return;
    case 'file':
      if (current.kind === 'directory' || current.kind === 'other') await must(removeScript(path));
      await transport.write(path, content!, { mode: before.mode, owner: before.owner, group: before.group, ...sudo });
      return;
    case 'directory':
    case 'other':
      if (before.tree) {
        await must(untarScript(path), await journal.getBlob(before.tree));
        return;
      }
      if (current.kind === 'absent') await must(`mkdir -- ${shq(path)}`);
      await must(attrsScript(path, before.mode, before.owner, before.group));
      return;
  }
}
