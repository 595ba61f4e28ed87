/** `fleet validate PLAYBOOK [-i INVENTORY]`: every error, with file:line:column; no host contacted. */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { validatePlaybook, loadPlaybook } from '../../playbook/index.ts';
import { loadInventory } from '../../inventory/index.ts';
import { preflight } from '../preflight.ts';
import { modules, getModule } from '../../modules/index.ts';
import { readInputFile } from '../../core/read-input.ts';
import { EXIT } from '../exit-codes.ts';
import { errorLine } from '../error-line.ts';

export const command = 'validate <playbook>';
export const describe = 'check a playbook (and an inventory) without contacting any host';
export const builder = (y: Argv) =>
  y.positional('playbook', { type: 'string', demandOption: true })
    .option('inventory', { alias: 'i', type: 'string' })
    .example('$0 validate site.yaml -i inventory.yaml', 'report every error with file:line:column');

export async function handler(argv: ArgumentsCamelCase<{ playbook: string; inventory?: string }>): Promise<number> {
  const text = await readInputFile(argv.playbook, 'playbook');
  const errors = validatePlaybook(text, argv.playbook, { modules, resolveModule: getModule });
  for (const e of errors) process.stderr.write(errorLine(e));
  if (errors.length) return EXIT.badInput;
  const pb = await loadPlaybook(argv.playbook, { modules, resolveModule: getModule });
  const inventory = argv.inventory ? await loadInventory(argv.inventory) : undefined;
  const problems = await preflight({ playbook: pb, ...(inventory ? { inventory } : {}) });
  for (const e of problems) process.stderr.write(errorLine(e));
  if (problems.length) return EXIT.badInput;
  const tasks = pb.plays.reduce((n, p) => n + p.tasks.length, 0);
  process.stdout.write(`${argv.playbook}: ok (${pb.plays.length} play${pb.plays.length === 1 ? '' : 's'}, ${tasks} top-level tasks)\n`);
  return EXIT.ok;
}
