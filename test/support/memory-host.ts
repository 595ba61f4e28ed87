/**
 * A test host for executor tests: the in-memory transport's filesystem plus an
 * emulator for exactly the shell scripts the executor sends
 * (src/executor/remote-scripts.ts, state-view.ts, rollback.ts):
 *
 *   systemctl show UNIT -p LoadState -p ActiveState -p UnitFileState
 *   systemctl ACTION -- UNIT          systemctl daemon-reload
 *   systemctl status --no-pager -n 10 -- UNIT 2>&1 | tail -n 15
 *   mkdir [-p] [-m MODE] -- PATH [&& chown -h -- SPEC PATH] [&& chmod -- MODE PATH] [&& stat -c 'stat %f %u %g %U %G' -- PATH...]
 *   chown -h -- SPEC PATH [&& chmod -- MODE PATH]      rm -rf -- PATH
 *   tar -C / --numeric-owner -cpf - -- REL
 *   tar ...; pause line; rm -rf -- PATH when answered go   (backupAndRemoveScript: options.pause)
 *   rm -rf -- PATH && tar -C / --numeric-owner -xpf -  (stdin: a blob from the tar above)
 *   cd -- DIR && CMD                  (chdir of command/shell tasks)
 *   exec CMD, cd -- DIR && exec CMD   (command tasks: logged and answered as CMD)
 *
 * The "tar" blob is this emulator's own format (JSON of the tree with full
 * metadata, numeric ids kept), which only its own untar reads back.
 * Commands of command/shell tasks are answered from `commands` (exact script
 * text). Anything else exits 127 and is recorded in `unknownScripts`, so a
 * test fails loudly instead of passing by accident.
 */
import { posix } from 'node:path';
import type { FileMeta, PathState, ServiceState } from '../../src/modules/types.ts';
import type { ExecOptions, ExecResult, Transport } from '../../src/transport/types.ts';
import { createMemoryTransport, type MemoryTransport } from '../../src/transport/memory.ts';
import { FleetError } from '../../src/errors/fleet-error.ts';

export interface CommandReply {
  code?: number;
  stdout?: string;
  stderr?: string;
}

export interface CommandCall {
  host: MemoryHost;
  stdin?: string;
  options: ExecOptions;
}

export type CommandHandler = CommandReply | ((call: CommandCall) => CommandReply | Promise<CommandReply>);

/** Shared counter of exec calls in flight (across hosts). */
export interface ConcurrencyProbe {
  inFlight: number;
  max: number;
}

export interface MemoryHostInit {
  files?: Record<string, string | Buffer | PathState>;
  /** Units by full name (nginx.service); missing fields: loaded, inactive, disabled. */
  services?: Record<string, Partial<Omit<ServiceState, 'name'>>>;
  /** Scripts of command/shell tasks, by exact text. */
  commands?: Record<string, CommandHandler>;
  /** Every exec waits this long (ms) before answering. */
  delayMs?: number;
  probe?: ConcurrencyProbe;
  /** The connector refuses this host (E_UNREACHABLE). */
  unreachable?: boolean;
  /** Called before each write or exec through a connection reaches the host (e.g. to look at the journal then). */
  beforeChange?: (what: { kind: 'write' | 'exec'; target: string }) => void | Promise<void>;
}

const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/lib/systemd/system', '/usr/lib/systemd/system'];
const TAR_MAGIC = 'fleet-memory-tar/1';

interface TarEntry {
  path: string;
  kind: 'file' | 'directory' | 'other';
  type?: string;
  meta: FileMeta;
  /** base64, files only */
  content?: string;
}

function reply(code: number, stdout: string | Buffer = '', stderr = ''): ExecResult {
  return { code, stdout: Buffer.from(stdout), stderr: Buffer.from(stderr), timedOut: false, truncated: false };
}

class ScriptError extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
  }
}

