/**
 * The floor: the least a controller can do for the bench scenario. One ssh2
 * connection per host (all hosts at once, TCP_NODELAY as fleet, host keys checked against
 * known_hosts), then the scenario's plain shell commands in sequence on each
 * (bench/scenario.ts floorSteps), nothing else: no state reads, no backups,
 * no journal. Prints a JSON line when it starts (so the time to its first
 * byte is its startup), then one with hosts, steps, the median time to connect
 * and the median milliseconds per step.
 *
 *   node --import tsx bench/floor.ts --inventory INV --known-hosts KH [--limit HOST] [--steps K]
 *
 * Exit code 0 when every command exited 0 on every host, else 1.
 */
import { readFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import ssh2 from 'ssh2';
import { parse } from 'yaml';
import { COPY_FILE, floorSteps, TEMPLATE_FILE, type FloorStep } from './scenario.ts';
import { median } from './stats.ts';

interface FloorHost {
  name: string;
  address: string;
}

interface InventoryNode {
  hosts?: Record<string, { ansible_host?: string } | null>;
  children?: Record<string, InventoryNode | null>;
  vars?: Record<string, unknown>;
}

/** Hosts of a lab inventory (Ansible YAML layout) and its user and key. */
export function readLabInventory(text: string): { user: string; keyFile: string; hosts: FloorHost[] } {
  const doc = parse(text) as { all: InventoryNode };
  const found = new Map<string, string>();
  const walk = (node: InventoryNode | null | undefined) => {
    if (!node) return;
    for (const [name, h] of Object.entries(node.hosts ?? {})) found.set(name, h?.ansible_host ?? name);
    for (const child of Object.values(node.children ?? {})) walk(child);
  };
  walk(doc.all);
  const vars = doc.all.vars ?? {};
  const hosts = [...found].map(([name, address]) => ({ name, address }));
  hosts.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  return { user: String(vars.ansible_user ?? 'root'), keyFile: String(vars.ansible_ssh_private_key_file), hosts };
}

/** address -> base64 key blobs, from a plain (unhashed) known_hosts file. */
function readKnownHosts(path: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const [names, , blob] = line.trim().split(/\s+/);
    if (!names || !blob || names.startsWith('#')) continue;
    for (const n of names.split(',')) {
      if (!out.has(n)) out.set(n, new Set());
      out.get(n)!.add(blob);
    }
  }
  return out;
}

function connect(host: FloorHost, user: string, privateKey: string, known: Set<string> | undefined): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.on('ready', () => resolve(client));
    client.on('error', reject);
    client.connect({
      host: host.address,
      port: 22,
      username: user,
      privateKey,
      readyTimeout: 20_000,
      // TCP_NODELAY, as fleet: with ssh2's default (Nagle on) every command waits
      // about 40 ms for a delayed ACK (docs/performance.md).
      sock: netConnect({ host: host.address, port: 22, noDelay: true }),
      hostVerifier: (key: Buffer) => known?.has(key.toString('base64')) ?? false,
    });
  });
}

function execStep(client: ssh2.Client, step: FloorStep): Promise<number | null> {
  return new Promise((resolve, reject) => {
    client.exec(step.cmd, (err, channel) => {
      if (err) return reject(err);
      channel.on('data', () => undefined);
      channel.stderr.on('data', () => undefined);
      channel.on('close', (code: number | null) => resolve(code));
      channel.end(step.stdin ?? '');
    });
  });
}

async function runHost(host: FloorHost, ctx: { user: string; key: string; known: Map<string, Set<string>>; steps: number; template: string; copy: string }): Promise<number[]> {
  const t0 = performance.now();
  const client = await connect(host, ctx.user, ctx.key, ctx.known.get(host.address));
  try {
    // times[0]: connecting; times[i]: step i.
    const times: number[] = [performance.now() - t0];
    for (const step of floorSteps(host.name, ctx.template, ctx.copy).slice(0, ctx.steps)) {
      const t0 = performance.now();
      const code = await execStep(client, step);
      times.push(performance.now() - t0);
      if (code !== 0) throw new Error(`${host.name}: '${step.cmd}' exited with ${code}`);
    }
    return times;
  } finally {
    client.end();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      inventory: { type: 'string' },
      'known-hosts': { type: 'string' },
      limit: { type: 'string' },
      steps: { type: 'string', default: '12' },
    },
  });
  process.stdout.write(`${JSON.stringify({ started: true })}\n`);
  if (!values.inventory || !values['known-hosts']) {
    process.stderr.write('usage: floor.ts --inventory INV --known-hosts KH [--limit HOST] [--steps K]\n');
    return 2;
  }
  const inv = readLabInventory(readFileSync(values.inventory, 'utf8'));
  const hosts = values.limit ? inv.hosts.filter((h) => h.name === values.limit) : inv.hosts;
  const ctx = {
    user: inv.user,
    key: readFileSync(inv.keyFile, 'utf8'),
    known: readKnownHosts(values['known-hosts']),
    steps: Number(values.steps),
    template: readFileSync(TEMPLATE_FILE, 'utf8'),
    copy: readFileSync(COPY_FILE, 'utf8'),
  };
  const results = await Promise.allSettled(hosts.map((h) => runHost(h, ctx)));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error)?.message ?? r.reason)] : []));
  const times = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const med = (i: number) => Math.round(median(times.map((t) => t[i]!).filter((x) => x !== undefined)) * 10) / 10;
  const perStepMs = Array.from({ length: ctx.steps }, (_, i) => med(i + 1));
  const summary = { ok: failures.length === 0, hosts: hosts.length, steps: ctx.steps, connectMs: med(0), perStepMs, failures };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  return failures.length === 0 ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await main();
}
