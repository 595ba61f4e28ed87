/** shell: run a command line with /bin/sh exactly as written (pipes, variables, redirections). */
import { z } from 'zod';
import { execArgs, execOp, skipByPath } from './exec-common.ts';
import type { ModuleDef } from './types.ts';

const schema = z.strictObject({
  cmd: z
    .string()
    .refine((s) => s.trim() !== '', { message: 'the command is empty' })
    .refine((s) => !s.includes('\0'), { message: 'must not contain a NUL byte' }),
  ...execArgs,
});

export type ShellArgs = z.output<typeof schema>;

export const shell: ModuleDef<ShellArgs> = {
  name: 'shell',
  kind: 'action',
  schema,
  freeForm: 'cmd',
  async plan(args, ctx) {
    const skip = await skipByPath(ctx, args);
    if (skip) return skip;
    return { ops: [execOp(args.cmd, args)] };
  },
};
