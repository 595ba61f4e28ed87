/** set_fact: set variables on the host for the rest of the run. */
import { z } from 'zod';
import type { ModuleDef } from './types.ts';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

const badName = (k: string): string => `'${k}' is not a valid variable name (letters, digits and _, not starting with a digit)`;

const record = z
  .record(z.string(), z.unknown())
  .superRefine((v, ctx) => {
    const keys = Object.keys(v);
    if (keys.length === 0) ctx.addIssue({ code: 'custom', message: 'set_fact needs at least one variable', input: v });
    for (const k of keys) {
      if (!IDENTIFIER.test(k) || RESERVED.has(k)) {
        ctx.addIssue({ code: 'custom', message: badName(k), input: k, path: [k] });
      }
    }
  });

/** zod drops a `__proto__` key silently: reject it before. */
const schema = z.preprocess((raw, ctx) => {
  if (raw !== null && typeof raw === 'object' && Object.hasOwn(raw, '__proto__')) {
    ctx.addIssue({ code: 'custom', message: badName('__proto__'), input: raw, path: ['__proto__'] });
  }
  return raw;
}, record);

export type SetFactArgs = z.output<typeof schema>;

export const setFact: ModuleDef<SetFactArgs> = {
  name: 'set_fact',
  kind: 'control',
  schema,
  async plan(args) {
    const facts: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) facts[k] = v;
    return { ops: [], setFacts: facts, result: { ansible_facts: { ...facts } } };
  },
};
