/** Options several commands share, and turning them into the run's pieces. */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { parse as parseYaml } from 'yaml';
import { FleetError } from '../errors/fleet-error.ts';
import type { Inventory } from '../inventory/types.ts';
import { DEFAULT_MAX_CONNECTING, SshPool } from '../transport/ssh-pool.ts';
import type { Connector } from '../executor/play-context.ts';
import type { EventSink } from '../events/types.ts';
import { plainReporter } from '../ui/plain.ts';
import { jsonReporter } from '../ui/json.ts';
import { coalesceStdout } from '../core/coalesce-writes.ts';
import { connectionSpec } from './connection.ts';

export function connectionOptions<T>(y: Argv<T>) {
  return y
    .option('known-hosts', { type: 'string', describe: 'known_hosts file to check host keys against (default ~/.ssh/known_hosts)' })
    .option('accept-new-host-keys', { type: 'boolean', default: false, describe: 'record keys of hosts not yet in known_hosts (a changed key still fails)' })
    .option('forks', { type: 'number', default: 50, describe: 'hosts worked on at once' })
    .option('max-connecting', { type: 'number', default: DEFAULT_MAX_CONNECTING, describe: 'SSH handshakes in flight at once (bounds the connection rate)' })
    .option('state-dir', { type: 'string', describe: 'where run journals live (default: FLEET_STATE_DIR, else .fleet/ beside the inventory)' })
    .option('output', { choices: ['tty', 'plain', 'json'] as const, describe: 'live view (terminal default), plain lines (pipes, CI), or JSON lines' });
}

export function knownHostsFile(opt?: string): string {
  return resolve(opt ?? join(homedir(), '.ssh', 'known_hosts'));
}

export function makePool(opts: { knownHosts?: string; acceptNewHostKeys?: boolean; maxConnecting?: number }): SshPool {
  const max = opts.maxConnecting ?? DEFAULT_MAX_CONNECTING;
  if (!Number.isInteger(max) || max < 1) {
    throw new FleetError('E_USAGE', `--max-connecting must be a whole number of at least 1, got ${String(opts.maxConnecting)}`);
  }
  return new SshPool({ knownHostsFile: knownHostsFile(opts.knownHosts), acceptNew: !!opts.acceptNewHostKeys }, { maxConnecting: max });
}

export function connectorFor(pool: SshPool, inventory: Inventory): Connector {
  return (h) => pool.get(connectionSpec(inventory, h));
}

/** Names that reach into prototypes: never variables. */
const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** `-e key=value` (value read as YAML: numbers, booleans, lists). */
export function parseExtraVars(list: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const items = list === undefined ? [] : Array.isArray(list) ? list : [list];
  for (const raw of items) {
    const s = String(raw);
    const i = s.indexOf('=');
    if (i <= 0) throw new FleetError('E_USAGE', `-e expects key=value, got '${s}'`);
    const key = s.slice(0, i);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key) || RESERVED_NAMES.has(key)) {
      throw new FleetError('E_USAGE', `-e: '${key}' is not a variable name`);
    }
    const text = s.slice(i + 1);
    if (text.includes('\0')) throw new FleetError('E_USAGE', `-e ${key}: the value contains a NUL character`);
    let value: unknown = text;
    if (/^[[{]/.test(text) || /^(true|false|-?\d+(\.\d+)?)$/.test(text)) {
      try {
        value = parseYaml(text, { maxAliasCount: 0 });
      } catch (e) {
        if (!/^[[{]/.test(text)) value = text;
        else {
          const why = e instanceof ReferenceError ? 'YAML aliases (*name) are not allowed in -e values'
            : e instanceof Error ? e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '') : String(e);
          throw new FleetError('E_USAGE', `-e ${key}: the value starts like a YAML list or mapping but is not one: ${why}`, {
            hint: 'values starting with [ or { are read as YAML flow lists or mappings, e.g. -e ports=[80,443]',
          });
        }
      }
    }
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

export type OutputKind = 'tty' | 'plain' | 'json';

export function pickOutput(opt: OutputKind | undefined): OutputKind {
  if (opt) return opt;
  return process.stdout.isTTY && !process.env.CI ? 'tty' : 'plain';
}

export async function makeReporter(kind: OutputKind, diff: boolean): Promise<{ sink: EventSink; done(): Promise<void> }> {
  // A line per host and task: the lines of one event-loop turn go out in one write.
  if (kind === 'json') return { sink: jsonReporter(coalesceStdout()), done: async () => undefined };
  if (kind === 'plain') return { sink: plainReporter({ diff, out: coalesceStdout() }), done: async () => undefined };
  // The live view (listr2) is loaded only for a terminal: it is most of startup's module loading.
  const { listrReporter } = await import('../ui/listr.ts');
  return listrReporter({ diff });
}
