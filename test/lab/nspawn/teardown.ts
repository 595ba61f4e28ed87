/** Tear a lab down from its state: nodes, overlays, veths, bridge, cgroups, directory. Idempotent. */
import { existsSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { FleetError } from '../../../src/errors/fleet-error.ts';
import { removeCgroups, removeEmptyParents } from './cgroups.ts';
import { bridgePorts, deleteLink } from './bridge.ts';
import { removeTree } from './mounts.ts';
import { stopNode } from './node.ts';
import { DEFAULT_LABS_DIR, type LabState } from './state.ts';

/** What a lab writes in its dir; the dir itself goes only when nothing else is in it. */
export const LAB_FILES = ['inventory.yaml', 'known_hosts', 'id_ed25519', 'id_ed25519.pub', 'state.json.tmp', 'state.json'];

async function removeLabFiles(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  await removeTree(join(dir, 'nodes'));
  for (const f of LAB_FILES) rmSync(join(dir, f), { force: true });
  for (const d of [dir, DEFAULT_LABS_DIR]) {
    try {
      rmdirSync(d);
    } catch {
      /* not empty: not ours to remove */
    }
  }
}

export async function downLab(state: LabState): Promise<void> {
  const errors: unknown[] = [];
  const attempt = async (fn: () => Promise<void>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      errors.push(e);
    }
  };
  await Promise.all(state.nodes.map((n) => attempt(() => stopNode(n))));
  await Promise.all(state.nodes.map((n) => attempt(() => removeCgroups(n.cgroups))));
  removeEmptyParents(state.name);
  // nspawn's veths die with the containers' network namespaces; delete any that stayed.
  const veths = new Set([...state.nodes.map((n) => n.veth), ...(await bridgePorts(state.bridge))]);
  for (const v of veths) if (v) await attempt(() => deleteLink(v));
  await attempt(() => deleteLink(state.bridge));
  if (errors.length === 0) await attempt(() => removeLabFiles(state.dir));
  if (errors.length > 0) {
    throw new FleetError('E_INTERNAL', `nspawn lab ${state.name}: teardown incomplete (state kept in ${state.dir})`, {
      cause: errors[0],
      hint: errors.map((e) => (e instanceof Error ? e.message : String(e))).join('\n'),
    });
  }
}
