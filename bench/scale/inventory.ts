/** The scale lab's inventory (fleet's YAML inventory, Ansible layout) and known_hosts. */
import { stringify } from 'yaml';
import type { ScaleHost } from './lab-types.ts';

/** Every host with its address, port and `host_root` (its own directory), as root with the lab key. */
export function scaleInventoryText(hosts: readonly ScaleHost[], keyPath: string): string {
  const entries: Record<string, { ansible_host: string; ansible_port: number; host_root: string }> = {};
  for (const h of hosts) entries[h.name] = { ansible_host: h.address, ansible_port: h.port, host_root: h.root };
  const doc = { all: { vars: { ansible_user: 'root', ansible_ssh_private_key_file: keyPath }, hosts: entries } };
  return `# fleet scale lab: generated, removed by teardown\n${stringify(doc)}`;
}

/** How known_hosts names a host: `addr` on port 22, `[addr]:port` on any other. */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** One line per host, all with the one host key the sshds share (`ssh-ed25519 AAAA... comment`). */
export function scaleKnownHostsText(hosts: readonly ScaleHost[], hostKeyPublic: string): string {
  const [type, blob] = hostKeyPublic.split(' ');
  return hosts.map((h) => `${knownHostsName(h.address, h.port)} ${type} ${blob}\n`).join('');
}
