/** `fleet inventory -i FILE [--json]`: the resolved hosts, groups and merged vars. */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { loadInventory, inventoryToJSON } from '../../inventory/index.ts';

export const command = 'inventory';
export const describe = 'show the resolved hosts, groups and merged vars';
export const builder = (y: Argv) =>
  y.option('inventory', { alias: 'i', type: 'string', demandOption: true })
    .option('json', { type: 'boolean', default: false })
    .example('$0 inventory -i inventory.yaml --json', 'hosts with their groups, vars and connection');

export async function handler(argv: ArgumentsCamelCase<{ inventory: string; json: boolean }>): Promise<number> {
  const inv = await loadInventory(argv.inventory);
  const data = inventoryToJSON(inv);
  if (argv.json) {
    process.stdout.write(JSON.stringify(data, null, 2) + '\n');
    return 0;
  }
  const lines: string[] = [];
  for (const h of inv.hosts) {
    const c = h.connection;
    lines.push(`${h.name}  ${c.user}@${c.address}:${c.port}${c.jumpHost ? ` via ${c.jumpHost}` : ''}  groups: ${h.groups.join(', ')}`);
  }
  lines.push('', 'groups:');
  for (const [name, g] of Object.entries(inv.groups)) lines.push(`  ${name}: ${g.hosts.join(', ') || '-'}${g.children.length ? ` (children: ${g.children.join(', ')})` : ''}`);
  lines.push('', 'vars (use --json for every host):');
  lines.push(JSON.stringify((data as { hosts?: unknown }).hosts ?? {}, null, 2).split('\n').slice(0, 60).join('\n'));
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
