#!/usr/bin/env node
// Runs the test suite with node:test through tsx, passing the files explicitly
// (neither tsx --test nor node --test finds .ts files or expands globs by itself).
//   node scripts/run-tests.mjs            all tests (unit and integration)
//   node scripts/run-tests.mjs unit       only tests that need no lab (outside test/integration, e2e, reliability, lab)
//   node scripts/run-tests.mjs integration  only the tests that use labs
//   node scripts/run-tests.mjs FILE...    only these files
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function find(dir) {
  let out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
let files;
if (args.length === 0) files = find('test');
else if (args[0] === 'unit') files = find('test').filter((f) => !/^test\/(integration|e2e|reliability|lab)\//.test(f));
else if (args[0] === 'integration') files = find('test').filter((f) => /^test\/(integration|e2e|reliability|lab)\//.test(f));
else files = args;

if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=1', ...files],
  { stdio: 'inherit' },
);
process.exit(r.status ?? 1);
