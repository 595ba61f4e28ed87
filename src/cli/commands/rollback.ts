/** `fleet rollback RUN [--host H ...] [--check]`: put hosts back as they were before a run. */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { loadInventory } from '../../inventory/index.ts';
import { RunJournal } from '../../journal/journal.ts';
import { resolveStateDir } from '../../journal/state-dir.ts';
import { rollbackHost } from '../../executor/rollback.ts';
import { lockHosts } from '../../journal/lock.ts';
import { FleetError, isFleetError } from '../../errors/fleet-error.ts';
import { EXIT } from '../exit-codes.ts';
import { connectionOptions, connectorFor, makePool, makeReporter, pickOutput, type OutputKind } from '../options.ts';
import { formatRecap, noColors } from '../../ui/format.ts';
import { newRecap, type HostRecap } from '../../events/types.ts';

export const command = 'rollback <run>';
export const describe = 'undo a run on some or all of its hosts, newest change first (--check: show what it would do)';

export function builder(y: Argv) {
  return connectionOptions(y)
    .positional('run', { type: 'string', demandOption: true, describe: 'run id (see fleet runs)' })
    .option('inventory', { alias: 'i', type: 'string', describe: 'inventory (default: the one the run used)' })
    .option('host', { type: 'string', array: true, describe: 'only these hosts (default: every host the run touched)' })
    .option('check', { alias: 'dry-run', type: 'boolean', default: false, describe: 'show the diffs rollback would apply, change nothing' })
    .option('force', { type: 'boolean', default: false, describe: 'restore files even if they changed since fleet wrote them' })
    .example('$0 rollback 20261122-101500-a1b2c3 --host node3', 'put node3 back as it was before that run')
    .example('$0 rollback 20261122-101500-a1b2c3 --check', 'show what rolling back every host would change');
}

type Args = ArgumentsCamelCase<{
  run: string; inventory?: string; host?: string[]; check: boolean; force: boolean; knownHosts?: string;
  acceptNewHostKeys: boolean; forks: number; maxConnecting: number; stateDir?: string; output?: OutputKind;
}>;

export async function handler(argv: Args): Promise<number> {
  // The state dir is found from --state-dir / FLEET_STATE_DIR / the given inventory; else from the cwd.
  const stateDir = resolveStateDir({ stateDir: argv.stateDir, inventory: argv.inventory });
  const journal = await RunJournal.open(stateDir, argv.run);
  const inventory = await loadInventory(argv.inventory ?? journal.meta.inventory);
  const touched = await journal.journaledHosts();
  const hosts = argv.host?.length ? argv.host : touched;
  for (const h of hosts) {
    if (!inventory.hosts.some((x) => x.name === h)) throw new FleetError('E_USAGE', `host '${h}' is not in the inventory ${inventory.file}`);
    if (!touched.includes(h)) throw new FleetError('E_USAGE', `run ${argv.run} changed nothing on '${h}'`, { hint: `hosts it touched: ${touched.join(', ') || 'none'}` });
  }
  const unlock = argv.check ? async () => undefined : await lockHosts(stateDir, `rollback-${argv.run}`, hosts, `fleet rollback ${argv.run}`);
  const pool = makePool({ knownHosts: argv.knownHosts ?? journal.meta.knownHosts, acceptNewHostKeys: argv.acceptNewHostKeys, maxConnecting: argv.maxConnecting });
  const connect = connectorFor(pool, inventory);
  const kind = pickOutput(argv.output);
  const reporter = await makeReporter(kind === 'tty' ? 'plain' : kind, true);
  const recap: Record<string, HostRecap> = {};
  let worst: number = EXIT.ok;
  try {
    await Promise.all(hosts.map(async (name) => {
      const r = (recap[name] = newRecap());
      try {
        const transport = await connect(inventory.hosts.find((h) => h.name === name)!);
        const status = await rollbackHost({
          host: name, journal, transport, emit: reporter.sink, check: argv.check, force: argv.force,
          reason: `fleet rollback ${argv.run}`,
        });
        r.state = status;
        if (status === 'rolled-back') r.rolledBack = 1;
        else worst = Math.max(worst, EXIT.hostFailed);
      } catch (e) {
        if (!isFleetError(e)) throw e;
        r.state = e.code === 'E_UNREACHABLE' ? 'unreachable' : 'failed-to-rollback';
        reporter.sink({ kind: 'rollback-end', host: name, status: 'failed-to-rollback', msg: e.message });
        worst = Math.max(worst, e.code === 'E_UNREACHABLE' ? EXIT.unreachable : EXIT.hostFailed);
      }
    }));
  } finally {
    await pool.closeAll();
    await journal.close();
    await unlock();
  }
  if (kind !== 'json') {
    process.stdout.write(['', argv.check ? 'ROLLBACK CHECK (nothing was changed)' : 'ROLLBACK RECAP', ...formatRecap(noColors, recap)].join('\n') + '\n');
  }
  await reporter.done();
  return worst;
}
