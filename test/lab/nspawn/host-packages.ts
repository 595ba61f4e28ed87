/** Debian packages the nspawn lab needs on the host, installed through apt when missing. */
import { readFileSync } from 'node:fs';
import { FleetError } from '../../../src/errors/fleet-error.ts';
import { run, runOk } from './proc.ts';

/** The packages listed in apt-packages.txt beside this file (one a line, # comments). */
export function labAptPackages(): string[] {
  const text = readFileSync(new URL('./apt-packages.txt', import.meta.url), 'utf8');
  return text
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '');
}

async function missing(packages: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of packages) {
    const r = await run('dpkg-query', ['-W', '-f=${Status}', p]);
    if (r.code !== 0 || !r.stdout.includes('install ok installed')) out.push(p);
  }
  return out;
}

/** Install what is missing of `packages` (default: apt-packages.txt). Waits for another apt's lock. */
export async function ensureHostPackages(packages: string[] = labAptPackages()): Promise<void> {
  const need = await missing(packages);
  if (need.length === 0) return;
  const install = (): Promise<{ code: number | null; stderr: string }> =>
    run(
      'apt-get',
      ['-o', 'DPkg::Lock::Timeout=600', 'install', '-y', '-q', '--no-install-recommends', ...need],
      { timeoutMs: 900_000 },
    );
  let r = await install();
  if (r.code !== 0) {
    await runOk('apt-get', ['-o', 'DPkg::Lock::Timeout=600', 'update', '-q'], { timeoutMs: 600_000 });
    r = await install();
  }
  const still = await missing(packages);
  if (r.code !== 0 || still.length > 0) {
    throw new FleetError('E_INTERNAL', `cannot install host packages: ${still.join(', ')}`, {
      hint: r.stderr.trim().slice(-2000),
    });
  }
}
