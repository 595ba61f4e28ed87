/** `fleet runs` and `fleet show RUN`: what the journal knows. */
import type { Argv, ArgumentsCamelCase } from 'yargs';
import { listRuns, RunJournal } from '../../journal/journal.ts';
import { resolveStateDir } from '../../journal/state-dir.ts';
import type { IntentRecord, JournalRecord } from '../../journal/types.ts';

type ListArgs = ArgumentsCamelCase<{ stateDir?: string; inventory?: string; output?: 'plain' | 'json' }>;

export const runsCommand = {
  command: 'runs',
  describe: 'list runs, newest first',
  builder: (y: Argv) =>
    y.option('state-dir', { type: 'string' })
      .option('inventory', { alias: 'i', type: 'string', describe: 'find the state directory beside this inventory' })
      .option('output', { choices: ['plain', 'json'] as const, default: 'plain' as const })
      .example('$0 runs -i inventory.yaml', 'the runs made with this inventory'),
  handler: async (argv: ListArgs): Promise<number> => {
    const runs = await listRuns(resolveStateDir(argv));
    if (argv.output === 'json') {
      process.stdout.write(JSON.stringify(runs) + '\n');
      return 0;
    }
    if (runs.length === 0) {
      process.stdout.write('no runs yet\n');
      return 0;
    }
    for (const r of runs) {
      process.stdout.write(`${r.id}  ${r.started}  ${(r.check ? 'check ' : '') + (r.result ?? '?')}  ${r.hosts.length} hosts  ${r.playbook}\n`);
    }
    return 0;
  },
};

type ShowArgs = ArgumentsCamelCase<{ run: string; stateDir?: string; inventory?: string; output?: 'plain' | 'json' }>;

export const showCommand = {
  command: 'show <run>',
  describe: "print a run's per-host changes",
  builder: (y: Argv) =>
    y.positional('run', { type: 'string', demandOption: true })
      .option('state-dir', { type: 'string' })
      .option('inventory', { alias: 'i', type: 'string' })
      .option('output', { choices: ['plain', 'json'] as const, default: 'plain' as const }),
  handler: async (argv: ShowArgs): Promise<number> => {
    const journal = await RunJournal.open(resolveStateDir(argv), argv.run);
    const hosts: Record<string, JournalRecord[]> = {};
    for (const h of await journal.journaledHosts()) hosts[h] = await journal.read(h);
    if (argv.output === 'json') {
      process.stdout.write(JSON.stringify({ run: journal.meta, hosts }) + '\n');
      return 0;
    }
    const m = journal.meta;
    const lines = [`run ${m.id}: ${m.playbook} (${m.check ? 'check' : 'apply'}), started ${m.started}, ${m.result ?? 'running'}`];
    for (const h of m.hosts) {
      lines.push(`${h}: ${m.hostStates?.[h] ?? '?'}`);
      const recs = hosts[h] ?? [];
      const done = new Map(recs.filter((r) => r.t === 'done').map((r) => [r.seq, r] as const));
      const undone = new Set(recs.filter((r) => r.t === 'undone' && r.ok).map((r) => (r as { seq: number }).seq));
      for (const r of recs.filter((x): x is IntentRecord => x.t === 'intent')) {
        const d = done.get(r.seq) as { ok: boolean; changed: boolean } | undefined;
        const state = undone.has(r.seq) ? 'undone' : !d ? 'interrupted' : !d.ok ? 'failed' : d.changed ? 'applied' : 'no change';
        lines.push(`  #${r.seq} [${r.task}] ${r.op}  (${state})`);
      }
    }
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};
