/** Seeding and checking every lab host, outside the timed region (through lab.exec, not ssh). */
import type { Lab } from '../test/lab/index.ts';
import { FleetError } from '../src/errors/fleet-error.ts';
import { appliedFingerprint, fingerprintScript, seededFingerprint, seedScript } from './scenario.ts';

/** Run fn over items, at most `limit` at once. */
export async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

const CONCURRENCY = 16;

/** Put every host (or only `only`) back in the seeded state. */
export async function seedHosts(lab: Lab, only?: string): Promise<void> {
  const script = seedScript();
  const hosts = only ? [lab.host(only)] : lab.hosts;
  await eachLimited(hosts, CONCURRENCY, async (h) => {
    const r = await lab.exec(h, script);
    if (r.code !== 0) throw new FleetError('E_INTERNAL', `bench: seeding ${h.name} failed: ${r.stderr.trim()}`);
  });
}

/**
 * Hosts whose checked paths are not as `mode` wants: after an apply run every
 * host must hold the migrated state, after a check run the seeded one.
 * Returns "host: path ..." lines, empty when all is well.
 */
export async function checkHosts(lab: Lab, mode: 'applied' | 'seeded', only?: string): Promise<string[]> {
  const script = fingerprintScript();
  const hosts = only ? [lab.host(only)] : lab.hosts;
  const problems: string[] = [];
  const seeded = seededFingerprint();
  await eachLimited(hosts, CONCURRENCY, async (h) => {
    const r = await lab.exec(h, script);
    const got = r.stdout.trim().split('\n');
    const want = mode === 'applied' ? appliedFingerprint(h.name) : seeded;
    want.forEach((line, i) => {
      if (got[i] !== line) problems.push(`${h.name}: want '${line}', got '${got[i] ?? '(nothing)'}'`);
    });
  });
  return problems;
}
