/**
 * The bench's tools against real lab hosts (root): from seeded hosts, fleet
 * apply, ansible-playbook (when installed) and the floor each leave every host
 * in exactly the migrated state, and the check modes leave it untouched. The
 * same code paths as `npm run bench` (invocation, measure, judge, checkHosts);
 * durations are never asserted.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { useLab } from '../lab/index.ts';
import { checkHosts, seedHosts } from '../../bench/hosts.ts';
import { measure, removeGroups } from '../../bench/measure.ts';
import { ansibleVersion, invocation, isCheck, judge, scratchDir, type ToolName } from '../../bench/tools.ts';
import { TASKS } from '../../bench/scenario.ts';

describe('bench tools on 2 lab hosts', (s) => {
  const handle = useLab(s, { name: 'benchtest', hosts: 2 });
  after(() => removeGroups());

  const runTool = async (tool: ToolName) => {
    const { lab } = handle;
    await seedHosts(lab);
    assert.deepEqual(await checkHosts(lab, 'seeded'), [], 'seeding gives the seeded state');
    const scratch = scratchDir();
    try {
      const inv = invocation(tool, lab, { forks: 2, scratch });
      const m = await measure(inv.argv, { env: inv.env, cwd: inv.cwd });
      const verdict = judge(tool, m.code, m.stdout, m.stderr, 2);
      assert.equal(verdict.ok, true, verdict.error);
      assert.ok(m.cpuMs > 0 && m.peakTreeRssKiB > 0);
      assert.deepEqual(await checkHosts(lab, isCheck(tool) ? 'seeded' : 'applied'), []);
      return verdict;
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  };

  it('a check never passes for applied: the checker sees the difference', async () => {
    const { lab } = handle;
    await seedHosts(lab);
    const problems = await checkHosts(lab, 'applied');
    assert.equal(problems.length, 2 * 8, problems.join('\n'));
  });

  for (const tool of ['fleet-apply', 'fleet-check', 'floor'] as const) {
    it(`${tool} does the scenario on every host`, async () => {
      const verdict = await runTool(tool);
      assert.equal(verdict.perTaskMs?.length, TASKS.length);
    });
  }

  for (const tool of ['ansible-apply', 'ansible-check'] as const) {
    it(`${tool} does the scenario on every host`, { skip: ansibleVersion() === null ? 'ansible-playbook is not installed' : false }, async () => {
      await runTool(tool);
    });
  }
});
