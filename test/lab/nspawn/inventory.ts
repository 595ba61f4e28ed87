/** The lab's inventory.yaml, in Ansible's YAML layout (fleet reads the same). */
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

export interface InventoryNode {
  name: string;
  address: string;
  groups: string[];
}

export interface InventoryPaths {
  keyPath: string;
  knownHostsPath: string;
}

export function inventoryYaml(nodes: InventoryNode[], paths: InventoryPaths): string {
  const hosts: Record<string, { ansible_host: string }> = {};
  const children: Record<string, { hosts: Record<string, null> }> = {};
  for (const n of nodes) {
    hosts[n.name] = { ansible_host: n.address };
    for (const g of n.groups) {
      children[g] ??= { hosts: {} };
      children[g].hosts[n.name] = null;
    }
  }
  const all: Record<string, unknown> = {
    vars: {
      ansible_user: 'root',
      ansible_ssh_private_key_file: paths.keyPath,
      ansible_ssh_common_args:
        `-o UserKnownHostsFile=${paths.knownHostsPath} -o StrictHostKeyChecking=yes`,
    },
    hosts,
  };
  if (Object.keys(children).length > 0) all.children = children;
  return stringify({ all }, { nullStr: '', lineWidth: 0 });
}

export function writeInventory(path: string, nodes: InventoryNode[], paths: InventoryPaths): void {
  writeFileSync(path, inventoryYaml(nodes, paths));
}
