/** `fleet validate PLAYBOOK [-i INVENTORY]`: every error, with file:line:column; no host contacted. */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { validatePlaybook, loadPlaybook } from '../../playbook/index.ts';
import { loadInventory, selectHosts } from '../../inventory/index.ts';
import { modules, getModule } from '../../modules/index.ts';
import { readInputFile } from '../../core/read-input.ts';
import { EXIT } from '../exit-codes.ts';

export const command = 'validate <playbook>';
export const describe = 'check a playbook (and an inventory) without contacting any host';
export const builder = (y: Argv) =>
  y.positional('playbook', { type: 'string', demandOption: true })
    .option('inventory', { alias: 'i', type: 'string' })
    .example('$0 validate site.yaml -i inventory.yaml', 'report every error with file:line:column');

export async function handler(argv: ArgumentsCamelCase<{ playbook: string; inventory?: string }>): Promise<number> {
  const text = await readInputFile(argv.playbook, 'playbook');
  const errors = validatePlaybook(text, argv.playbook, { modules, resolveModule: getModule });
  for (const e of errors) process.stderr.write(`error: ${e.describe()}\n`);
  if (errors.length) return EXIT.badInput;
  const pb = await loadPlaybook(argv.playbook, { modules, resolveModule: getModule });
  if (argv.inventory) {
    const inv = await loadInventory(argv.inventory);
    for (const play of pb.plays) selectHosts(inv, play.hosts);
  }
  const tasks = pb.plays.reduce((n, p) => n + p.tasks.length, 0);
  process.stdout.write(`${argv.playbook}: ok (${pb.plays.length} play${pb.plays.length === 1 ? '' : 's'}, ${tasks} top-level tasks)\n`);
  return EXIT.ok;
}
