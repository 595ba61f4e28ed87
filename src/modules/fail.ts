/** fail: fail the task with a message. */
import { z } from 'zod';
import type { ModuleDef } from './types.ts';

const schema = z.strictObject({
  msg: z.string().default('Failed as requested from task'),
});

export type FailArgs = z.output<typeof schema>;

export const fail: ModuleDef<FailArgs> = {
  name: 'fail',
  kind: 'control',
  schema,
  async plan(args) {
    return { ops: [], fail: args.msg, msg: args.msg };
  },
};
