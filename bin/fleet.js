#!/usr/bin/env node
// fleet's entry point. Runs the build in dist/ (the tsc output bundled into
// dist/fleet.mjs: scripts/bundle.mjs) when it is at least as new as every file
// in src/ (`npm run build`, also run by `npm ci`); otherwise runs the
// TypeScript sources through tsx, so a stale build is never used.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = join(fileURLToPath(import.meta.url), '..', '..');

function newest(dir) {
  let m = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    m = Math.max(m, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return m;
}

const stamp = join(root, 'dist', '.stamp');
let main;
if (existsSync(stamp) && existsSync(join(root, 'dist', 'fleet.mjs')) && statSync(stamp).mtimeMs >= newest(join(root, 'src'))) {
  ({ main } = await import('../dist/fleet.mjs'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
const code = await main();
// Exit only once stdout and stderr are flushed: to a pipe they are written
// asynchronously, and process.exit() would cut a long last line (the run-end
// event of a big fleet is ~100 KB) at the pipe's buffer size.
const flushed = (stream) => new Promise((resolve) => {
  if (stream.destroyed || !stream.writable) resolve();
  else stream.write('', () => resolve());
});
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
