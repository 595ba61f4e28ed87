/**
 * copy: a file with exactly this content (`content`, or the local file `src`).
 *
 * `edits` change the content in memory before it is compared and written:
 * each { regexp, replace, count } in order, and each must match exactly
 * `count` times (default 1) or the task fails naming the edit. Rendering a file
 * from a pristine source this way is idempotent (the source never changes)
 * and a stale pattern is caught instead of silently doing nothing.
 */
import { z } from 'zod';
import { exactlyOne, fileAttrArgs, filePath, isUnrendered, num, patternArg, templateArg } from './args.ts';
import { decodeUtf8, planFileContent } from './file-content.ts';
import { substituter } from './text-edit.ts';
import type { ModuleDef, Plan } from './types.ts';

const edit = z
  .strictObject({
    regexp: patternArg.refine((r) => r !== '', { message: 'regexp is empty' }),
    replace: templateArg,
    count: num.pipe(z.number().int().min(1)).default(1),
  })
  .superRefine((v, ctx) => {
    if (isUnrendered(v.regexp, v.replace)) return;
    try {
      substituter(v.regexp, v.replace);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e), input: v.replace, path: ['replace'] });
    }
  });

export type Edit = z.output<typeof edit>;

const schema = z
  .strictObject({
    dest: filePath,
    content: z.string().optional(),
    src: z.string().min(1, { message: 'src is empty' }).optional(),
    edits: z.array(edit).optional(),
    ...fileAttrArgs,
  })
  .superRefine((v, ctx) => exactlyOne(v, ['content', 'src'], ctx));

export type CopyArgs = z.output<typeof schema>;

/** Apply edits in order; the new text, or a failure message naming the edit. */
export function applyEdits(text: string, edits: readonly Edit[]): { text: string } | { fail: string } {
  let out = text;
  for (const [i, e] of edits.entries()) {
    const name = `edit ${i + 1} (regexp '${e.regexp}')`;
    let result;
    try {
      result = substituter(e.regexp, e.replace).apply(out);
    } catch (err) {
      return { fail: `${name}: ${err instanceof Error ? err.message : String(err)}` };
    }
    if (result.count !== e.count) {
      return { fail: `${name} matches ${result.count} time(s), expected exactly ${e.count}` };
    }
    out = result.text;
  }
  return { text: out };
}

export const copy: ModuleDef<CopyArgs> = {
  name: 'copy',
  kind: 'state',
  schema,
  async plan(args, ctx): Promise<Plan> {
    let content = args.content !== undefined ? Buffer.from(args.content, 'utf8') : await ctx.readLocalFile(args.src ?? '');
    if (args.edits?.length) {
      const text = decodeUtf8(content);
      if (text === undefined) return { ops: [], fail: `copy: ${args.src ?? 'content'} is not valid UTF-8 text; edits need text` };
      const r = applyEdits(text, args.edits);
      if ('fail' in r) return { ops: [], fail: `copy: ${args.dest}: ${r.fail}` };
      content = Buffer.from(r.text, 'utf8');
    }
    return planFileContent(ctx, args.dest, content, args, { module: 'copy' });
  },
};
