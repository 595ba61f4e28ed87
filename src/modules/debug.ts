/**
 * debug: print a message (`msg`, any value) or a variable (`var`: a dotted
 * path into the host's vars such as `calico.pool` or `hosts[0].name`; own
 * properties only, never the prototype chain).
 */
import { z } from 'zod';
import { containsUnknown, isUnknown, UnknownValueError } from '../expr/index.ts';
import type { ModuleDef, Plan } from './types.ts';

const PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+|\[\d+\])*$/;

const schema = z
  .strictObject({
    msg: z.unknown().optional(),
    var: z.string().regex(PATH, { message: 'must be a variable name or a dotted path like a.b[0].c' }).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.msg !== undefined && v.var !== undefined) {
      ctx.addIssue({ code: 'custom', message: "give only one of 'msg' or 'var'", input: v });
    }
  });

export type DebugArgs = z.output<typeof schema>;

/**
 * Value at a dotted path in vars (own properties only); `found` false when any
 * step is missing. `unknown` when the path goes through a value check mode
 * cannot know (the registered result of a command that did not run).
 */
export function lookupVar(vars: Readonly<Record<string, unknown>>, path: string): { found: boolean; value?: unknown; unknown?: boolean } {
  let cur: unknown = vars;
  for (const seg of path.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (isUnknown(cur)) return { found: true, unknown: true };
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) return { found: false };
    cur = (cur as Record<string, unknown>)[seg];
  }
  return containsUnknown(cur) ? { found: true, unknown: true } : { found: true, value: cur };
}

function show(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

export const debug: ModuleDef<DebugArgs> = {
  name: 'debug',
  kind: 'control',
  schema,
  rawArgs: ['var'],
  async plan(args, ctx): Promise<Plan> {
    if (args.var !== undefined) {
      const r = lookupVar(ctx.vars, args.var);
      if (r.unknown) throw new UnknownValueError(`'${args.var}' is not known before the task that sets it runs`, [args.var]);
      const value = r.found ? r.value : 'VARIABLE IS NOT DEFINED!';
      return { ops: [], msg: `${args.var}: ${show(value)}`, result: { [args.var]: value } };
    }
    const msg = args.msg === undefined ? 'Hello world!' : args.msg;
    return { ops: [], msg: show(msg), result: { msg } };
  },
};
