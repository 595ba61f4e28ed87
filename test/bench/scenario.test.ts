/**
 * The bench scenario: fleet's playbook, Ansible's playbook and the floor's
 * commands describe the same 12 tasks with the same data, and the expected
 * end state matches what fleet's own template engine renders.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { loadPlaybook } from '../../src/playbook/index.ts';
import { modules, getModule } from '../../src/modules/index.ts';
import { renderTemplate } from '../../src/template/index.ts';
import type { Task } from '../../src/playbook/types.ts';
import {
  ANSIBLE_PLAYBOOK, BENCH_DIR, BENCH_VARS, COPY_FILE, FLEET_PLAYBOOK, TASKS, TEMPLATE_FILE,
  appliedFingerprint, floorSteps, hostVars, renderPlain, seededFingerprint, taskTag, CHECKED_PATHS,
} from '../../bench/scenario.ts';

interface AnsibleTask { name: string; tags: string[]; [module: string]: unknown }

describe('bench scenario', () => {
  it("fleet's playbook loads and has the 12 tasks in order, tagged t01..t12, with the shared vars", async () => {
    const pb = await loadPlaybook(FLEET_PLAYBOOK, { modules, resolveModule: getModule });
    assert.equal(pb.plays.length, 1);
    const play = pb.plays[0]!;
    const tasks = play.tasks as Task[];
    assert.deepEqual(tasks.map((t) => t.name), [...TASKS]);
    assert.deepEqual(tasks.map((t) => t.tags), TASKS.map((_, i) => [taskTag(i)]));
    assert.deepEqual(play.vars, { ...BENCH_VARS });
    // Read-only probes run in check mode too, in both tools.
    assert.deepEqual(tasks.filter((t) => t.checkMode === false).map((t) => t.name), [TASKS[0], TASKS[1], TASKS[9], TASKS[10], TASKS[11]]);
  });

  it("Ansible's playbook has the same task names, tags, vars and commands", () => {
    const fleetPlay = (parse(readFileSync(FLEET_PLAYBOOK, 'utf8')) as Array<{ vars: unknown; tasks: AnsibleTask[] }>)[0]!;
    const play = (parse(readFileSync(ANSIBLE_PLAYBOOK, 'utf8')) as Array<{ vars: unknown; gather_facts: boolean; tasks: AnsibleTask[] }>)[0]!;
    assert.equal(play.gather_facts, false);
    assert.deepEqual(play.vars, fleetPlay.vars);
    assert.deepEqual(play.tasks.map((t) => [t.name, t.tags]), fleetPlay.tasks.map((t) => [t.name, t.tags]));
    play.tasks.forEach((t, i) => {
      const f = fleetPlay.tasks[i]!;
      // Same module and arguments except where Ansible has its own module (stat) or file lookup (copy src).
      if (t.name === TASKS[1]) assert.ok('stat' in t && 'command' in f);
      else if (t.name === TASKS[7]) assert.deepEqual({ ...(t.copy as object), src: 'calicoctl.cfg' }, f.copy);
      else if (t.name === TASKS[6]) assert.deepEqual({ ...(t.template as object), src: 'calico.conflist.hbs' }, f.template);
      else assert.deepEqual({ ...t, tags: [] }, { ...f, tags: [] });
    });
    assert.equal(readFileSync(`${BENCH_DIR}/ansible/templates/calico.conflist.j2`, 'utf8'), readFileSync(TEMPLATE_FILE, 'utf8'));
  });

  it('the floor renders the template to the bytes fleet renders, and has one command per task', () => {
    const template = readFileSync(TEMPLATE_FILE, 'utf8');
    const copy = readFileSync(COPY_FILE, 'utf8');
    for (const host of ['h1', 'h17']) {
      const fleet = renderTemplate(template, hostVars(host), { file: TEMPLATE_FILE });
      assert.equal(renderPlain(template, hostVars(host)), fleet);
      const steps = floorSteps(host, template, copy);
      assert.equal(steps.length, TASKS.length);
      assert.equal(steps[6]!.stdin, fleet);
      assert.equal(steps[7]!.stdin, copy);
    }
    assert.throws(() => renderPlain('{{ nope }}', {}), /nope/);
  });

  it('expects one fingerprint line per checked path, per-host template content, and a different state after apply', () => {
    const seeded = seededFingerprint();
    const h1 = appliedFingerprint('h1');
    assert.deepEqual(seeded.map((l) => l.split(' ')[0]), [...CHECKED_PATHS]);
    assert.deepEqual(h1.map((l) => l.split(' ')[0]), [...CHECKED_PATHS]);
    assert.notDeepEqual(h1, appliedFingerprint('h2'));
    const changed = h1.filter((l, i) => l !== seeded[i]).map((l) => l.split(' ')[0]);
    assert.deepEqual(changed, CHECKED_PATHS.filter((p) => p !== '/etc/cni/net.d/10-flannel.conflist'));
  });
});
