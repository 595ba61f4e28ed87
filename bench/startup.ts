/**
 * Startup cost, apart from any host: a bare `node`, `fleet --version` as
 * shipped (bin/fleet.js: the bundled build in dist/ when fresh, else tsx) and, when it builds,
 * `fleet --version` from a plain tsc build of src/ (what a compiled release
 * would start), so the lead can weigh a build step.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { measure, type Measured } from './measure.ts';
import { REPO_DIR } from './scenario.ts';
import { summarize, type Summary } from './stats.ts';

export interface StartupSample {
  label: string;
  argv: string[];
  wallMs: Summary;
  cpuMs: Summary;
  peakRssKiB: Summary;
}

export interface CompiledBuild {
  /** Entry script: imports the built src/cli/main.js and runs it. */
  entry: string;
  buildMs: number;
}

const ENV: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' };

/**
 * Compile src/ with the repo's compiler options into `dir` (tsc rewrites the
 * `.ts` import specifiers to `.js`). Type errors elsewhere do not stop the
 * emit; returns null when no build came out.
 */
export async function buildCompiled(dir: string): Promise<CompiledBuild | null> {
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'tsconfig.json');
  writeFileSync(config, JSON.stringify({
    extends: join(REPO_DIR, 'tsconfig.json'),
    compilerOptions: {
      noEmit: false, outDir: join(dir, 'out'), rootDir: REPO_DIR, rewriteRelativeImportExtensions: true,
      declaration: false, sourceMap: false, incremental: false,
    },
    include: [join(REPO_DIR, 'src')],
  }));
  const started = Date.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [join(REPO_DIR, 'node_modules/typescript/bin/tsc'), '-p', config], { stdio: 'ignore', env: ENV });
    child.on('close', resolve);
    child.on('error', () => resolve(null));
  });
  const buildMs = Date.now() - started;
  const main = join(dir, 'out', 'src', 'cli', 'main.js');
  if (code === null || !existsSync(main)) return null;
  // The build finds its dependencies and package.json (for --version) as the sources do.
  for (const name of ['node_modules', 'package.json']) {
    const link = join(dir, 'out', name);
    if (!existsSync(link)) symlinkSync(join(REPO_DIR, name), link);
  }
  const entry = join(dir, 'out', 'fleet.mjs');
  writeFileSync(entry, "import { main } from './src/cli/main.js';\nprocess.exit(await main());\n");
  return { entry, buildMs };
}

async function sample(label: string, argv: string[], runs: number): Promise<StartupSample> {
  const ms: Measured[] = [];
  for (let i = 0; i < runs; i++) {
    const m = await measure(argv, { env: ENV, cwd: REPO_DIR });
    if (m.code !== 0) throw new Error(`${argv.join(' ')} exited with ${m.code}: ${m.stderr.slice(-400)}`);
    ms.push(m);
  }
  return {
    label,
    argv,
    wallMs: summarize(ms.map((m) => m.wallMs)),
    cpuMs: summarize(ms.map((m) => m.cpuMs)),
    peakRssKiB: summarize(ms.map((m) => m.peakProcessRssKiB)),
  };
}

export async function measureStartup(runs: number, compiled: CompiledBuild | null): Promise<StartupSample[]> {
  const node = process.execPath;
  const out = [
    await sample('node -e 0', [node, '-e', '0'], runs),
    await sample('node --import tsx -e 0 (tsx loader alone)', [node, '--import', 'tsx', '-e', '0'], runs),
    await sample('fleet --version (bin/fleet.js)', [node, join(REPO_DIR, 'bin/fleet.js'), '--version'], runs),
  ];
  if (compiled) out.push(await sample('fleet --version (tsc build)', [node, compiled.entry, '--version'], runs));
  return out;
}
