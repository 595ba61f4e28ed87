// Part of `npm run build`: bundles the tsc output (dist/cli/main.js and what it
// imports, node_modules included) into one ES module, dist/fleet.mjs, which
// bin/fleet.js runs. One file starts faster than ~150 modules resolved and
// loaded one by one: `fleet --version` 0.29 s against 0.45 s, measured here
// (docs/performance.md). ssh2 (and its optional cpu-features) load native
// addons from their own directories, so they stay outside the bundle.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  entryPoints: [`${root}dist/cli/main.js`],
  outfile: `${root}dist/fleet.mjs`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['ssh2', 'cpu-features'],
  // CommonJS dependencies call require() for Node's built-in modules.
  banner: { js: "import { createRequire as __fleetCreateRequire } from 'node:module'; const require = __fleetCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