/** Words of a script that uses only shq quoting; undefined when it uses any other shell syntax. */
export function shellWords(script: string): string[] | undefined {
  const words: string[] = [];
  let cur: string | undefined;
  for (let i = 0; i < script.length; i++) {
    const ch = script[i]!;
    if (ch === "'") {
      const end = script.indexOf("'", i + 1);
      if (end < 0) return undefined;
      cur = (cur ?? '') + script.slice(i + 1, end);
      i = end;
    } else if (ch === '\\') {
      if (i + 1 >= script.length) return undefined;
      cur = (cur ?? '') + script[++i];
    } else if (ch === ' ' || ch === '\t') {
      if (cur !== undefined) words.push(cur);
      cur = undefined;
    } else if (ch === '&' && script[i + 1] === '&' && cur === undefined) {
      words.push('&&');
      i++;
    } else if (/[\n;|&<>$`"(){}*?~#]/.test(ch)) {
      return undefined;
    } else {
      cur = (cur ?? '') + ch;
    }
  }
  if (cur !== undefined) words.push(cur);
  return words;
}

function splitAnd(words: string[]): string[][] {
  const out: string[][] = [[]];
  for (const w of words) {
    if (w === '&&') out.push([]);
    else out[out.length - 1]!.push(w);
  }
  return out;
}

export class MemoryHost {
  readonly name: string;
  readonly base: MemoryTransport;
  readonly services = new Map<string, ServiceState>();
  /** Every script exec'd, in order. */
  readonly log: string[] = [];
  /** Scripts this emulator did not understand (answered with exit 127). */
  readonly unknownScripts: string[] = [];
  /** Connections opened by the connector. */
  connections = 0;
  daemonReloads = 0;
  private readonly init: MemoryHostInit;

  constructor(name: string, init: MemoryHostInit = {}) {
    this.name = name;
    this.init = init;
    this.base = createMemoryTransport(name, {
      ...(init.files ? { files: init.files } : {}),
      exec: (script, options) => this.exec(script, options),
    });
    for (const [unit, s] of Object.entries(init.services ?? {})) {
      this.services.set(unit, { name: unit, load: s.load ?? 'loaded', active: s.active ?? 'inactive', enabled: s.enabled ?? 'disabled' });
    }
  }

  get files(): Map<string, PathState> {
    return this.base.files;
  }

  get roundTrips(): number {
    return this.base.roundTrips;
  }

  /** A deep copy of the filesystem, for byte-identical comparisons. */
  snapshot(): Map<string, PathState> {
    return new Map([...this.files].map(([p, s]) => [p, clone(s)]));
  }

  text(path: string): string {
    const s = this.files.get(path);
    if (s?.kind !== 'file') throw new Error(`${this.name}: ${path} is not a file (${s?.kind ?? 'absent'})`);
    return s.content.toString('utf8');
  }

  /** A new connection (a fresh Transport over the same host, closed independently). */
  async connect(): Promise<Transport> {
    if (this.init.unreachable) throw new FleetError('E_UNREACHABLE', `${this.name}: connection refused`, { host: this.name });
    this.connections++;
    const base = this.base;
    let closed = false;
    const open = (): void => {
      if (closed) throw new FleetError('E_UNREACHABLE', `${this.name}: transport closed`, { host: this.name });
    };
    return {
      name: this.name,
      get roundTrips() {
        return base.roundTrips;
      },
      exec: async (script, options) => {
        open();
        await this.init.beforeChange?.({ kind: 'exec', target: script });
        return base.exec(script, options);
      },
      read: async (path, options) => (open(), base.read(path, options)),
      readWithAncestors: async (path, options) => (open(), base.readWithAncestors(path, options)),
      readHeld: async (path, options) => (open(), base.readHeld!(path, options)),
      write: async (path, content, options) => {
        open();
        await this.init.beforeChange?.({ kind: 'write', target: path });
        return base.write(path, content, options);
      },
      close: async () => {
        closed = true;
      },
    };
  }

  private async exec(sent: string, options: ExecOptions): Promise<ExecResult> {
    // `exec CMD` (a simple command replacing the shell) runs and answers as CMD.
    const script = sent.replace(/^exec /, '').replace(/^(cd -- (?:'(?:[^']|'\\'')*'|[A-Za-z0-9_@%+=:,./-]+) && )exec /, '$1');
    this.log.push(script);
    const probe = this.init.probe;
    if (probe) {
      probe.inFlight++;
      probe.max = Math.max(probe.max, probe.inFlight);
    }
    try {
      if (this.init.delayMs) await new Promise((r) => setTimeout(r, this.init.delayMs));
      return await this.answer(script, options);
    } finally {
      if (probe) probe.inFlight--;
    }
  }

  private async answer(script: string, options: ExecOptions): Promise<ExecResult> {
    const stdin = options.stdin === undefined ? undefined : Buffer.from(options.stdin);
    const handler = this.init.commands && Object.hasOwn(this.init.commands, script) ? this.init.commands[script] : undefined;
    if (handler !== undefined) {
      const r = typeof handler === 'function'
        ? await handler({ host: this, options, ...(stdin ? { stdin: stdin.toString('utf8') } : {}) })
        : handler;
      return reply(r.code ?? 0, r.stdout ?? '', r.stderr ?? '');
    }
    const cd = /^cd -- ('(?:[^']|'\\'')*'|[A-Za-z0-9_@%+=:,./-]+) && ([\s\S]+)$/.exec(script);
    if (cd) {
      const dir = shellWords(cd[1]!)![0]!;
      if (this.files.get(dir)?.kind !== 'directory') return reply(2, '', `sh: cd: can't cd to ${dir}\n`);
      return this.answer(cd[2]!, options);
    }
    const paused = /^tar -C \/ --numeric-owner -cpf - -- (\S+); s=\$\?\nprintf '\\n%s %s\\n' ([A-Za-z0-9-]+) "\$s"\nIFS= read -r answer \|\| exit 3\n\[ "\$s" = 0 \] && \[ "\$answer" = go \] \|\| exit 3\nexec rm -rf -- (\S+)$/.exec(script);
    if (paused) return this.backupAndRemove(paused, options);
    const status = /^systemctl status --no-pager -n 10 -- (\S+) 2>&1 \| tail -n 15$/.exec(script);
    if (status) {
      const unit = shellWords(status[1]!)?.[0] ?? '';
      const s = this.service(unit);
      return reply(s.active === 'active' ? 0 : 3, `${unit} - emulated\n   Active: ${s.active}\n`);
    }
    const words = shellWords(script);
    if (words && words.length) {
      let out: Buffer = Buffer.alloc(0);
      try {
        for (const seg of splitAnd(words)) {
          const r = this.builtin(seg, stdin, options);
          if (r === undefined) return this.unknown(script);
          out = Buffer.concat([out, r]);
        }
        return reply(0, out);
      } catch (e) {
        if (e instanceof ScriptError) return reply(e.code, out, e.message + '\n');
        throw e;
      }
    }
    return this.unknown(script);
  }

  /** The one-round-trip backup and removal (executor/remote-scripts.ts backupAndRemoveScript). */
  private async backupAndRemove(m: RegExpExecArray, options: ExecOptions): Promise<ExecResult> {
    const rel = shellWords(m[1]!)?.[0];
    const path = shellWords(m[3]!)?.[0];
    if (!options.pause || rel === undefined || path !== '/' + rel || m[2] !== options.pause.marker) return this.unknown(m[0]);
    let tar: Buffer = Buffer.alloc(0);
    let status = '0';
    let stderr = '';
    try {
      tar = this.tar(path);
    } catch (e) {
      if (!(e instanceof ScriptError)) throw e;
      status = String(e.code);
      stderr = e.message + '\n';
    }
    if (tar.length) options.onStdout?.(tar);
    let written = '';
    const stdin = { write: (b: Buffer) => void (written += b.toString()), end: (b?: Buffer | string) => void (written += b === undefined ? '' : b.toString()) };
    const given = await options.pause.resume(status, stdin);
    const answer = given === null ? written.trim() : typeof given === 'string' ? given : given.toString().trim();
    // stdout went to onStdout (when given), the pause line to the transport's watcher
    const out = options.onStdout ? Buffer.alloc(0) : Buffer.concat([tar, Buffer.from(`\n${m[2]} ${status}\n`)]);
    if (status !== '0' || answer !== 'go') return reply(3, out, stderr);
    // The removal proper starts now, after the pause: what a test watching changes must see.
    await this.init.beforeChange?.({ kind: 'exec', target: `rm -rf -- ${m[3]}` });
    this.remove(path);
    return reply(0, out, stderr);
  }

  private unknown(script: string): ExecResult {
    this.unknownScripts.push(script);
    return reply(127, '', `memory-host ${this.name}: unknown script (add it to commands): ${script}\n`);
  }

  service(unit: string): ServiceState {
    return this.services.get(unit) ?? { name: unit, load: 'not-found', active: 'inactive', enabled: '' };
  }

  /** One simple command; its stdout, undefined when this is not a script the executor sends. */
  private builtin(w: string[], stdin: Buffer | undefined, options: ExecOptions): Buffer | undefined {
    const is = (...want: string[]) => want.every((x, i) => x === '*' || w[i] === x) && w.length === want.length;
    const user = options.become ? options.becomeUser ?? 'root' : 'root';
    if (is('systemctl', 'show', '*', '-p', 'LoadState', '-p', 'ActiveState', '-p', 'UnitFileState')) {
      const s = this.service(w[2]!);
      return Buffer.from(`LoadState=${s.load}\nActiveState=${s.active}\nUnitFileState=${s.enabled}\n`);
    }
    if (is('systemctl', 'daemon-reload')) {
      this.daemonReloads++;
      for (const [p, st] of this.files) {
        if (st.kind !== 'file' || !UNIT_DIRS.includes(posix.dirname(p))) continue;
        const unit = posix.basename(p);
        if (this.service(unit).load === 'not-found') this.services.set(unit, { name: unit, load: 'loaded', active: 'inactive', enabled: 'disabled' });
      }
      return Buffer.alloc(0);
    }
    if (is('systemctl', '*', '--', '*')) {
      this.services.set(w[3]!, systemctl(this.service(w[3]!), w[1]!));
      return Buffer.alloc(0);
    }
    if (w[0] === 'mkdir' && w.includes('-m')) {
      // mkdir [-p] -m MODE -- PATH: the mode of the last directory only
      const i = w.indexOf('-m');
      const rest = [...w.slice(0, i), ...w.slice(i + 2)];
      if (rest.length === 3 || (rest.length === 4 && rest[1] === '-p')) {
        if (!/^[0-7]{3,4}$/.test(w[i + 1]!)) throw new ScriptError(`mkdir: invalid mode '${w[i + 1]}'`);
        this.mkdir(rest[rest.length - 1]!, rest[1] === '-p', user);
        this.setMeta(rest[rest.length - 1]!, { mode: parseInt(w[i + 1]!, 8) }, 'mkdir');
        return Buffer.alloc(0);
      }
    }
    if (is('mkdir', '--', '*') || is('mkdir', '-p', '--', '*')) {
      this.mkdir(w[w.length - 1]!, w[1] === '-p', user);
      return Buffer.alloc(0);
    }
    if (is('chown', '-h', '--', '*', '*')) {
      const [owner, group] = w[3]!.includes(':') ? w[3]!.split(':') : [w[3]!, undefined];
      this.setMeta(w[4]!, { ...(owner ? { owner } : {}), ...(group ? { group } : {}) }, 'chown');
      return Buffer.alloc(0);
    }
    if (is('chmod', '--', '*', '*')) {
      if (!/^[0-7]{1,4}$/.test(w[2]!)) throw new ScriptError(`chmod: invalid mode: '${w[2]}'`);
      this.setMeta(w[3]!, { mode: parseInt(w[2]!, 8) }, 'chmod');
      return Buffer.alloc(0);
    }
    if (is('rm', '-rf', '--', '*')) {
      this.remove(w[3]!);
      return Buffer.alloc(0);
    }
    if (is('tar', '-C', '/', '--numeric-owner', '-cpf', '-', '--', '*')) return this.tar('/' + w[7]!);
    if (is('tar', '-C', '/', '--numeric-owner', '-xpf', '-')) {
      this.untar(stdin);
      return Buffer.alloc(0);
    }
    if (w.length >= 4 && is('stat', '-c', 'stat %f %u %g %U %G', '--', ...w.slice(4).map(() => '*'))) {
      return Buffer.from(w.slice(4).map((p) => this.statLine(p)).join(''));
    }
    return undefined;
  }

  /** `stat -c 'stat %f %u %g %U %G'` of one path. */
  private statLine(path: string): string {
    const st = this.files.get(path);
    if (!st || st.kind === 'absent') throw new ScriptError(`stat: cannot statx '${path}': No such file or directory`);
    const ifmt = st.kind === 'file' ? 0o100000 : st.kind === 'directory' ? 0o040000 : 0o120000;
    const m = st.meta;
    return `stat ${(ifmt | m.mode).toString(16)} ${m.uid} ${m.gid} ${m.owner} ${m.group}\n`;
  }

  private uidOf(name: string, kind: 'uid' | 'gid'): number {
    if (name === 'root') return 0;
    if (/^\d+$/.test(name)) return Number(name);
    for (const s of this.files.values()) {
      if (s.kind === 'absent') continue;
      if (kind === 'uid' && s.meta.owner === name) return s.meta.uid;
      if (kind === 'gid' && s.meta.group === name) return s.meta.gid;
    }
    throw new ScriptError(`chown: invalid ${kind === 'uid' ? 'user' : 'group'}: '${name}'`);
  }

  private dirMeta(user: string): FileMeta {
    return { mode: 0o755, owner: user, group: user, uid: this.uidOf(user, 'uid'), gid: this.uidOf(user, 'gid') };
  }

  private mkdir(path: string, parents: boolean, user: string): void {
    const cur = this.files.get(path);
    if (cur) {
      if (parents && cur.kind === 'directory') return;
      throw new ScriptError(`mkdir: cannot create directory '${path}': File exists`);
    }
    const parent = posix.dirname(path);
    if (this.files.get(parent)?.kind !== 'directory') {
      if (!parents || this.files.has(parent)) throw new ScriptError(`mkdir: cannot create directory '${path}': No such file or directory`);
      this.mkdir(parent, true, user);
    }
    this.files.set(path, { kind: 'directory', meta: this.dirMeta(user) });
  }

  private setMeta(path: string, m: { mode?: number; owner?: string; group?: string }, cmd: string): void {
    const cur = this.files.get(path);
    if (!cur || cur.kind === 'absent') throw new ScriptError(`${cmd}: cannot access '${path}': No such file or directory`);
    const meta = { ...cur.meta };
    if (m.owner !== undefined) Object.assign(meta, { owner: m.owner, uid: this.uidOf(m.owner, 'uid') });
    if (m.group !== undefined) Object.assign(meta, { group: m.group, gid: this.uidOf(m.group, 'gid') });
    if (m.mode !== undefined) meta.mode = m.mode;
    this.files.set(path, { ...cur, meta } as PathState);
  }

  private under(path: string): string[] {
    return [...this.files.keys()].filter((p) => p === path || p.startsWith(path + '/'));
  }

  private remove(path: string): void {
    if (path === '/' || !path.startsWith('/')) throw new ScriptError(`rm: refusing to remove '${path}'`);
    for (const p of this.under(path)) this.files.delete(p);
  }

  private tar(path: string): Buffer {
    const paths = this.under(path).sort();
    if (paths.length === 0) throw new ScriptError(`tar: ${path.slice(1)}: Cannot stat: No such file or directory`, 2);
    const entries: TarEntry[] = [];
    for (const p of paths) {
      const s = this.files.get(p)!;
      if (s.kind === 'absent') continue;
      entries.push({
        path: p,
        kind: s.kind,
        meta: s.meta,
        ...(s.kind === 'other' ? { type: s.type } : {}),
        ...(s.kind === 'file' ? { content: s.content.toString('base64') } : {}),
      });
    }
    return Buffer.from(JSON.stringify({ magic: TAR_MAGIC, entries }));
  }

  private untar(stdin: Buffer | undefined): void {
    let data: { magic?: string; entries?: TarEntry[] };
    try {
      data = JSON.parse((stdin ?? Buffer.alloc(0)).toString('utf8')) as typeof data;
    } catch {
      throw new ScriptError('tar: This does not look like a tar archive', 2);
    }
    if (data.magic !== TAR_MAGIC || !Array.isArray(data.entries)) throw new ScriptError('tar: This does not look like a tar archive', 2);
    for (const e of data.entries) {
      for (let d = posix.dirname(e.path); !this.files.has(d); d = posix.dirname(d)) this.files.set(d, { kind: 'directory', meta: this.dirMeta('root') });
      const meta = { ...e.meta };
      this.files.set(e.path, e.kind === 'file'
        ? { kind: 'file', meta, content: Buffer.from(e.content ?? '', 'base64') }
        : e.kind === 'directory' ? { kind: 'directory', meta } : { kind: 'other', type: e.type ?? 'unknown', meta });
    }
  }
}

function clone(s: PathState): PathState {
  if (s.kind === 'absent') return s;
  if (s.kind === 'file') return { kind: 'file', content: Buffer.from(s.content), meta: { ...s.meta } };
  return { ...s, meta: { ...s.meta } };
}

/** systemctl's behaviour for the actions fleet sends (ScriptError = non-zero exit). */
function systemctl(s: ServiceState, action: string): ServiceState {
  const need = (ok: boolean, why: string): void => {
    if (!ok) throw new ScriptError(`Failed to ${action} ${s.name}: ${why}`);
  };
  switch (action) {
    case 'mask': return { ...s, load: 'masked', enabled: 'masked' };
    case 'unmask': return s.load === 'masked' ? { ...s, load: 'loaded', enabled: 'disabled' } : s;
    case 'reset-failed': return s.active === 'failed' ? { ...s, active: 'inactive' } : s;
    case 'stop':
      need(s.load !== 'not-found', 'Unit not loaded.');
      return { ...s, active: 'inactive' };
  }
  need(s.load === 'loaded', s.load === 'masked' ? 'Unit is masked.' : 'Unit not found.');
  switch (action) {
    case 'start': case 'restart': return { ...s, active: 'active' };
    case 'reload':
      need(s.active === 'active', 'Job type reload is not applicable.');
      return s;
    case 'enable': return { ...s, enabled: 'enabled' };
    case 'disable': return { ...s, enabled: 'disabled' };
  }
  throw new ScriptError(`Unknown command verb ${action}.`);
}

/** Hosts by name, and a connector for runPlaybook. */
export function memoryFleet(init: Record<string, MemoryHostInit>): Map<string, MemoryHost> {
  return new Map(Object.entries(init).map(([n, i]) => [n, new MemoryHost(n, i)]));
}

export function connectorFor(hosts: Map<string, MemoryHost>) {
  return async (inv: { name: string }): Promise<Transport> => {
    const h = hosts.get(inv.name);
    if (!h) throw new Error(`memory fleet: no host ${inv.name}`);
    return h.connect();
  };
}
