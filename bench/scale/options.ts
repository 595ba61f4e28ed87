/** `npm run bench:scale -- [options]`. */
import yargs from 'yargs';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { MAX_HOSTS } from '../../test/lab/addresses.ts';
import { MAX_SSHDS } from './lab.ts';

export interface ScaleOptions {
  hosts: number;
  sshds: number;
  /** fleet --forks; 'default': not passed (fleet's default). */
  forks: number | 'default';
  runs: number;
  /** Results file; default bench/results/<date>-scale-<N>.json. */
  out?: string;
  /** Lab name (lab dir /var/tmp/fleet-scale-lab/<name>, netns <name>-ns). */
  name: string;
  dir?: string;
  /** Only tear down the lab left in the lab dir (by a killed run), then exit. */
  down: boolean;
}

function whole(name: string, v: unknown, min: number, max: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw new FleetError('E_USAGE', `bench: --${name} takes a whole number from ${min} to ${max}, got '${String(v)}'`);
  return n;
}

export function parseScaleOptions(argv: string[]): ScaleOptions {
  const a = yargs(argv)
    .scriptName('npm run bench:scale --')
    .usage('$0 [options]\n\nfleet over a scale lab of many hosts (addresses of one network namespace, a few sshds; root only).')
    .option('hosts', { type: 'number', default: 500, describe: `hosts in the lab (1..${MAX_HOSTS})` })
    .option('sshds', { type: 'number', default: 4, describe: 'sshd processes serving them (ports 22, 2201, ...)' })
    .option('forks', { type: 'string', describe: "fleet --forks (default: the number of hosts; 'default': fleet's own default)" })
    .option('runs', { type: 'number', default: 1, describe: 'apply + check rounds' })
    .option('out', { type: 'string', describe: 'results file (default bench/results/<date>-scale-<N>.json)' })
    .option('name', { type: 'string', default: 'fleet-scale', describe: 'lab name' })
    .option('dir', { type: 'string', describe: 'lab dir (default /var/tmp/fleet-scale-lab/<name>)' })
    .option('down', { type: 'boolean', default: false, describe: 'tear down a lab a killed run left behind, then exit' })
    .strict()
    .help()
    .parseSync();
  const hosts = whole('hosts', a.hosts, 1, MAX_HOSTS);
  const forks = a.forks === undefined ? hosts : a.forks === 'default' ? 'default' : whole('forks', a.forks, 1, 10_000);
  return {
    hosts,
    sshds: whole('sshds', a.sshds, 1, MAX_SSHDS),
    forks,
    runs: whole('runs', a.runs, 1, 100),
    ...(a.out ? { out: a.out } : {}),
    name: a.name,
    ...(a.dir ? { dir: a.dir } : {}),
    down: a.down,
  };
}
