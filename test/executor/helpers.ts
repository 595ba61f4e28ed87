/** Running playbooks over memory hosts, and reading the events back. */
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parsePlaybook } from '../../src/playbook/index.ts';
import { parseInventory } from '../../src/inventory/index.ts';
import { getModule, modules } from '../../src/modules/index.ts';
import { runPlaybook, type RunSummary } from '../../src/executor/run.ts';
import type { EventOf, RunEvent, RunEventKind } from '../../src/events/types.ts';
import { connectorFor, memoryFleet, type MemoryHost, type MemoryHostInit } from '../support/memory-host.ts';

/** Join lines with newlines. */
export const yaml = (...lines: string[]): string => lines.join('\n') + '\n';

export async function tempDir(prefix = 'fleet-exec-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export interface RunSpec {
  playbook: string;
  hosts: Map<string, MemoryHost>;
  /** Inventory YAML; default: every host in `hosts` under `all`, ansible_user root. */
  inventory?: string;
  check?: boolean;
  forks?: number;
  limit?: string;
  onlyTags?: string[];
  skipTags?: string[];
  extraVars?: Record<string, unknown>;
  noRollback?: boolean;
  forceHandlers?: boolean;
  /** Journal directory; default: a new temp dir. */
  stateDir?: string;
  /** Run id (default: a new one). */
  runId?: string;
  /** Files beside the playbook (e.g. `templates/x.j2`); the playbook is written in a temp dir. */
  files?: Record<string, string>;
}

export interface RunOutcome {
  summary: RunSummary;
  events: RunEvent[];
  stateDir: string;
}

export function defaultInventory(names: Iterable<string>, vars: Record<string, unknown> = {}): string {
  const lines = ['all:', `  vars: ${JSON.stringify({ ansible_user: 'root', ...vars })}`, '  hosts:'];
  for (const n of names) lines.push(`    ${n}: {}`);
  return yaml(...lines);
}

export function fleet(init: Record<string, MemoryHostInit>): Map<string, MemoryHost> {
  return memoryFleet(init);
}

export async function run(spec: RunSpec): Promise<RunOutcome> {
  const dir = await tempDir('fleet-pb-');
  for (const [rel, text] of Object.entries(spec.files ?? {})) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  const playbook = parsePlaybook(spec.playbook, join(dir, 'site.yml'), { modules, resolveModule: getModule });
  const inventory = parseInventory(spec.inventory ?? defaultInventory(spec.hosts.keys()), join(dir, 'inventory.yml'));
  const stateDir = spec.stateDir ?? (await tempDir('fleet-state-'));
  const events: RunEvent[] = [];
  const summary = await runPlaybook({
    playbook,
    inventory,
    check: spec.check ?? false,
    forks: spec.forks ?? 10,
    ...(spec.limit ? { limit: spec.limit } : {}),
    onlyTags: spec.onlyTags ?? [],
    skipTags: spec.skipTags ?? [],
    extraVars: spec.extraVars ?? {},
    noRollback: spec.noRollback ?? false,
    forceHandlers: spec.forceHandlers ?? false,
    emit: (e) => events.push(e),
    stateDir,
    connector: connectorFor(spec.hosts),
    argv: ['test'],
    ...(spec.runId ? { runId: spec.runId } : {}),
  });
  for (const h of spec.hosts.values()) {
    assert.deepEqual(h.unknownScripts, [], `${h.name} was sent scripts the memory host does not know`);
  }
  return { summary, events, stateDir };
}

export function ofKind<K extends RunEventKind>(events: RunEvent[], kind: K): EventOf<K>[] {
  return events.filter((e): e is EventOf<K> => e.kind === kind);
}

/** `host task status` lines of host-task events, in emission order. */
export function taskLines(events: RunEvent[], host?: string): string[] {
  return ofKind(events, 'host-task')
    .filter((e) => host === undefined || e.host === host)
    .map((e) => `${e.host} ${e.task} ${e.status}`);
}

/** The host-task event of one host and task (exactly one). */
export function hostTask(events: RunEvent[], host: string, task: string): EventOf<'host-task'> {
  const found = ofKind(events, 'host-task').filter((e) => e.host === host && e.task === task);
  assert.equal(found.length, 1, `expected one host-task event for ${host} / ${task}, got ${found.length}`);
  return found[0]!;
}
