/** Scoped labs: always torn down, also on exit and on SIGINT / SIGTERM. */
import { after, before, type SuiteContext, type TestContext } from 'node:test';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { createLab } from './create.ts';
import type { Lab } from './lab.ts';
import type { LabOptions } from './types.ts';

/** Run `fn` with a fresh lab and tear it down afterwards, whatever happens. */
export async function withLab<T>(options: LabOptions, fn: (lab: Lab) => Promise<T> | T): Promise<T> {
  const lab = await createLab({ ...options, teardownOnExit: true });
  try {
    return await fn(lab);
  } finally {
    await lab.down();
  }
}

export interface LabHandle {
  /** The lab, once the suite's before() hook has brought it up (throws before that). */
  readonly lab: Lab;
}

/**
 * node:test integration.
 * - `await useLab(t, options)` inside a test: the lab is up now and is torn down by t.after().
 * - `useLab(suiteContext, options)` in a describe() body (or `useLab(undefined, options)`
 *   at the top of a file): before() brings it up, after() tears it down; read it from `.lab`.
 */
export function useLab(t: TestContext, options: LabOptions): Promise<Lab>;
export function useLab(suite: SuiteContext | undefined, options: LabOptions): LabHandle;
export function useLab(ctx: TestContext | SuiteContext | undefined, options: LabOptions): Promise<Lab> | LabHandle {
  if (ctx && 'after' in ctx && typeof ctx.after === 'function') {
    const t = ctx;
    return createLab({ ...options, teardownOnExit: true }).then((lab) => {
      t.after(() => lab.down());
      return lab;
    });
  }
  let current: Lab | null = null;
  before(async () => {
    current = await createLab({ ...options, teardownOnExit: true });
  });
  after(async () => {
    await current?.down();
  });
  return {
    get lab(): Lab {
      if (!current) throw new FleetError('E_USAGE', `lab ${options.name} is not up (useLab's before() hook has not run or failed)`);
      return current;
    },
  };
}
