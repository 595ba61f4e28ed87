/**
 * What the executor keeps per host during a run, and how a task's variables
 * are layered (lowest first): inventory vars, play vars, block and task vars,
 * registered results and set_fact facts, magic vars, then -e extra vars.
 */
import type { InventoryHost } from '../inventory/types.ts';
import type { Transport } from '../transport/types.ts';
import type { HostRecap } from '../events/types.ts';
import { newRecap } from '../events/types.ts';
import type { StateView } from './state-view.ts';

export interface HostRun {
  name: string;
  inventory: InventoryHost;
  /** Registered results and set_fact values, kept across plays. */
  facts: Record<string, unknown>;
  transport?: Transport;
  view?: StateView;
  /** Failed in this run: no more tasks (handlers only with --force-handlers). */
  failed: boolean;
  unreachable: boolean;
  /** Handler names notified and not yet run. */
  notified: Set<string>;
  recap: HostRecap;
  /** Touched the journal (an intent was written): rollback has something to do. */
  journaled: boolean;
}

export function newHostRun(inventory: InventoryHost): HostRun {
  return {
    name: inventory.name,
    inventory,
    facts: {},
    failed: false,
    unreachable: false,
    notified: new Set(),
    recap: newRecap(),
    journaled: false,
  };
}

export interface VarLayers {
  playVars: Record<string, unknown>;
  extraVars: Record<string, unknown>;
  /** Shared, read-only objects: groups, hostvars, play hosts. */
  magic: Record<string, unknown>;
  check: boolean;
}

export function taskVars(
  host: HostRun,
  layers: VarLayers,
  scoped: Record<string, unknown>[],
): Record<string, unknown> {
  const vars: Record<string, unknown> = Object.create(null);
  Object.assign(vars, host.inventory.vars, layers.playVars);
  for (const s of scoped) Object.assign(vars, s);
  Object.assign(vars, host.facts, layers.magic);
  vars.inventory_hostname = host.name;
  vars.inventory_hostname_short = host.name.split('.')[0];
  vars.group_names = host.inventory.groups.filter((g) => g !== 'all');
  vars.ansible_check_mode = layers.check;
  vars.fleet_check_mode = layers.check;
  Object.assign(vars, layers.extraVars);
  return { ...vars };
}

/** `hostvars`: one own property per host, computed when read (keeps memory flat for big fleets). */
export function hostvarsObject(hosts: Map<string, HostRun>, layers: () => Omit<VarLayers, 'magic'>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, h] of hosts) {
    Object.defineProperty(out, name, {
      enumerable: true,
      get: () => {
        const l = layers();
        return { ...h.inventory.vars, ...l.playVars, ...h.facts, inventory_hostname: name, ...l.extraVars };
      },
    });
  }
  return out;
}
