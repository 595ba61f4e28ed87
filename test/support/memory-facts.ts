/**
 * In-memory host state for module planning tests: Facts over Maps, an op
 * simulator (so a test can plan, apply, and plan again), and a PlanContext.
 */
import { posix } from 'node:path';
import { FleetError } from '../../src/errors/fleet-error.ts';
import type { Facts, FileMeta, ModuleDef, Op, PathState, Plan, PlanContext, ServiceState } from '../../src/modules/types.ts';

const IDS: Record<string, number> = { root: 0, daemon: 1, bin: 2, 'www-data': 33, nobody: 65534, kube: 1000, etcd: 1001 };

function idOf(name: string): number {
  if (/^\d+$/.test(name)) return Number(name);
  const id = IDS[name];
  if (id === undefined) throw new Error(`memory host: no such user or group '${name}'`);
  return id;
}

function nameOf(id: number): string {
  return Object.keys(IDS).find((k) => IDS[k] === id) ?? String(id);
}

export function meta(mode = 0o644, owner = 'root', group = owner): FileMeta {
  return { mode, owner, group, uid: idOf(owner), gid: idOf(group) };
}

export function fileState(content: string | Buffer, m: FileMeta = meta()): PathState {
  return { kind: 'file', content: Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8'), meta: m };
}

export function dirState(m: FileMeta = meta(0o755)): PathState {
  return { kind: 'directory', meta: m };
}

export function service(name: string, load: string, active: string, enabled: string): ServiceState {
  return { name, load, active, enabled };
}

export class MemoryFacts implements Facts {
  readonly paths = new Map<string, PathState>();
  readonly services = new Map<string, ServiceState>();
  /** Commands run by exec ops, daemon-reloads, and wait_for ops, in order. */
  readonly log: string[] = [];
  /** Every path and service read, in order. */
  readonly reads: string[] = [];

  constructor(init: Record<string, PathState> = {}) {
    this.paths.set('/', dirState());
    for (const [p, s] of Object.entries(init)) this.set(p, s);
  }

  /** Set a path, creating its missing parent directories. */
  set(path: string, state: PathState): this {
    for (let d = posix.dirname(path); !this.paths.has(d); d = posix.dirname(d)) this.paths.set(d, dirState());
    this.paths.set(path, state);
    return this;
  }

  setService(s: ServiceState): this {
    this.services.set(s.name, s);
    return this;
  }

  async path(path: string): Promise<PathState> {
    this.reads.push(path);
    return this.paths.get(path) ?? { kind: 'absent' };
  }

  async kind(path: string): Promise<PathState['kind']> {
    return (await this.path(path)).kind;
  }

  async service(name: string): Promise<ServiceState> {
    this.reads.push(`service:${name}`);
    return this.services.get(name) ?? { name, load: 'not-found', active: 'inactive', enabled: '' };
  }

  /** Content of a file as text (throws when it is not a file). */
  text(path: string): string {
    const s = this.paths.get(path);
    if (s?.kind !== 'file') throw new Error(`memory host: ${path} is not a file`);
    return s.content.toString('utf8');
  }

  metaOf(path: string): FileMeta {
    const s = this.paths.get(path);
    if (!s || s.kind === 'absent') throw new Error(`memory host: ${path} does not exist`);
    return s.meta;
  }

  /** Apply ops the way a host would, failing like a host would (missing parent, reload of a stopped unit...). */
  apply(ops: readonly Op[]): void {
    for (const op of ops) this.applyOne(op);
  }

  private newMeta(base: FileMeta | undefined, op: { mode?: number; owner?: string; group?: string }, defMode: number): FileMeta {
    const owner = op.owner ?? base?.owner ?? 'root';
    const group = op.group ?? base?.group ?? 'root';
    return {
      mode: op.mode ?? base?.mode ?? defMode,
      owner: /^\d+$/.test(owner) ? nameOf(Number(owner)) : owner,
      group: /^\d+$/.test(group) ? nameOf(Number(group)) : group,
      uid: idOf(owner),
      gid: idOf(group),
    };
  }

  private requireDir(path: string): void {
    if (this.paths.get(path)?.kind !== 'directory') throw new Error(`memory host: ${path} is not a directory`);
  }

  private applyOne(op: Op): void {
    switch (op.op) {
      case 'write': {
        this.requireDir(posix.dirname(op.path));
        const cur = this.paths.get(op.path);
        if (cur && cur.kind !== 'file') throw new Error(`memory host: cannot write over ${cur.kind} ${op.path}`);
        this.paths.set(op.path, { kind: 'file', content: Buffer.from(op.content), meta: this.newMeta(cur?.meta, op, 0o644) });
        return;
      }
      case 'mkdir': {
        if (this.paths.has(op.path)) throw new Error(`memory host: ${op.path} exists`);
        const parent = posix.dirname(op.path);
        if (op.parents) {
          const missing: string[] = [];
          for (let d = parent; !this.paths.has(d); d = posix.dirname(d)) missing.unshift(d);
          for (const d of missing) this.paths.set(d, dirState());
        }
        this.requireDir(parent);
        this.paths.set(op.path, { kind: 'directory', meta: this.newMeta(undefined, op, 0o755) });
        return;
      }
      case 'remove':
        if (!this.paths.has(op.path)) throw new Error(`memory host: ${op.path} does not exist`);
        for (const p of [...this.paths.keys()]) if (p === op.path || p.startsWith(`${op.path}/`)) this.paths.delete(p);
        return;
      case 'attrs': {
        const cur = this.paths.get(op.path);
        if (!cur || cur.kind === 'absent') throw new Error(`memory host: ${op.path} does not exist`);
        this.paths.set(op.path, { ...cur, meta: this.newMeta(cur.meta, op, 0o644) } as PathState);
        return;
      }
      case 'daemon-reload':
        this.log.push('daemon-reload');
        return;
      case 'systemctl':
        this.log.push(`systemctl ${op.action} ${op.unit}`);
        this.services.set(op.unit, systemctl(this.services.get(op.unit), op.unit, op.action));
        return;
      case 'exec':
        this.log.push(op.cmd);
        return;
      case 'wait_for':
        this.log.push(`wait_for ${op.host}:${op.port} ${op.state}`);
        return;
    }
  }
}

function systemctl(cur: ServiceState | undefined, unit: string, action: string): ServiceState {
  const s: ServiceState = cur ? { ...cur } : { name: unit, load: 'not-found', active: 'inactive', enabled: '' };
  const need = (ok: boolean, why: string): void => {
    if (!ok) throw new Error(`memory host: systemctl ${action} ${unit}: ${why}`);
  };
  switch (action) {
    case 'mask':
      return { ...s, load: 'masked', enabled: 'masked' };
    case 'unmask':
      return s.load === 'masked' ? { ...s, load: 'loaded', enabled: 'disabled' } : s;
    case 'reset-failed':
      return s.active === 'failed' ? { ...s, active: 'inactive' } : s;
    case 'stop': // systemd stops masked units too
      need(s.load !== 'not-found', 'unit not found');
      return { ...s, active: 'inactive' };
  }
  need(s.load === 'loaded', `unit is ${s.load}`);
  switch (action) {
    case 'start':
    case 'restart':
      return { ...s, active: 'active' };
    case 'reload':
      need(s.active === 'active', 'unit is not active');
      return s;
    case 'enable':
      need(['enabled', 'disabled', 'linked'].includes(s.enabled), `unit is ${s.enabled}`);
      return { ...s, enabled: 'enabled' };
    case 'disable':
      need(['enabled', 'disabled', 'linked'].includes(s.enabled), `unit is ${s.enabled}`);
      return { ...s, enabled: 'disabled' };
  }
  throw new Error(`memory host: unknown systemctl action ${action}`);
}

export interface CtxOptions {
  vars?: Record<string, unknown>;
  templates?: Record<string, string>;
  localFiles?: Record<string, string | Buffer>;
  /** Results of conditions for evaluate(); an unknown condition throws. */
  conditions?: Record<string, boolean>;
  check?: boolean;
}

export function makeCtx(facts: Facts, o: CtxOptions = {}): PlanContext {
  return {
    facts,
    vars: o.vars ?? {},
    host: 'node1',
    check: o.check ?? false,
    async renderTemplateFile(src) {
      const t = o.templates?.[src];
      if (t === undefined) throw new FleetError('E_FILE_NOT_FOUND', `template ${src} not found`);
      return t;
    },
    async readLocalFile(src) {
      const f = o.localFiles?.[src];
      if (f === undefined) throw new FleetError('E_FILE_NOT_FOUND', `file ${src} not found`);
      return Buffer.isBuffer(f) ? f : Buffer.from(f, 'utf8');
    },
    evaluate(expression) {
      const r = o.conditions?.[expression];
      if (r === undefined) throw new FleetError('E_EXPRESSION', `test evaluate: unknown condition ${expression}`);
      return r;
    },
  };
}

/** Parse args with the module's schema; throws with the issues when they are invalid. */
export function parseArgs<A>(def: ModuleDef<A>, raw: unknown): A {
  const r = def.schema.safeParse(raw);
  if (!r.success) throw new Error(`invalid args: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** Validation error messages for raw args ([] when valid). */
export function argErrors(def: ModuleDef, raw: unknown): string[] {
  const r = def.schema.safeParse(raw);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

export async function plan<A>(def: ModuleDef<A>, raw: unknown, facts: Facts, o: CtxOptions = {}): Promise<Plan> {
  return def.plan(parseArgs(def, raw), makeCtx(facts, o));
}

/** Plan, apply, plan again: returns both plans (the second must have no ops for an idempotent module). */
export async function converge<A>(
  def: ModuleDef<A>,
  raw: unknown,
  facts: MemoryFacts,
  o: CtxOptions = {},
): Promise<{ first: Plan; second: Plan }> {
  const first = await plan(def, raw, facts, o);
  if (first.fail) throw new Error(`plan failed: ${first.fail}`);
  facts.apply(first.ops);
  const second = await plan(def, raw, facts, o);
  return { first, second };
}
