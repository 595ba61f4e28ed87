/**
 * A host's state as the executor sees it: real state read through the
 * transport (each path or unit at most once), overlaid with what earlier tasks
 * did (apply mode) or would do (check mode). Modules read it as `Facts`, so a
 * later task in check mode plans against the predicted state, not the old one.
 */
import { posix } from 'node:path';
import type { Facts, Op, PathState, ServiceState } from '../modules/types.ts';
import type { HeldSession, Transport } from '../transport/types.ts';
import { shq } from '../core/shell.ts';
import { FleetError } from '../errors/fleet-error.ts';

export interface StateViewOptions {
  become: boolean;
  becomeUser?: string;
  /** The remote user name, for the owner of files created in check mode. */
  user: string;
}

const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/lib/systemd/system', '/usr/lib/systemd/system'];

export function unitFileName(name: string): string {
  return /\.(service|socket|timer|mount|target|path|slice|scope|automount|swap)$/.test(name) ? name : `${name}.service`;
}

export function isUnitPath(path: string): boolean {
  return UNIT_DIRS.some((d) => path === d || path.startsWith(d + '/'));
}

export class StateView implements Facts {
  private readonly paths = new Map<string, PathState>();
  private readonly services = new Map<string, ServiceState>();
  /** Check mode: unit files written by simulated ops and loaded by a simulated daemon-reload. */
  private readonly predictedUnits = new Set<string>();
  private pendingUnitWrites = new Set<string>();
  /**
   * Directories this run created (or, in check mode, would create): empty when
   * made, so a path under one that the view has no entry for is absent. Every
   * later change fleet makes there is recorded in the view; a command clears it.
   */
  private readonly created = new Set<string>();
  /**
   * Directories known to exist whose metadata was not read (the nearest
   * existing ancestor of a missing path, directories a mkdir made): enough for
   * `kind`; `path` reads them in full when a module asks for more. An entry in
   * `paths` for the same path wins (knownKind).
   */
  private readonly dirs = new Set<string>();
  /** Check mode: how many changes were predicted (not made) on this host so far. */
  predicted = 0;
  /**
   * Apply mode, during a task: reads hold their session open (Transport.readHeld)
   * so the change they lead to runs in it (one round trip for read and change).
   */
  private holding = false;
  private held: { session: HeldSession; user: string | null } | undefined;

  constructor(
    private readonly transport: Transport,
    private options: StateViewOptions,
  ) {}

  setBecome(become: boolean, becomeUser?: string): void {
    this.options = { ...this.options, become, becomeUser };
  }

  async path(path: string): Promise<PathState> {
    const cached = this.paths.get(path);
    if (cached) return cached;
    // Under a path known to be absent or a regular file (e.g. a directory an earlier task
    // removed, really or in check mode's prediction) there is nothing.
    for (let p = path, d = posix.dirname(path); d !== p; p = d, d = posix.dirname(d)) {
      const above = this.knownKind(d);
      if (above === 'absent' || above === 'file') return { kind: 'absent' };
      if (above === 'directory' && this.created.has(d)) return { kind: 'absent' };
    }
    // One round trip also tells where a missing path's parents end (mkdir's
    // chain, the parent check of a new file) without reading them one by one.
    const options = { become: this.options.become, becomeUser: this.options.becomeUser };
    let result;
    if (this.holding && this.transport.readHeld) {
      this.releaseHeld();
      result = await this.transport.readHeld(path, options);
      this.held = { session: result.held, user: this.userNow() };
    } else {
      result = await this.transport.readWithAncestors(path, options);
    }
    const { state, above } = result;
    this.paths.set(path, state);
    for (const a of above) {
      if (this.paths.has(a.path)) continue;
      if (a.kind === 'absent') this.paths.set(a.path, { kind: 'absent' });
      else this.dirs.add(a.path);
    }
    return state;
  }

  /** What kind of thing is at a path: no read when it is known, even without its metadata. */
  async kind(path: string): Promise<PathState['kind']> {
    return this.knownKind(path) ?? (await this.path(path)).kind;
  }

  private knownKind(path: string): PathState['kind'] | undefined {
    return this.paths.get(path)?.kind ?? (this.dirs.has(path) ? 'directory' : undefined);
  }

  /** Start (apply mode) or stop holding reads open; stopping releases the one held. */
  holdReads(on: boolean): void {
    this.holding = on;
    if (!on) this.releaseHeld();
  }

  /** The held session of the last read, for the next command (when it runs as the same user); taken once. */
  takeHeld(become: boolean, becomeUser?: string): HeldSession | undefined {
    const h = this.held;
    this.held = undefined;
    if (!h) return undefined;
    if (h.user === (become ? becomeUser ?? 'root' : null)) return h.session;
    h.session.release();
    return undefined;
  }

  releaseHeld(): void {
    this.held?.session.release();
    this.held = undefined;
  }

  private userNow(): string | null {
    return this.options.become ? this.options.becomeUser ?? 'root' : null;
  }

  /** Record a state known without reading (e.g. the metadata returned by a write). */
  remember(path: string, state: PathState): void {
    this.paths.set(path, state);
  }

  /**
   * `path` is a directory this run just created: nothing is in it yet (what
   * the view knew under it is forgotten). Its metadata (umask, a set-gid
   * parent...) is read only if a module asks for it.
   */
  rememberCreated(path: string): void {
    this.forgetPath(path);
    this.dirs.add(path);
    this.created.add(path);
  }

