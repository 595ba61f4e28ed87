/** Where fleet keeps its state, and the rule that nobody else may write there. */
import { promises as fsp } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { FleetError } from '../errors/fleet-error.ts';

/** `--state-dir`, else FLEET_STATE_DIR, else `.fleet/` beside the inventory. */
export function resolveStateDir(opts: { stateDir?: string; inventory?: string }): string {
  if (opts.stateDir) return resolve(opts.stateDir);
  if (process.env.FLEET_STATE_DIR) return resolve(process.env.FLEET_STATE_DIR);
  if (opts.inventory) return join(dirname(resolve(opts.inventory)), '.fleet');
  return resolve('.fleet');
}

/** Create a directory 0700 if missing; refuse one that others can write to. */
export async function ensurePrivateDir(path: string): Promise<void> {
  try {
    await fsp.mkdir(path, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new FleetError('E_STATE_DIR', `cannot create state directory ${path}: ${(e as Error).message}`, { cause: e });
    }
  }
  await checkPrivateDir(path);
}

/**
 * Refuse an existing directory that others can write to or that is not ours:
 * anyone who can change a journal chooses the commands a rollback runs.
 */
export async function checkPrivateDir(path: string): Promise<void> {
  const st = await fsp.lstat(path);
  if (!st.isDirectory()) throw new FleetError('E_STATE_DIR', `${path} is not a directory`);
  if (st.mode & 0o022) {
    throw new FleetError('E_STATE_DIR', `refusing to use ${path}: it is writable by group or others (mode ${(st.mode & 0o777).toString(8)})`, {
      hint: `chmod 700 ${path}`,
    });
  }
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
    throw new FleetError('E_STATE_DIR', `refusing to use ${path}: it belongs to another user (uid ${st.uid})`);
  }
}
