/**
 * Host locks: two runs that change the same host at once would interleave
 * their changes and their journals. A run takes `<state>/locks/<host>.lock`
 * (created exclusively) for every host it may change; a second run on an
 * overlapping host refuses, naming the run that holds it. A lock whose
 * process is gone (a crashed or killed run) is taken over.
 */
import { promises as fsp, constants as fsc } from 'node:fs';
import { join } from 'node:path';
import { FleetError } from '../errors/fleet-error.ts';
import { ensurePrivateDir } from './state-dir.ts';

interface LockInfo {
  run: string;
  pid: number;
  started: string;
  command: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function tryTake(path: string, info: LockInfo): Promise<LockInfo | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await fsp.open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
      await fh.writeFile(JSON.stringify(info));
      await fh.close();
      return undefined;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let held: LockInfo | undefined;
    try {
      held = JSON.parse(await fsp.readFile(path, 'utf8')) as LockInfo;
    } catch {
      held = undefined; // being written right now, or torn: look again
    }
    if (held && alive(held.pid)) return held;
    if (held) await fsp.unlink(path).catch(() => undefined);
    else await new Promise((r) => setTimeout(r, 50));
  }
  throw new FleetError('E_LOCKED', `cannot take the lock ${path}`);
}

/** Lock `hosts` for `run`; returns the release function. Throws E_LOCKED naming the holder. */
export async function lockHosts(stateDir: string, run: string, hosts: string[], command: string): Promise<() => Promise<void>> {
  const dir = join(stateDir, 'locks');
  await ensurePrivateDir(stateDir);
  await ensurePrivateDir(dir);
  const info: LockInfo = { run, pid: process.pid, started: new Date().toISOString(), command };
  const taken: string[] = [];
  const release = async () => {
    for (const p of taken) {
      try {
        const held = JSON.parse(await fsp.readFile(p, 'utf8')) as LockInfo;
        if (held.run === run && held.pid === process.pid) await fsp.unlink(p);
      } catch {
        // already gone
      }
    }
  };
  for (const host of [...hosts].sort()) {
    const path = join(dir, `${host}.lock`);
    const holder = await tryTake(path, info);
    if (holder) {
      await release();
      throw new FleetError('E_LOCKED', `host ${host} is locked by run ${holder.run} (pid ${holder.pid}, ${holder.command}, since ${holder.started})`, {
        hint: 'wait for that run to finish; a lock held by a process that no longer exists is taken over automatically',
      });
    }
    taken.push(path);
  }
  return release;
}
