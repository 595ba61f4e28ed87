/**
 * command: run a program with arguments, without a shell. `cmd` is split into
 * words with shell quoting rules only (split-words.ts) and every word is quoted
 * again with `shq`, so `$(...)`, `;`, `|`, `>` and `*` reach the program as
 * literal text. `argv` gives the words directly.
 */
import { z } from 'zod';
import { shq } from '../core/shell.ts';
import { exactlyOne } from './args.ts';
import { execArgs, execOp, skipByPath } from './exec-common.ts';
import { splitWords } from './split-words.ts';
import type { ModuleDef } from './types.ts';

const noNul = (s: string): boolean => !s.includes('\0');

const schema = z
  .strictObject({
    cmd: z
      .string()
      .refine(noNul, { message: 'must not contain a NUL byte' })
      .superRefine((cmd, ctx) => {
        try {
          if (splitWords(cmd).length === 0) ctx.addIssue({ code: 'custom', message: 'the command is empty', input: cmd });
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e), input: cmd });
        }
      })
      .optional(),
    argv: z
      .array(z.string().refine(noNul, { message: 'must not contain a NUL byte' }))
      .min(1, { message: 'argv must hold at least the program name' })
      .optional(),
    ...execArgs,
  })
  .superRefine((v, ctx) => exactlyOne(v, ['cmd', 'argv'], ctx));

export type CommandArgs = z.output<typeof schema>;

/**
 * The /bin/sh command line that runs exactly these words. A first word with
 * `=` is quoted, so it names a program instead of setting a variable.
 */
export function commandLine(words: readonly string[]): string {
  return words.map((w, i) => (i === 0 && w.includes('=') ? `'${w.replace(/'/g, `'\\''`)}'` : shq(w))).join(' ');
}

export const command: ModuleDef<CommandArgs> = {
  name: 'command',
  kind: 'action',
  schema,
  freeForm: 'cmd',
  async plan(args, ctx) {
    const skip = await skipByPath(ctx, args);
    if (skip) return skip;
    let words: string[];
    try {
      words = args.argv ?? splitWords(args.cmd ?? '');
    } catch (e) {
      return { ops: [], fail: `command: ${e instanceof Error ? e.message : String(e)}` };
    }
    if (words.length === 0) return { ops: [], fail: 'command: the command is empty' };
    return { ops: [{ ...execOp(commandLine(words), args), simple: true }] };
  },
};
