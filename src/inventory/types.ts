/** Plain data produced by the inventory loader (inventory/load.ts). */
import type { SourceLocation } from '../errors/fleet-error.ts';

/** How to reach one host, before resolving its jump host. */
export interface HostConnection {
  /** Address or DNS name (ansible_host / address); defaults to the host's name. */
  address: string;
  port: number;
  user: string;
  privateKeyFile?: string;
  password?: string;
  passphrase?: string;
  /** Name of another inventory host, or `[user@]address[:port]`, to jump through. */
  jumpHost?: string;
  connectTimeoutMs: number;
  becomePassword?: string;
}

export interface InventoryHost {
  name: string;
  /** Merged vars, precedence applied (host > child group > parent group > all). No extra vars. */
  vars: Record<string, unknown>;
  /** Every group the host belongs to, directly or through children, including `all`. Sorted by depth then name. */
  groups: string[];
  connection: HostConnection;
  location?: SourceLocation;
}

export interface InventoryGroup {
  name: string;
  /** Hosts listed directly in this group. */
  hosts: string[];
  children: string[];
  vars: Record<string, unknown>;
  location?: SourceLocation;
}

export interface Inventory {
  file: string;
  /** Hosts in file order. */
  hosts: InventoryHost[];
  groups: Record<string, InventoryGroup>;
}
