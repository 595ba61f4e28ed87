/**
 * Hostile and broken input through the real CLI: every case of the corpus in
 * test/fixtures/bad-input (cases.json) plus generated huge and deeply nested
 * files goes through `fleet validate`, `fleet run --check` and (inventories)
 * `fleet inventory`. Each must exit 4 with one `fleet: error [CODE]:
 * file:line:col: ...` line, no stack trace, within seconds, and contact
 * nothing: the inventory's hosts are a TCP tripwire on 127.0.0.1 that counts
 * connections, and the state directory must stay without runs.
 *
 * Cases run in-process through `main(argv)` (the CLI's entry point, stdout and
 * stderr captured); a sample also runs as child processes (`node
 * bin/fleet.js`), real exit code and streams.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, tempDir } from '../integration/helpers.ts';
import { FLEET_BIN } from '../integration/helpers.ts';
import { REPO_ROOT as REPO } from '../lab/index.ts';
import { writeGenerated } from '../fixtures/bad-input/generate.ts';
import {
  checkRefused, commandsFor, inputFile, loadCorpus, makeWorkspace, runsIn, templatePlaybook, Tripwire, type Workspace,
} from './bad-input-cases.ts';
import { fleetInProcess } from './in-process.ts';

const corpus = loadCorpus();
const tripwire = new Tripwire();
let ws: Workspace;
let dir = '';

before(async () => {
  await tripwire.start();
  dir = tempDir('bad-input');
  ws = makeWorkspace(dir, tripwire.port);
});
after(async () => {
  await tripwire.stop();
  removeDir(dir);
});

/** Nothing reached a host and no run was recorded. */
function assertUntouched(label: string): void {
  assert.equal(tripwire.connections, 0, `${label}: a host was contacted`);
  assert.deepEqual(runsIn(ws.stateDir), [], `${label}: a run was recorded`);
}

describe('the corpus', () => {
  it('has at least 200 cases of every kind, each with an expectation', () => {
    assert.ok(corpus.length >= 200, `${corpus.length} cases`);
    const kinds = new Set(corpus.map((c) => c.kind));
    assert.deepEqual([...kinds].sort(), ['extra-vars', 'inventory', 'limit', 'playbook', 'template']);
    for (const c of corpus) {
      assert.match(c.code, /^E_[A-Z_]+$/, c.file);
      if (c.kind !== 'extra-vars' && c.kind !== 'limit') assert.ok(c.at === null || /^\d+:\d+$/.test(c.at), c.file);
    }
    // Only inputs whose place depends on the machine's stack depth lack a line:col.
    const unplaced = corpus.filter((c) => c.at === null && c.kind !== 'extra-vars' && c.kind !== 'limit');
    assert.deepEqual(unplaced.map((c) => c.file).sort(), ['inventory/yaml/deep-nesting.yaml', 'playbook/yaml/deep-flow-nesting.yaml']);
  });
});

for (const kind of ['playbook', 'inventory', 'template', 'extra-vars', 'limit'] as const) {
  describe(`bad ${kind} input (in-process CLI)`, () => {
    for (const c of corpus.filter((x) => x.kind === kind)) {
      it(`${c.file}: ${c.note}`, async () => {
        for (const argv of commandsFor(c, ws)) {
          const out = await fleetInProcess(argv);
          checkRefused(`${c.file} [fleet ${argv[0]}]`, out, { code: c.code, file: inputFile(c), at: c.at, message: c.message });
        }
        assertUntouched(c.file);
      });
    }
  });
}

