/** A lock file holding the owner's PID; a lock whose owner died is taken over. */
import { openSync, writeSync, closeSync, readFileSync, unlinkSync } from 'node:fs';
import { FleetError } from '../../../src/errors/fleet-error.ts';
import { isAlive, sleep } from './proc.ts';

function ownerOf(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Take the lock (waiting up to timeoutMs for a live owner), run fn, release. */
export async function withLockFile<T>(
  path: string,
  timeoutMs: number,
  fn: () => Promise<T>,
  onWait?: (owner: number) => void,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = ownerOf(path);
    if (owner === undefined || !isAlive(owner)) {
      // Empty (being written right now) gets one more look before it counts as stale.
      if (owner === undefined) await sleep(200);
      if (owner !== undefined || ownerOf(path) === undefined) {
        try {
          unlinkSync(path);
        } catch {
          /* someone else removed it first */
        }
      }
      continue;
    }
    if (!told) onWait?.(owner);
    told = true;
    if (Date.now() > deadline) {
      throw new FleetError('E_LOCKED', `${path} is held by process ${owner}`);
    }
    await sleep(500);
  }
  try {
    return await fn();
  } finally {
    if (ownerOf(path) === process.pid) unlinkSync(path);
  }
}
