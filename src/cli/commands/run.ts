/** `fleet run PLAYBOOK -i INVENTORY`: apply a playbook, or with --check show exactly what it would change. */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { loadPlaybook } from '../../playbook/index.ts';
import { loadInventory, selectHosts } from '../../inventory/index.ts';
import { modules, getModule } from '../../modules/index.ts';
import { runPlaybook } from '../../executor/run.ts';
import { resolveStateDir } from '../../journal/state-dir.ts';
import { exitCodeForResult } from '../exit-codes.ts';
import {
  connectionOptions, connectorFor, knownHostsFile, makePool, makeReporter, parseExtraVars, pickOutput, type OutputKind,
} from '../options.ts';
import { onInterrupt } from '../signals.ts';
import { preflight } from '../preflight.ts';

export const command = 'run <playbook>';
export const describe = 'run a playbook against the inventory (--check: show exact diffs, change nothing)';

export function builder(y: Argv) {
  return connectionOptions(y)
    .positional('playbook', { type: 'string', demandOption: true, describe: 'playbook YAML file' })
    .option('inventory', { alias: 'i', type: 'string', demandOption: true, describe: 'inventory YAML file' })
    .option('check', { alias: 'dry-run', type: 'boolean', default: false, describe: 'read real state, predict every change, change nothing' })
    .option('diff', { type: 'boolean', default: false, describe: 'show file diffs and service changes while applying' })
    .option('limit', { alias: 'l', type: 'string', describe: 'further limit hosts with a pattern (e.g. "workers:!node3")' })
    .option('tags', { alias: 't', type: 'string', array: true, default: [] as string[], describe: 'only run tasks with these tags' })
    .option('skip-tags', { type: 'string', array: true, default: [] as string[], describe: 'skip tasks with these tags' })
    .option('extra-vars', { alias: 'e', type: 'string', array: true, describe: 'key=value, over every other variable' })
    .option('rollback', { type: 'boolean', default: true, describe: 'roll failed hosts back automatically (--no-rollback to keep them as they are)' })
    .option('force-handlers', { type: 'boolean', default: false, describe: 'run notified handlers on hosts that failed too' })
    .example('$0 run site.yaml -i inventory.yaml --check', 'show every file diff and service change, touch nothing')
    .example('$0 run site.yaml -i inventory.yaml --limit workers -e cluster_cidr=172.30.0.0/16', 'apply to the workers');
}

type Args = ArgumentsCamelCase<{
  playbook: string; inventory: string; check: boolean; diff: boolean; limit?: string; tags: string[]; skipTags: string[];
  extraVars?: string[]; rollback: boolean; forceHandlers: boolean; knownHosts?: string; acceptNewHostKeys: boolean;
  forks: number; maxConnecting: number; stateDir?: string; output?: OutputKind;
}>;

/** The command line as the journal keeps it: -e values may be secrets, so only their names are kept. */
export function redactExtraVars(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const m = /^(-e|--extra-vars)(=|$)(.*)$/.exec(a) ?? /^(-e)()(.+)$/.exec(a);
    if (!m) { out.push(a); continue; }
    const value = m[3] || args[++i] || '';
    const name = value.split('=')[0];
    out.push(m[1]!, `${name}=(redacted)`);
  }
  return out;
}

const splitTags = (t: string[]) => t.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);

export async function handler(argv: Args): Promise<number> {
  const playbook = await loadPlaybook(argv.playbook, { modules, resolveModule: getModule });
  const inventory = await loadInventory(argv.inventory);
  const extraVars = parseExtraVars(argv.extraVars);
  if (argv.limit) selectHosts(inventory, argv.limit);
  const onlyTags = splitTags(argv.tags);
  const skipTags = splitTags(argv.skipTags);
  const problems = await preflight({ playbook, inventory, extraVars, onlyTags, skipTags });
  if (problems.length) throw problems[0];
  const pool = makePool(argv);
  const reporter = await makeReporter(pickOutput(argv.output), argv.diff);
  const stop = { requested: false };
  const release = onInterrupt(() => { stop.requested = true; });
  try {
    const summary = await runPlaybook({
      playbook,
      inventory,
      check: argv.check,
      forks: argv.forks,
      ...(argv.limit ? { limit: argv.limit } : {}),
      onlyTags,
      skipTags,
      extraVars,
      noRollback: !argv.rollback,
      forceHandlers: argv.forceHandlers,
      emit: reporter.sink,
      stateDir: resolveStateDir({ stateDir: argv.stateDir, inventory: argv.inventory }),
      connector: connectorFor(pool, inventory),
      knownHosts: knownHostsFile(argv.knownHosts),
      argv: redactExtraVars(process.argv.slice(2)),
      stop,
    });
    await reporter.done();
    return exitCodeForResult(summary.result);
  } finally {
    release();
    await pool.closeAll();
  }
}
