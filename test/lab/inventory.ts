/** The lab's inventory.yaml, in Ansible's YAML layout (fleet's loader reads it). */
import { stringify } from 'yaml';
import { FleetError } from '../../src/errors/fleet-error.ts';

interface HostEntry {
  name: string;
  address: string;
}

/** Default split: the first ceil(N/5) hosts (at least one) are masters, the rest workers. */
export function defaultGroups(hosts: HostEntry[]): Record<string, string[]> {
  const masters = Math.max(1, Math.ceil(hosts.length / 5));
  return {
    masters: hosts.slice(0, masters).map((h) => h.name),
    workers: hosts.slice(masters).map((h) => h.name),
  };
}

export function inventoryText(
  hosts: HostEntry[],
  keyPath: string,
  groups: Record<string, string[]>,
  vars: Record<string, unknown> = {},
): string {
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const children: Record<string, { hosts?: Record<string, { ansible_host: string }> }> = {};
  const grouped = new Set<string>();
  for (const [group, members] of Object.entries(groups)) {
    if (group === 'all') throw new FleetError('E_USAGE', "lab: 'all' cannot be a lab group");
    const entries: Record<string, { ansible_host: string }> = {};
    for (const m of members) {
      const h = byName.get(m);
      if (!h) throw new FleetError('E_USAGE', `lab: group '${group}' names host '${m}', which the lab does not have`);
      entries[m] = { ansible_host: h.address };
      grouped.add(m);
    }
    children[group] = members.length > 0 ? { hosts: entries } : {};
  }
  const ungrouped = hosts.filter((h) => !grouped.has(h.name));
  if (ungrouped.length > 0) {
    children.ungrouped = { hosts: Object.fromEntries(ungrouped.map((h) => [h.name, { ansible_host: h.address }])) };
  }
  const doc = {
    all: {
      vars: { ansible_user: 'root', ansible_ssh_private_key_file: keyPath, ...vars },
      children,
    },
  };
  return `# fleet test lab: generated, removed by lab teardown\n${stringify(doc)}`;
}
