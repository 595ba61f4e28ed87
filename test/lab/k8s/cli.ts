/**
 * The k8s lab from the command line (as root):
 *   tsx test/lab/k8s/cli.ts up [--name k8s] [--masters 1] [--workers 3]
 *   tsx test/lab/k8s/cli.ts down [--name k8s]
 * `up` prints the inventory and known_hosts paths to give fleet, one per line as
 * KEY=VALUE (for scripts: `eval "$(tsx test/lab/k8s/cli.ts up)"`), progress on stderr.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { FleetError } from '../../../src/errors/fleet-error.ts';
import { shq } from '../../../src/core/shell.ts';
import { createK8sLab, downK8sLab } from './lab.ts';

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string', default: 'k8s' },
      masters: { type: 'string', default: '1' },
      workers: { type: 'string', default: '3' },
    },
  });
  const cmd = positionals[0];
  if (cmd === 'up') {
    const started = Date.now();
    const lab = await createK8sLab({ name: values.name!, masters: Number(values.masters), workers: Number(values.workers) });
    process.stderr.write(`k8s lab ${lab.name}: ${lab.nodes.length} nodes seeded and running Flannel ` +
      `in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    for (const n of lab.nodes) process.stderr.write(`  ${n.name}\t${n.address}\t${n.groups.join(',')}\n`);
    const out = {
      LAB_NAME: lab.name,
      LAB_DIR: lab.dir,
      LAB_INVENTORY: lab.inventoryPath,
      LAB_KNOWN_HOSTS: lab.knownHostsPath,
      LAB_KEY: lab.systemd.keyPath,
      LAB_MASTER: lab.masters[0]!.address,
    };
    for (const [k, v] of Object.entries(out)) console.log(`${k}=${shq(v)}`);
    return 0;
  }
  if (cmd === 'down') {
    const found = await downK8sLab(values.name!);
    process.stderr.write(found ? `k8s lab ${values.name} is down\n` : `no k8s lab ${values.name} to take down\n`);
    return 0;
  }
  throw new FleetError('E_USAGE', 'usage: cli.ts up [--name N] [--masters M] [--workers W] | down [--name N]');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof FleetError) console.error(`${e.code}: ${e.message}${e.hint ? `\n${e.hint}` : ''}`);
      else console.error(e);
      process.exit(e instanceof FleetError && e.fault === 'user' ? 4 : 1);
    },
  );
}
