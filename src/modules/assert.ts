/** assert: every condition in `that` must hold (evaluated on the controller, in order). */
import { z } from 'zod';
import type { ModuleDef, Plan } from './types.ts';

const condition = z.string().trim().min(1, { message: 'a condition is empty' });

const schema = z
  .strictObject({
    that: z.union([condition, z.array(condition).min(1, { message: 'that needs at least one condition' })]),
    fail_msg: z.string().optional(),
    msg: z.string().optional(),
    success_msg: z.string().optional(),
    quiet: z.boolean().default(false),
  })
  .superRefine((v, ctx) => {
    if (v.fail_msg !== undefined && v.msg !== undefined) {
      ctx.addIssue({ code: 'custom', message: "give only one of 'fail_msg' or 'msg' (msg is an alias)", input: v });
    }
  });

export type AssertArgs = z.output<typeof schema>;

export const assert: ModuleDef<AssertArgs> = {
  name: 'assert',
  kind: 'control',
  schema,
  rawArgs: ['that'],
  async plan(args, ctx): Promise<Plan> {
    const conditions = typeof args.that === 'string' ? [args.that] : args.that;
    for (const assertion of conditions) {
      if (!ctx.evaluate(assertion)) {
        return {
          ops: [],
          fail: args.fail_msg ?? args.msg ?? `Assertion failed: ${assertion}`,
          result: { assertion, evaluated_to: false },
        };
      }
    }
    const plan: Plan = { ops: [], result: { assertions: conditions, evaluated_to: true } };
    if (!args.quiet) plan.msg = args.success_msg ?? 'All assertions passed';
    return plan;
  },
};
