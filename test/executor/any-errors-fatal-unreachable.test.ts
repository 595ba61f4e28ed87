/** any_errors_fatal stops the run when a host is unreachable, not only when a task fails (as Ansible does). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePlaybook } from '../../src/playbook/index.ts';
import { parseInventory } from '../../src/inventory/index.ts';
import { getModule, modules } from '../../src/modules/index.ts';
import { runPlaybook } from '../../src/executor/run.ts';
import { createMemoryTransport, type MemoryTransport } from '../../src/transport/memory.ts';
import { FleetError } from '../../src/errors/fleet-error.ts';
import type { RunEvent } from '../../src/events/types.ts';

async function run(anyErrorsFatal: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-aef-'));
  const playbook = parsePlaybook(
    `- hosts: all\n  any_errors_fatal: ${anyErrorsFatal}\n  tasks:\n    - debug: { msg: one }\n    - debug: { msg: two }\n` +
      '- hosts: all\n  tasks:\n    - copy: { dest: /marker, content: changed }\n',
    join(dir, 'site.yml'), { modules, resolveModule: getModule });
  const inventory = parseInventory('all:\n  hosts:\n    a: {}\n    b: {}\n', join(dir, 'inventory.yml'));
  const hosts = new Map<string, MemoryTransport>();
  const events: RunEvent[] = [];
  const summary = await runPlaybook({
    playbook, inventory, check: false, forks: 5, onlyTags: [], skipTags: [], extraVars: {}, noRollback: false,
    forceHandlers: false, emit: (e) => events.push(e), stateDir: join(dir, 'state'),
    connector: async (h) => {
      if (h.name === 'b') throw new FleetError('E_UNREACHABLE', 'b: connection refused', { host: 'b' });
      const t = createMemoryTransport(h.name);
      hosts.set(h.name, t);
      return Object.assign(Object.create(t) as MemoryTransport, { close: async () => undefined });
    },
  });
  const marker = hosts.get('a') ? (await hosts.get('a')!.read('/marker')).kind : 'absent';
  return { summary, events, marker };
}

describe('any_errors_fatal and unreachable hosts', () => {
  it('an unreachable host stops every host, and no later play runs', async () => {
    const r = await run(true);
    assert.equal(r.marker, 'absent', 'host a did not go on to the next play');
    assert.ok(r.events.some((e) => e.kind === 'rollout-stopped'));
    assert.equal(r.summary.recap.b?.state, 'unreachable');
  });

  it('without any_errors_fatal the other hosts carry on', async () => {
    const r = await run(false);
    assert.equal(r.marker, 'file');
  });
});
