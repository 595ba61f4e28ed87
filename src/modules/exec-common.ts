/** What command and shell share: chdir, creates, removes, stdin. */
import { z } from 'zod';
import { absolutePath } from './args.ts';
import type { Op, Plan, PlanContext } from './types.ts';

export const execArgs = {
  /** Run the command in this directory. */
  chdir: absolutePath.optional(),
  /** Skip the command when this path exists. */
  creates: absolutePath.optional(),
  /** Skip the command when this path does not exist. */
  removes: absolutePath.optional(),
  /** Standard input for the command. */
  stdin: z.string().optional(),
  /** Add a newline after stdin (default true, as in Ansible). */
  stdin_add_newline: z.boolean().default(true),
};

export interface ExecArgs {
  chdir?: string;
  creates?: string;
  removes?: string;
  stdin?: string;
  stdin_add_newline: boolean;
}

/** A plan that skips the command (creates/removes), or undefined when it should run. */
export async function skipByPath(ctx: PlanContext, args: ExecArgs): Promise<Plan | undefined> {
  if (args.creates !== undefined && (await ctx.facts.path(args.creates)).kind !== 'absent') {
    return { ops: [], msg: `skipped: ${args.creates} exists` };
  }
  if (args.removes !== undefined && (await ctx.facts.path(args.removes)).kind === 'absent') {
    return { ops: [], msg: `skipped: ${args.removes} does not exist` };
  }
  return undefined;
}

export function execOp(cmd: string, args: ExecArgs): Op {
  const op: Op = { op: 'exec', cmd };
  if (args.stdin !== undefined) op.stdin = args.stdin_add_newline ? `${args.stdin}\n` : args.stdin;
  if (args.chdir !== undefined) op.chdir = args.chdir;
  return op;
}
