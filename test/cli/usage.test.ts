// Usage errors stop fleet before any command runs: a mistyped option (say --chek
// for --check) must never run a playbook for real.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, tempDir } from '../integration/helpers.ts';
import { fleetInProcess } from '../reliability/in-process.ts';

test('an unknown option, a missing playbook or an unknown command is a usage error (exit 4); the run command never starts', async () => {
  const dir = tempDir('usage-');
  try {
    const playbook = join(dir, 'site.yaml');
    writeFileSync(playbook, '- hosts: all\n  tasks:\n    - command: "true"\n');
    const stateDir = join(dir, 'state');
    // The inventory does not exist: had the run command started, it would fail on that instead.
    const missingInventory = join(dir, 'no-such-inventory.yaml');
    const cases: Array<[string[], RegExp]> = [
      [['run', playbook, '-i', missingInventory, '--chek', '--state-dir', stateDir], /Unknown argument: chek/],
      [['run', '-i', missingInventory, '--state-dir', stateDir], /Not enough non-option arguments/],
      [['runn', playbook], /Did you mean runs/],
      [[], /name a command/],
    ];
    for (const [argv, message] of cases) {
      const r = await fleetInProcess(argv);
      assert.equal(r.code, 4, `${argv.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, argv.join(' '));
      assert.match(r.stderr, /run fleet --help for usage/);
      assert.doesNotMatch(r.stderr, /inventory|playbook file/i, `${argv.join(' ')}: the command ran`);
    }
    assert.ok(!existsSync(stateDir) || readdirSync(stateDir).length === 0, 'no run was started');
    // The same command line without the typo does start (and fails on the missing inventory).
    const real = await fleetInProcess(['run', playbook, '-i', missingInventory, '--check', '--state-dir', stateDir]);
    assert.equal(real.code, 4);
    assert.match(real.stderr, /no-such-inventory/);
  } finally {
    removeDir(dir);
  }
});
