/**
 * The nspawn lab from the command line (as root):
 *   tsx test/lab/nspawn/cli.ts up --nodes master1,worker1,worker2,worker3 [--name k8s] [--dir DIR]
 *   tsx test/lab/nspawn/cli.ts down [--name k8s] [--dir DIR]
 * A node is `name` or `name:group+group`; without groups, `master1` goes to
 * `masters`, `worker2` to `workers` (trailing digits dropped, an `s` added,
 * `-` made `_` as Ansible group names want).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { FleetError } from '../../../src/errors/fleet-error.ts';
import { createSystemdLab, downSystemdLab } from './lab.ts';

export function parseNodes(spec: string): Array<{ name: string; groups: string[] }> {
  return spec.split(',').map((s) => s.trim()).filter((s) => s !== '').map((item) => {
    const [name = '', groups] = item.split(':');
    if (groups !== undefined) return { name, groups: groups.split('+').filter((g) => g !== '') };
    const base = name.replace(/[-_]?\d+$/, '');
    return { name, groups: base && base !== name ? [`${base.replace(/-/g, '_')}s`] : [] };
  });
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string', default: 'k8s' },
      dir: { type: 'string' },
      nodes: { type: 'string' },
    },
  });
  const cmd = positionals[0];
  if (cmd === 'up') {
    if (!values.nodes) throw new FleetError('E_USAGE', 'up needs --nodes a,b,c');
    const lab = await createSystemdLab({
      name: values.name!,
      nodes: parseNodes(values.nodes),
      ...(values.dir ? { dir: values.dir } : {}),
    });
    for (const n of lab.nodes) {
      console.log(`${n.name}\t${n.address}\tgroups=${n.groups.join(',') || '-'}\tpid1=${n.leaderPid}`);
    }
    console.log(`inventory:   ${lab.inventoryPath}`);
    console.log(`key:         ${lab.keyPath}`);
    console.log(`known_hosts: ${lab.knownHostsPath}`);
    const first = lab.nodes[0]!;
    console.log(`ssh:         ssh -i ${lab.keyPath} -o UserKnownHostsFile=${lab.knownHostsPath} root@${first.address}`);
    console.log(`shell:       nsenter -t ${first.leaderPid} -a /bin/bash`);
    return 0;
  }
  if (cmd === 'down') {
    const found = await downSystemdLab({ name: values.name!, ...(values.dir ? { dir: values.dir } : {}) });
    console.log(found ? `nspawn lab ${values.name} is down` : `no nspawn lab ${values.name} to take down`);
    return 0;
  }
  throw new FleetError('E_USAGE', 'usage: cli.ts up --nodes a,b [--name N] [--dir D] | down [--name N] [--dir D]');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      if (e instanceof FleetError) {
        console.error(`${e.code}: ${e.message}${e.hint ? `\n${e.hint}` : ''}`);
      } else {
        console.error(e);
      }
      process.exit(e instanceof FleetError && e.fault === 'user' ? 4 : 1);
    },
  );
}
