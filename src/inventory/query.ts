/** Read-only questions about a loaded inventory, and its JSON form. */
import { FleetError, type SourceLocation } from '../errors/fleet-error.ts';
import type { HostConnection, Inventory, InventoryHost } from './types.ts';
import { SECRET_VAR_NAMES } from './connection.ts';

function findHost(inv: Inventory, name: string): InventoryHost {
  const h = inv.hosts.find((x) => x.name === name);
  if (!h) throw new FleetError('E_INVENTORY', `no host named '${name}' in inventory ${inv.file}`);
  return h;
}

/** Merged vars of a host (a copy). */
export function hostVars(inv: Inventory, name: string): Record<string, unknown> {
  return { ...findHost(inv, name).vars };
}

/** Hosts in a group, directly or through its children, in inventory order. */
export function groupMembers(inv: Inventory, group: string): string[] {
  if (!Object.hasOwn(inv.groups, group)) {
    throw new FleetError('E_INVENTORY', `no group named '${group}' in inventory ${inv.file}`);
  }
  return inv.hosts.filter((h) => h.groups.includes(group)).map((h) => h.name);
}

/** Ansible's `groups` magic var: every group (including all and ungrouped) → its hosts, recursively. */
export function inventoryGroupsVar(inv: Inventory): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const name of Object.keys(inv.groups)) out[name] = [];
  for (const h of inv.hosts) {
    for (const g of h.groups) if (Object.hasOwn(out, g)) out[g].push(h.name);
  }
  return out;
}

export const REDACTED = '<redacted>';

export interface InventoryJSON {
  file: string;
  hosts: Array<{
    name: string;
    groups: string[];
    connection: HostConnection;
    vars: Record<string, unknown>;
    location?: SourceLocation;
  }>;
  groups: Array<{
    name: string;
    /** Hosts listed directly. */
    hosts: string[];
    children: string[];
    /** Hosts directly or through children. */
    members: string[];
    vars: Record<string, unknown>;
    location?: SourceLocation;
  }>;
}

export interface InventoryJSONOptions {
  /** Show passwords and passphrases instead of `<redacted>`. */
  showSecrets?: boolean;
}

function redactVars(vars: Record<string, unknown>, show: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...vars };
  if (show) return out;
  for (const k of Object.keys(out)) if (SECRET_VAR_NAMES.has(k) && out[k] !== null) out[k] = REDACTED;
  return out;
}

/** Plain JSON for `fleet inventory --json`: arrays keep inventory order. Secrets redacted by default. */
export function inventoryToJSON(inv: Inventory, options: InventoryJSONOptions = {}): InventoryJSON {
  const show = options.showSecrets === true;
  const members = inventoryGroupsVar(inv);
  return {
    file: inv.file,
    hosts: inv.hosts.map((h) => {
      const connection: HostConnection = { ...h.connection };
      if (!show) {
        for (const k of ['password', 'passphrase', 'becomePassword'] as const) {
          if (connection[k] !== undefined) connection[k] = REDACTED;
        }
      }
      return {
        name: h.name,
        groups: [...h.groups],
        connection,
        vars: redactVars(h.vars, show),
        ...(h.location ? { location: h.location } : {}),
      };
    }),
    groups: Object.values(inv.groups).map((g) => ({
      name: g.name,
      hosts: [...g.hosts],
      children: [...g.children],
      members: members[g.name] ?? [],
      vars: redactVars(g.vars, show),
      ...(g.location ? { location: g.location } : {}),
    })),
  };
}
