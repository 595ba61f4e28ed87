/** `fleet ping -i INVENTORY [--limit P]`: connect to each host and run `true`. */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import PQueue from 'p-queue';
import { loadInventory, selectHosts } from '../../inventory/index.ts';
import { isFleetError } from '../../errors/fleet-error.ts';
import { EXIT } from '../exit-codes.ts';
import { connectionOptions, connectorFor, makePool, type OutputKind } from '../options.ts';

export const command = 'ping';
export const describe = 'check that every host answers over SSH';
export const builder = (y: Argv) =>
  connectionOptions(y)
    .option('inventory', { alias: 'i', type: 'string', demandOption: true })
    .option('limit', { alias: 'l', type: 'string' })
    .example('$0 ping -i inventory.yaml --limit workers', 'connect to every worker');

type Args = ArgumentsCamelCase<{ inventory: string; limit?: string; knownHosts?: string; acceptNewHostKeys: boolean; forks: number; maxConnecting: number; output?: OutputKind }>;

export async function handler(argv: Args): Promise<number> {
  const inv = await loadInventory(argv.inventory);
  const names = selectHosts(inv, argv.limit ?? 'all');
  const pool = makePool(argv);
  const connect = connectorFor(pool, inv);
  const queue = new PQueue({ concurrency: argv.forks });
  let code: number = EXIT.ok;
  const results: Record<string, { ok: boolean; msg: string; ms: number }> = {};
  try {
    await Promise.all(names.map((name) => queue.add(async () => {
      const t0 = Date.now();
      try {
        const t = await connect(inv.hosts.find((h) => h.name === name)!);
        const r = await t.exec('true', { timeoutMs: 30_000 });
        results[name] = { ok: r.code === 0, msg: r.code === 0 ? 'pong' : `exit ${r.code}`, ms: Date.now() - t0 };
        if (r.code !== 0) code = Math.max(code, EXIT.hostFailed);
      } catch (e) {
        if (!isFleetError(e)) throw e;
        results[name] = { ok: false, msg: e.describe(), ms: Date.now() - t0 };
        code = Math.max(code, EXIT.unreachable);
      }
    })));
  } finally {
    await pool.closeAll();
  }
  if (argv.output === 'json') process.stdout.write(JSON.stringify(results) + '\n');
  else for (const n of names) process.stdout.write(`${n}: ${results[n]!.ok ? 'ok' : 'UNREACHABLE'} ${results[n]!.msg} (${results[n]!.ms} ms)\n`);
  return code;
}
