/**
 * npm run lab:up   -- [--hosts 5] [--name demo] [--dir DIR]   bring a lab up and leave it running
 * npm run lab:down -- [--name demo] [--dir DIR] [--all]        tear it (or every lab under .lab/) down
 * tsx test/lab/cli.ts list                                     labs with a state.json under .lab/
 */
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { createLab, defaultLabDir, destroyLab, listLabs } from './index.ts';
import { teardownSync } from './state.ts';

const USAGE = `usage: tsx test/lab/cli.ts up [--hosts N] [--name NAME] [--dir DIR]
       tsx test/lab/cli.ts down [--name NAME] [--dir DIR] [--all]
       tsx test/lab/cli.ts list`;

function rel(p: string): string {
  const r = relative(process.cwd(), p);
  return r.startsWith('..') ? p : r;
}

async function up(name: string, hosts: number, dir: string | undefined): Promise<void> {
  const t = Date.now();
  const lab = await createLab({ name, hosts, ...(dir ? { dir } : {}) });
  const secs = ((Date.now() - t) / 1000).toFixed(1);
  const inv = rel(lab.inventoryPath);
  const kh = rel(lab.knownHostsPath);
  const key = rel(lab.keyPath);
  const lines = [
    `lab ${lab.name}: ${lab.hosts.length} hosts up in ${secs} s (${lab.subnet}; this machine is ${lab.bridgeAddress} on ${lab.bridge})`,
    ...lab.hosts.map((h) => `  ${h.name.padEnd(6)} ${h.address.padEnd(15)} netns ${h.netns}`),
    '',
    `inventory:   ${inv}`,
    `known_hosts: ${kh}`,
    `key:         ${key}`,
    'users:       root and deploy (sudo without password; password login lab-pw),',
    '             deploy2 (sudo asks for its password, lab-sudo-pw); all accept the key',
    '',
    'try:',
    `  npx fleet ping -i ${inv} --known-hosts ${kh}`,
    `  ssh -i ${key} -o UserKnownHostsFile=${kh} root@${lab.hosts[0].address} hostname`,
    `stop: npm run lab:down -- --name ${lab.name}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function down(name: string, dir: string | undefined, all: boolean): void {
  if (all) {
    const labs = listLabs();
    for (const s of labs) {
      teardownSync(s);
      process.stdout.write(`lab ${s.name}: down\n`);
    }
    if (labs.length === 0) process.stdout.write('no labs\n');
    return;
  }
  const found = destroyLab(dir ? { dir } : { name });
  process.stdout.write(found ? `lab ${name}: down\n` : `lab ${name}: not running (no ${rel(dir ?? defaultLabDir(name))}/state.json)\n`);
}

function list(): void {
  const labs = listLabs();
  if (labs.length === 0) process.stdout.write('no labs\n');
  for (const s of labs) process.stdout.write(`${s.name}\t${s.hosts.length} hosts\t${s.subnet}\t${rel(s.dir)}\n`);
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      hosts: { type: 'string', default: '5' },
      name: { type: 'string', default: 'demo' },
      dir: { type: 'string' },
      all: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const cmd = positionals[0];
  if (values.help || positionals.length !== 1) {
    process.stdout.write(`${USAGE}\n`);
    if (!values.help) process.exitCode = 2;
    return;
  }
  if (cmd === 'up') {
    const hosts = Number(values.hosts);
    if (!/^\d+$/.test(values.hosts)) throw new FleetError('E_USAGE', `--hosts must be a number, got '${values.hosts}'`);
    await up(values.name, hosts, values.dir);
  } else if (cmd === 'down') {
    down(values.name, values.dir, values.all);
  } else if (cmd === 'list') {
    list();
  } else {
    throw new FleetError('E_USAGE', `unknown command '${cmd}'`, { hint: USAGE });
  }
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (e instanceof FleetError) {
    process.stderr.write(`${e.describe()}\n`);
  } else {
    process.stderr.write(`lab: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  }
  process.exitCode = 1;
});
