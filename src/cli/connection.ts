/** From an inventory host to how the transport reaches it (jump hosts resolved). */
import type { Inventory, InventoryHost } from '../inventory/types.ts';
import type { ConnectionSpec } from '../transport/types.ts';
import { FleetError } from '../errors/fleet-error.ts';

const JUMP_RE = /^(?:([^@\s]+)@)?(\[[0-9A-Fa-f:.]+\]|[^\s@:[\]]+)(?::(\d{1,5}))?$/;

export function connectionSpec(inv: Inventory, host: InventoryHost, seen: string[] = []): ConnectionSpec {
  const c = host.connection;
  const spec: ConnectionSpec = {
    name: host.name,
    address: c.address,
    port: c.port,
    user: c.user,
    connectTimeoutMs: c.connectTimeoutMs,
    ...(c.privateKeyFile ? { privateKeyFile: c.privateKeyFile } : {}),
    ...(c.password !== undefined ? { password: c.password } : {}),
    ...(c.passphrase !== undefined ? { passphrase: c.passphrase } : {}),
    ...(c.becomePassword !== undefined ? { becomePassword: c.becomePassword } : {}),
  };
  if (c.jumpHost) {
    if (seen.includes(host.name)) {
      throw new FleetError('E_INVENTORY', `jump hosts form a cycle: ${[...seen, host.name].join(' -> ')}`);
    }
    const named = inv.hosts.find((h) => h.name === c.jumpHost);
    if (named) spec.jump = connectionSpec(inv, named, [...seen, host.name]);
    else {
      const m = JUMP_RE.exec(c.jumpHost);
      if (!m) throw new FleetError('E_INVENTORY', `${host.name}: jump host '${c.jumpHost}' is not a host name or [user@]address[:port]`);
      spec.jump = {
        name: c.jumpHost,
        address: m[2]!.replace(/^\[|\]$/g, ''),
        port: m[3] ? Number(m[3]) : 22,
        user: m[1] ?? c.user,
        connectTimeoutMs: c.connectTimeoutMs,
        ...(c.privateKeyFile ? { privateKeyFile: c.privateKeyFile } : {}),
      };
    }
  }
  return spec;
}