  async service(name: string): Promise<ServiceState> {
    const unit = unitFileName(name);
    const cached = this.services.get(unit);
    if (cached) return cached;
    const r = await this.transport.exec(
      `systemctl show ${shq(unit)} -p LoadState -p ActiveState -p UnitFileState`,
      { become: this.options.become, becomeUser: this.options.becomeUser, timeoutMs: 30_000 },
    );
    if (r.code !== 0) {
      throw new FleetError('E_REMOTE', `systemctl show ${unit} failed: ${r.stderr.toString().trim() || `exit ${r.code}`}`);
    }
    const kv = parseKeyValues(r.stdout.toString());
    let state: ServiceState = {
      name: unit,
      load: kv.LoadState ?? 'not-found',
      active: kv.ActiveState ?? 'inactive',
      enabled: kv.UnitFileState ?? '',
    };
    if (state.load === 'not-found' && this.predictedUnits.has(unit)) {
      state = { name: unit, load: 'loaded', active: 'inactive', enabled: 'disabled' };
    }
    this.services.set(unit, state);
    return state;
  }

  /** Forget everything (after a command ran: it may have changed anything). */
  invalidate(): void {
    this.paths.clear();
    this.services.clear();
    this.created.clear();
    this.dirs.clear();
  }

  forgetService(name: string): void {
    this.services.delete(unitFileName(name));
  }

  forgetPath(path: string): void {
    const under = (p: string) => p === path || p.startsWith(path.endsWith('/') ? path : path + '/');
    for (const p of [...this.paths.keys()]) if (under(p)) this.paths.delete(p);
    for (const p of [...this.created]) if (under(p)) this.created.delete(p);
    for (const p of [...this.dirs]) if (under(p)) this.dirs.delete(p);
  }

  /**
   * Predict the effect of an op (check mode), or record the known effect of an
   * applied one. Returns nothing: the new state is kept in the view.
   */
  async simulate(op: Op): Promise<void> {
    if (op.op !== 'exec' && op.op !== 'wait_for') this.predicted++;
    switch (op.op) {
      case 'write': {
        const prev = await this.path(op.path);
        const meta = prev.kind === 'absent' ? undefined : prev.meta;
        this.paths.set(op.path, {
          kind: 'file',
          content: op.content,
          meta: {
            mode: op.mode ?? meta?.mode ?? 0o644,
            owner: op.owner ?? meta?.owner ?? this.ownerName(),
            group: op.group ?? meta?.group ?? this.ownerName(),
            uid: meta?.uid ?? -1,
            gid: meta?.gid ?? -1,
          },
        });
        if (isUnitPath(op.path)) this.pendingUnitWrites.add(posix.basename(op.path));
        return;
      }
      case 'mkdir': {
        const chain = op.parents ? await this.missingAncestors(op.path) : [op.path];
        for (const p of chain) {
          this.created.add(p);
          this.paths.set(p, {
            kind: 'directory',
            meta: {
              mode: p === op.path && op.mode !== undefined ? op.mode : 0o755,
              owner: (p === op.path && op.owner) || this.ownerName(),
              group: (p === op.path && op.group) || this.ownerName(),
              uid: -1,
              gid: -1,
            },
          });
        }
        return;
      }
      case 'remove':
        this.forgetPath(op.path);
        this.paths.set(op.path, { kind: 'absent' });
        return;
      case 'attrs': {
        const prev = await this.path(op.path);
        if (prev.kind === 'absent') return;
        const meta = {
          ...prev.meta,
          ...(op.mode !== undefined ? { mode: op.mode } : {}),
          ...(op.owner !== undefined ? { owner: op.owner } : {}),
          ...(op.group !== undefined ? { group: op.group } : {}),
        };
        this.paths.set(op.path, { ...prev, meta } as PathState);
        return;
      }
      case 'systemctl': {
        const s = { ...(await this.service(op.unit)) };
        switch (op.action) {
          case 'start': case 'restart': case 'reload': s.active = 'active'; break;
          case 'stop': s.active = 'inactive'; break;
          case 'enable': s.enabled = 'enabled'; break;
          case 'disable': s.enabled = 'disabled'; break;
          case 'mask': s.enabled = 'masked'; s.load = 'masked'; s.active = s.active === 'active' ? 'active' : 'inactive'; break;
          case 'unmask': s.enabled = 'disabled'; s.load = 'loaded'; break;
          case 'reset-failed': if (s.active === 'failed') s.active = 'inactive'; break;
        }
        this.services.set(unitFileName(op.unit), s);
        return;
      }
      case 'daemon-reload':
        for (const unit of this.pendingUnitWrites) {
          this.predictedUnits.add(unit);
          const s = this.services.get(unit);
          if (s && s.load === 'not-found') this.services.set(unit, { name: unit, load: 'loaded', active: 'inactive', enabled: 'disabled' });
        }
        this.pendingUnitWrites = new Set();
        return;
      case 'exec':
      case 'wait_for':
        return;
    }
  }

  /** The path and its missing ancestors, topmost first. */
  async missingAncestors(path: string): Promise<string[]> {
    const chain: string[] = [];
    let p = path;
    while (p !== '/' && p !== '.') {
      if ((await this.kind(p)) !== 'absent') break;
      chain.unshift(p);
      p = posix.dirname(p);
    }
    return chain;
  }

  private ownerName(): string {
    return this.options.become ? (this.options.becomeUser ?? 'root') : this.options.user;
  }
}

export function parseKeyValues(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}
