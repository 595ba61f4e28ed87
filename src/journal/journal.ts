/**
 * The run journal: a directory per run under the state directory.
 *
 *   <state>/runs/<id>/run.json          RunMeta (rewritten atomically)
 *   <state>/runs/<id>/hosts/<host>.jsonl JournalRecord lines, appended and fsynced
 *   <state>/runs/<id>/blobs/<sha256>    previous file contents and tar backups
 *
 * Everything is created 0700 / 0600: it holds copies of hosts' files.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsync, openSync, promises as fsp, constants as fsc, writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { FleetError } from '../errors/fleet-error.ts';
import type { JournalRecord, RunMeta } from './types.ts';
import { checkPrivateDir, ensurePrivateDir } from './state-dir.ts';

const HOST_FILE_RE = /^[A-Za-z0-9_.-]+$/;

/** A blob being written as it arrives (RunJournal.blobWriter). */
export interface BlobWriter {
  write(chunk: Buffer): void;
  /** Bytes written so far. */
  readonly size: number;
  /** Fsync and name the blob; returns its sha256. */
  finish(): Promise<string>;
  /** Drop it. */
  abort(): Promise<void>;
}

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

export function newRunId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

async function writeFileSynced(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const fh = await fsp.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, path);
}

export class RunJournal {
  private readonly handles = new Map<string, Promise<FileHandle>>();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly seqs = new Map<string, number>();
  private readonly blobsWritten = new Set<string>();
  /** Hosts whose journal has appends not yet fsynced. */
  private readonly unsynced = new Set<string>();

  private constructor(
    readonly dir: string,
    public meta: RunMeta,
  ) {}

  static runsDir(stateDir: string): string {
    return join(stateDir, 'runs');
  }

  static async create(stateDir: string, meta: Omit<RunMeta, 'id'> & { id?: string }): Promise<RunJournal> {
    await ensurePrivateDir(stateDir);
    await ensurePrivateDir(RunJournal.runsDir(stateDir));
    const id = meta.id ?? newRunId();
    const dir = join(RunJournal.runsDir(stateDir), id);
    await fsp.mkdir(dir, { mode: 0o700 });
    await fsp.mkdir(join(dir, 'hosts'), { mode: 0o700 });
    await fsp.mkdir(join(dir, 'blobs'), { mode: 0o700 });
    const j = new RunJournal(dir, { ...meta, id });
    await j.saveMeta();
    return j;
  }