describe('generated: huge and deeply nested files', () => {
  it('files of tens of MB, a 2 MiB template and 3,000 nested mappings are refused quickly', { timeout: 120_000 }, async () => {
    const generated = writeGenerated(join(dir, 'generated'));
    for (const g of generated) {
      const runArgs = ['--check', '--output', 'json', '--state-dir', ws.stateDir, '--known-hosts', ws.knownHosts];
      const commands = g.kind === 'playbook'
        ? [['validate', g.path, '-i', ws.inventory], ['run', g.path, '-i', ws.inventory, ...runArgs]]
        : g.kind === 'inventory'
          ? [['inventory', '-i', g.path], ['run', ws.playbook, '-i', g.path, ...runArgs]]
          : [['run', templatePlaybook(ws, g.path), '-i', ws.inventory, ...runArgs]];
      for (const argv of commands) {
        const out = await fleetInProcess(argv);
        checkRefused(`${g.note} [fleet ${argv[0]}]`, out, { code: g.code, file: g.path, at: g.at, message: g.message });
      }
    }
    assertUntouched('generated');
  });

  it('devices and directories: /dev/zero is capped, a directory or a missing file is refused', async () => {
    const runArgs = ['--check', '--output', 'json', '--state-dir', ws.stateDir];
    const emptyDir = join(dir, 'a-directory');
    mkdirSync(emptyDir, { recursive: true });
    const cases: Array<{ argv: string[]; code: string; message: RegExp }> = [
      { argv: ['inventory', '-i', '/dev/zero'], code: 'E_INPUT_TOO_LARGE', message: /\/dev\/zero is larger than 16 MiB/ },
      { argv: ['run', '/dev/zero', '-i', ws.inventory, ...runArgs], code: 'E_INPUT_TOO_LARGE', message: /\/dev\/zero is larger than 16 MiB/ },
      { argv: ['validate', emptyDir], code: 'E_USAGE', message: /is a directory/ },
      { argv: ['run', ws.playbook, '-i', emptyDir, ...runArgs], code: 'E_USAGE', message: /is a directory/ },
      { argv: ['run', join(dir, 'missing.yaml'), '-i', ws.inventory, ...runArgs], code: 'E_FILE_NOT_FOUND', message: /playbook file not found/ },
      { argv: ['inventory', '-i', join(dir, 'missing.yaml')], code: 'E_FILE_NOT_FOUND', message: /inventory file not found/ },
    ];
    for (const c of cases) {
      const out = await fleetInProcess(c.argv);
      checkRefused(c.argv.join(' '), out, { code: c.code, at: null, message: c.message.source });
    }
    assertUntouched('devices');
  });

  it('a NUL in an -e value (possible only in-process: argv cannot carry one) is refused', async () => {
    const out = await fleetInProcess(['run', ws.playbook, '-i', ws.inventory, '--check', '--output', 'json', '--state-dir', ws.stateDir, '-e', 'x=a\0b']);
    checkRefused('-e NUL', out, { code: 'E_USAGE', at: null, message: 'contains a NUL character' });
    assertUntouched('-e NUL');
  });
});

/** `node bin/fleet.js ARGV`, asynchronously: this process's tripwire must keep accepting meanwhile. */
function fleetChild(argv: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [FLEET_BIN, ...argv], {
      cwd: REPO, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20, env: { ...process.env, CI: '1' },
    }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ status: child.exitCode, stdout, stderr });
    });
  });
}

describe('a sample through child processes (node bin/fleet.js)', () => {
  // Every 12th case, so each kind and every subdirectory is represented.
  const sample = corpus.filter((_, i) => i % 12 === 0);
  it(`${sample.length} cases: exit 4 and one error line from a real process, nothing contacted`, { timeout: 600_000 }, async () => {
    assert.ok(new Set(sample.map((c) => c.kind)).size >= 4);
    for (const c of sample) {
      for (const argv of commandsFor(c, ws)) {
        const started = Date.now();
        const r = await fleetChild(argv);
        const ms = Date.now() - started;
        // Process start-up (tsx on a loaded machine) is not the input's fault: the bound here is looser.
        checkRefused(`${c.file} [child fleet ${argv[0]}]`, { code: r.status, stdout: r.stdout, stderr: r.stderr, ms }, {
          code: c.code, file: inputFile(c), at: c.at, maxMs: 30_000, ...(c.message ? { message: c.message } : {}),
        });
      }
    }
    assertUntouched('child processes');
  });

  it('the tripwire works: a good playbook does connect (and records a run)', async () => {
    const state = join(dir, 'good-state');
    const before = tripwire.connections;
    const r = await fleetChild(['run', ws.playbook, '-i', ws.inventory, '--check', '--output', 'json', '--state-dir', state, '--known-hosts', ws.knownHosts]);
    assert.equal(r.status, 3, r.stderr + r.stdout);
    assert.ok(tripwire.connections > before, 'no connection reached the tripwire');
    assert.equal(runsIn(state).length, 1);
    assert.match(r.stdout, /"kind":"run-start"/);
  });
});
