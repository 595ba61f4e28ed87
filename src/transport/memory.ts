/**
 * An in-memory Transport for fast tests of the layers above the transport:
 * read/write on a Map filesystem with the same rules as the SSH transport
 * (parent directory must exist, mode/owner kept unless given, directories not
 * overwritten), exec delegated to a handler, round trips counted.
 */
import { posix } from 'node:path';
import { FleetError } from '../errors/fleet-error.ts';
import type { FileMeta, PathState } from '../modules/types.ts';
import type { ExecOptions, ExecResult, HeldReadResult, HeldSession, ReadOptions, ReadResult, Transport, WriteOptions } from './types.ts';

export type MemoryExecHandler = (script: string, options: ExecOptions) => ExecResult | Promise<ExecResult>;

export interface MemoryTransportInit {
  /** Path → content (a file 0644 root:root) or a full PathState. Parent directories are created. */
  files?: Record<string, string | Buffer | PathState>;
  exec?: MemoryExecHandler;
}

export interface MemoryTransport extends Transport {
  /** The filesystem: normalized absolute path → state. `/` is always a directory. */
  readonly files: Map<string, PathState>;
}

const ROOT_DIR: PathState = { kind: 'directory', meta: { mode: 0o755, owner: 'root', group: 'root', uid: 0, gid: 0 } };

function normalize(path: string): string {
  if (path === '' || path.includes('\0')) throw new FleetError('E_VALIDATION', `invalid path ${JSON.stringify(path)}`);
  const n = posix.normalize(path.startsWith('/') ? path : `/${path}`);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

function copy(state: PathState): PathState {
  if (state.kind === 'absent') return state;
  const meta = { ...state.meta };
  if (state.kind === 'file') return { kind: 'file', content: Buffer.from(state.content), meta };
  if (state.kind === 'directory') return { kind: 'directory', meta };
  return { kind: 'other', type: state.type, meta };
}

function notSupported(): ExecResult {
  return { code: 127, stdout: Buffer.alloc(0), stderr: Buffer.from('not supported in memory\n'), timedOut: false, truncated: false };
}

export function createMemoryTransport(name: string, initial: MemoryTransportInit = {}): MemoryTransport {
  const files = new Map<string, PathState>([['/', copy(ROOT_DIR)]]);
  const ids = new Map<string, number>([['root', 0]]);
  const idOf = (who: string): number => {
    let id = ids.get(who);
    if (id === undefined) {
      id = /^\d+$/.test(who) ? Number(who) : 1000 + ids.size - 1;
      ids.set(who, id);
    }
    return id;
  };
  const mkdirs = (dir: string): void => {
    if (dir === '/' || files.has(dir)) return;
    mkdirs(posix.dirname(dir));
    files.set(dir, copy(ROOT_DIR));
  };
  for (const [p, v] of Object.entries(initial.files ?? {})) {
    const path = normalize(p);
    mkdirs(posix.dirname(path));
    const state: PathState = typeof v === 'string' || Buffer.isBuffer(v)
      ? { kind: 'file', content: Buffer.from(v), meta: { mode: 0o644, owner: 'root', group: 'root', uid: 0, gid: 0 } }
      : copy(v);
    if (state.kind !== 'absent') files.set(path, state);
    for (const who of state.kind === 'absent' ? [] : [state.meta.owner, state.meta.group]) idOf(who);
  }

  let trips = 0;
  let closed = false;
  // Held sessions of this transport still open: a command given one of them is no new round trip.
  const heldOpen = new Set<HeldSession>();
  const begin = (held?: HeldSession): void => {
    if (closed) throw new FleetError('E_UNREACHABLE', `${name}: transport closed`, { host: name });
    if (held && heldOpen.delete(held)) return;
    held?.release();
    trips++;
  };
  const fail = (message: string): FleetError => new FleetError('E_REMOTE', `${name}: ${message}`, { host: name });

  return {
    name,
    files,
    get roundTrips() {
      return trips;
    },
    async exec(script: string, options: ExecOptions = {}): Promise<ExecResult> {
      begin(options.timeoutMs === undefined ? options.held : (options.held?.release(), undefined));
      return initial.exec ? initial.exec(script, options) : notSupported();
    },
    async read(path: string, _options: ReadOptions = {}): Promise<PathState> {
      begin();
      const state = files.get(normalize(path));
      return state ? copy(state) : { kind: 'absent' };
    },
    async readHeld(path: string, options: ReadOptions = {}): Promise<HeldReadResult> {
      const r = await this.readWithAncestors(path, options);
      const held: HeldSession = { release: () => void heldOpen.delete(held) };
      heldOpen.add(held);
      return { ...r, held };
    },
    async readWithAncestors(path: string, _options: ReadOptions = {}): Promise<ReadResult> {
      begin();
      const p = normalize(path);
      const state = files.get(p);
      if (state) return { state: copy(state), above: [] };
      const above: ReadResult['above'] = [];
      for (let c = p, d = posix.dirname(c); d !== c; c = d, d = posix.dirname(d)) {
        const s = files.get(d);
        if (!s) {
          above.push({ path: d, kind: 'absent' });
          continue;
        }
        if (s.kind === 'directory') above.push({ path: d, kind: 'directory' });
        break;
      }
      return { state: { kind: 'absent' }, above };
    },
    async write(path: string, content: Buffer, options: WriteOptions = {}): Promise<FileMeta> {
      begin(options.held);
      const p = normalize(path);
      if (p === '/' || path.endsWith('/')) throw fail(`cannot write ${path}: not a file path`);
      const dir = posix.dirname(p);
      if (files.get(dir)?.kind !== 'directory') throw fail(`cannot write ${path}: directory ${dir} does not exist`);
      if (options.mode !== undefined && !(Number.isInteger(options.mode) && options.mode >= 0 && options.mode <= 0o7777)) {
        throw new FleetError('E_VALIDATION', `invalid file mode ${options.mode} for ${path}`);
      }
      const existing = files.get(p);
      if (existing?.kind === 'directory') throw fail(`cannot write ${path}: mv: cannot overwrite directory '${p}' with non-directory`);
      const user = options.become ? options.becomeUser ?? 'root' : 'root';
      const old = existing?.kind === 'file' ? existing.meta : undefined;
      const owner = options.owner ?? old?.owner ?? user;
      const group = options.group ?? old?.group ?? user;
      const meta: FileMeta = { mode: options.mode ?? old?.mode ?? 0o644, owner, group, uid: idOf(owner), gid: idOf(group) };
      files.set(p, { kind: 'file', content: Buffer.from(content), meta });
      return { ...meta };
    },
    async close(): Promise<void> {
      closed = true;
    },
  };
}