  static async open(stateDir: string, id: string): Promise<RunJournal> {
    if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new FleetError('E_RUN_NOT_FOUND', `no run '${id}'`);
    const dir = join(RunJournal.runsDir(stateDir), id);
    // A journal decides what a rollback runs: never read one others could have written.
    for (const d of [stateDir, RunJournal.runsDir(stateDir)]) {
      await checkPrivateDir(d).catch((e: unknown) => {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new FleetError('E_RUN_NOT_FOUND', `no run '${id}': ${d} does not exist`, { cause: e });
        }
        throw e;
      });
    }
    let meta: RunMeta;
    try {
      meta = JSON.parse(await fsp.readFile(join(dir, 'run.json'), 'utf8')) as RunMeta;
    } catch (e) {
      throw new FleetError('E_RUN_NOT_FOUND', `no run '${id}' in ${RunJournal.runsDir(stateDir)}`, {
        cause: e,
        hint: 'fleet runs lists the runs this state directory knows',
      });
    }
    return new RunJournal(dir, meta);
  }

  async saveMeta(patch: Partial<RunMeta> = {}): Promise<void> {
    this.meta = { ...this.meta, ...patch };
    await writeFileSynced(join(this.dir, 'run.json'), JSON.stringify(this.meta, null, 2) + '\n');
  }

  private hostFile(host: string): string {
    if (!HOST_FILE_RE.test(host)) throw new FleetError('E_JOURNAL', `host name '${host}' cannot name a journal file`);
    return join(this.dir, 'hosts', `${host}.jsonl`);
  }

  /** Store a blob (deduplicated by hash, fsynced). Returns its hash. */
  async putBlob(data: Buffer): Promise<string> {
    const hash = sha256(data);
    if (this.blobsWritten.has(hash)) return hash;
    const path = join(this.dir, 'blobs', hash);
    // existsSync: no exception object per new blob (most blobs are new).
    if (!existsSync(path)) await writeFileSynced(path, data);
    this.blobsWritten.add(hash);
    return hash;
  }

  /**
   * Store a blob as it arrives (a tree's tar, never whole in memory): each
   * chunk is written to a private temporary file in blobs/ at once
   * (synchronously: a page-cache write, so nothing queues up in memory while
   * hundreds of hosts stream), hashed on the way; `finish` fsyncs it and names
   * it by its hash; `abort` removes it. A failed write surfaces at `finish`.
   */
  blobWriter(): BlobWriter {
    const dir = join(this.dir, 'blobs');
    const tmp = join(dir, `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    let fd: number | undefined;
    let failure: unknown;
    let ended = false;
    const closeFd = (): void => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    };
    const remove = async (): Promise<void> => {
      closeFd();
      await fsp.rm(tmp, { force: true });
    };
    return {
      write: (chunk: Buffer) => {
        if (ended) throw new FleetError('E_INTERNAL', 'blob writer already finished');
        if (failure !== undefined) return;
        try {
          fd ??= openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
          for (let off = 0; off < chunk.length; ) off += writeSync(fd, chunk, off);
          hash.update(chunk);
          size += chunk.length;
        } catch (e) {
          failure = e;
        }
      },
      get size() {
        return size;
      },
      finish: async () => {
        ended = true;
        try {
          if (failure !== undefined) throw failure;
          fd ??= openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
          const handle = fd;
          await new Promise<void>((resolve, reject) => fsync(handle, (e) => (e ? reject(e) : resolve())));
          closeFd();
        } catch (e) {
          await remove().catch(() => undefined);
          throw new FleetError('E_JOURNAL', `cannot store a backup in the journal: ${(e as Error).message}`, { cause: e });
        }
        const name = hash.digest('hex');
        const path = join(dir, name);
        if (this.blobsWritten.has(name) || existsSync(path)) await fsp.rm(tmp, { force: true });
        else await fsp.rename(tmp, path);
        this.blobsWritten.add(name);
        return name;
      },
      abort: async () => {
        ended = true;
        await remove();
      },
    };
  }

  async getBlob(hash: string): Promise<Buffer> {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new FleetError('E_JOURNAL', `bad blob reference '${hash}'`);
    const data = await fsp.readFile(join(this.dir, 'blobs', hash));
    if (sha256(data) !== hash) throw new FleetError('E_JOURNAL', `journal blob ${hash} is corrupt`);
    return data;
  }

  nextSeq(host: string): number {
    const n = (this.seqs.get(host) ?? 0) + 1;
    this.seqs.set(host, n);
    return n;
  }

  /**
   * Append one record to a host's journal and fsync it. Appends per host are
   * kept in order. `sync: false` leaves the fsync to the next synced append or
   * to close(): for records whose loss in a machine crash changes nothing
   * (a change that succeeded: its intent, fsynced before, already says what to undo).
   */
  append(host: string, record: JournalRecord, options: { sync?: boolean } = {}): Promise<void> {
    const prev = this.queues.get(host) ?? Promise.resolve();
    const next = prev.then(async () => {
      let h = this.handles.get(host);
      if (!h) {
        h = fsp.open(this.hostFile(host), 'a', 0o600);
        this.handles.set(host, h);
      }
      const fh = await h;
      // A few hundred bytes into the page cache: written at once (no thread-pool
      // round trip per record); only the fsync waits in the pool.
      const line = Buffer.from(JSON.stringify(record) + '\n');
      for (let off = 0; off < line.length; ) off += writeSync(fh.fd, line, off);
      if (options.sync === false) this.unsynced.add(host);
      else {
        await fh.sync();
        this.unsynced.delete(host);
      }
    });
    this.queues.set(host, next.catch(() => undefined));
    return next.catch((e: unknown) => {
      throw new FleetError('E_JOURNAL', `cannot write the journal for ${host}: ${(e as Error).message}`, { cause: e });
    });
  }

  async read(host: string): Promise<JournalRecord[]> {
    let text: string;
    try {
      text = await fsp.readFile(this.hostFile(host), 'utf8');
    } catch {
      return [];
    }
    const out: JournalRecord[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        out.push(JSON.parse(line) as JournalRecord);
      } catch {
        // A line cut by a crash in the middle of an append: everything before it is whole.
        break;
      }
    }
    const maxSeq = out.reduce((m, r) => ('seq' in r && r.t === 'intent' ? Math.max(m, r.seq) : m), 0);
    if (maxSeq > (this.seqs.get(host) ?? 0)) this.seqs.set(host, maxSeq);
    return out;
  }

  async journaledHosts(): Promise<string[]> {
    const names = await fsp.readdir(join(this.dir, 'hosts')).catch(() => [] as string[]);
    return names.filter((n) => n.endsWith('.jsonl')).map((n) => n.slice(0, -'.jsonl'.length)).sort();
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()]);
    for (const [host, h] of this.handles) {
      const fh = await h;
      if (this.unsynced.delete(host)) await fh.sync().catch(() => undefined);
      await fh.close().catch(() => undefined);
    }
    this.handles.clear();
  }
}

export async function listRuns(stateDir: string): Promise<RunMeta[]> {
  const dir = RunJournal.runsDir(stateDir);
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  const metas: RunMeta[] = [];
  for (const n of names) {
    try {
      metas.push(JSON.parse(await fsp.readFile(join(dir, n, 'run.json'), 'utf8')) as RunMeta);
    } catch {
      // not a run directory (or one being created)
    }
  }
  for (const m of metas) if (m.result === 'running' && !processAlive(m.pid)) m.result = 'interrupted';
  return metas.sort((a, b) => (a.started < b.started ? 1 : a.started > b.started ? -1 : a.id < b.id ? 1 : -1));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
