/** `npm run bench -- [options]`: what to measure. */
import yargs from 'yargs';
import { FleetError } from '../src/errors/fleet-error.ts';

export interface BenchOptions {
  /** Lab sizes, measured one after the other. */
  hosts: number[];
  /** Timed runs of each tool per lab size. */
  runs: number;
  ansible: boolean;
  /** Count round trips and host processes per task (a 1-host lab). */
  trips: boolean;
  /** Also time fleet from a plain tsc build of src/. */
  compiled: boolean;
  quick: boolean;
  /** Results file; default bench/results/<date>[-quick].json. */
  out?: string;
}

function parseHosts(values: Array<string | number>): number[] {
  const out = values.flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter(Boolean).map(Number);
  for (const n of out) {
    if (!Number.isInteger(n) || n < 1 || n > 1000) throw new FleetError('E_USAGE', `bench: --hosts takes whole numbers from 1 to 1000, got '${n}'`);
  }
  return [...new Set(out)];
}

export function parseBenchOptions(argv: string[]): BenchOptions {
  const a = yargs(argv)
    .scriptName('npm run bench --')
    .usage('$0 [options]\n\nTime fleet against ansible-playbook and a raw-SSH floor on light lab hosts (root only).')
    .option('hosts', { type: 'string', array: true, describe: 'lab sizes, e.g. --hosts 10,50 or --hosts 200 (default 10,50)' })
    .option('runs', { type: 'number', describe: 'timed runs of each tool per size (default 3)' })
    .option('ansible', { type: 'boolean', default: true, describe: 'time ansible-playbook too when installed (--no-ansible to skip)' })
    .option('trips', { type: 'boolean', describe: 'count SSH round trips and host processes per task (default on; --no-trips)' })
    .option('compiled', { type: 'boolean', default: false, describe: 'also time fleet from a tsc build of src/' })
    .option('quick', { type: 'boolean', default: false, describe: '10 hosts, 1 run, no round-trip count' })
    .option('out', { type: 'string', describe: 'results file (default bench/results/<date>.json)' })
    .strict()
    .help()
    .parseSync();
  const quick = a.quick;
  const runs = a.runs ?? (quick ? 1 : 3);
  if (!Number.isInteger(runs) || runs < 1) throw new FleetError('E_USAGE', `bench: --runs takes a whole number >= 1, got ${runs}`);
  const hosts = a.hosts ? parseHosts(a.hosts) : quick ? [10] : [10, 50];
  return {
    hosts,
    runs,
    ansible: a.ansible,
    trips: a.trips ?? !quick,
    compiled: a.compiled,
    quick,
    ...(a.out ? { out: a.out } : {}),
  };
}
