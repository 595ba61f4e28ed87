/** lineinfile: make sure one line is in a file (or that matching lines are not). See lineinfile-edit.ts. */
import { z } from 'zod';
import { fileAttrArgs, filePath, isUnrendered, patternArg, safeTemplate } from './args.ts';
import { decodeUtf8, notAFile, notUtf8, planFileContent } from './file-content.ts';
import { absentLines, presentLine } from './lineinfile-edit.ts';
import { joinLines, splitLines, type Line } from './lines.ts';
import { compilePattern, templateGroupError, type TemplatePart } from './regex.ts';
import type { ModuleDef, Plan } from './types.ts';

const anchor = (special: string[]) =>
  z.string().superRefine((v, ctx) => {
    if (special.includes(v)) return;
    const r = patternArg.safeParse(v);
    if (!r.success) ctx.addIssue({ code: 'custom', message: r.error.issues[0].message, input: v });
  });

const schema = z
  .strictObject({
    path: filePath,
    state: z.enum(['present', 'absent']).default('present'),
    regexp: patternArg.refine((r) => r !== '', { message: "regexp is empty and would match every line; use '^' if that is meant" }).optional(),
    search_string: z.string().min(1, { message: 'search_string is empty' }).optional(),
    line: z.string().refine((l) => !/[\r\n]/.test(l), { message: 'line must be a single line (no newline characters)' }).optional(),
    insertafter: anchor(['EOF', 'BOF']).optional(),
    insertbefore: anchor(['BOF']).optional(),
    create: z.boolean().default(false),
    backrefs: z.boolean().default(false),
    firstmatch: z.boolean().default(false),
    ...fileAttrArgs,
  })
  .superRefine((v, ctx) => {
    const issue = (message: string): void => ctx.addIssue({ code: 'custom', message, input: v });
    if (v.insertafter !== undefined && v.insertbefore !== undefined) issue("give only one of 'insertafter' or 'insertbefore'");
    if (v.regexp !== undefined && v.search_string !== undefined) issue("give only one of 'regexp' or 'search_string'");
    if (v.backrefs && v.regexp === undefined) issue("'regexp' is required with backrefs: true");
    if (v.state === 'present' && v.line === undefined) issue("'line' is required with state: present");
    if (v.state === 'absent' && v.line === undefined && v.regexp === undefined && v.search_string === undefined) {
      issue("one of 'line', 'regexp' or 'search_string' is required with state: absent");
    }
    if (v.backrefs && v.regexp !== undefined && v.line !== undefined && !isUnrendered(v.regexp, v.line)) {
      const t = safeTemplate(v.line);
      const err = 'error' in t ? t.error : templateGroupError(compilePattern(v.regexp), t.parts);
      if (err) ctx.addIssue({ code: 'custom', message: err, input: v.line, path: ['line'] });
    }
  });

export type LineinfileArgs = z.output<typeof schema>;

function fail(message: string): Plan {
  return { ops: [], fail: `lineinfile: ${message}` };
}

export const lineinfile: ModuleDef<LineinfileArgs> = {
  name: 'lineinfile',
  kind: 'state',
  schema,
  async plan(args, ctx) {
    const state = await ctx.facts.path(args.path);
    const why = notAFile(args.path, state);
    if (why) return fail(why);
    let lines: Line[] = [];
    if (state.kind === 'absent') {
      if (args.state === 'absent') return { ops: [] };
      if (!args.create) return fail(`${args.path} does not exist (set create: true to create it)`);
    } else if (state.kind === 'file') {
      const text = decodeUtf8(state.content);
      if (text === undefined) return { ops: [], fail: notUtf8('lineinfile', args.path) };
      lines = splitLines(text);
    }

    let regexp: RegExp | undefined;
    let insertRe: RegExp | undefined;
    let backrefs: TemplatePart[] | undefined;
    try {
      if (args.regexp !== undefined) regexp = compilePattern(args.regexp);
      const ins = args.insertafter ?? args.insertbefore;
      if (ins !== undefined && ins !== 'EOF' && ins !== 'BOF') insertRe = compilePattern(ins);
    } catch (e) {
      return fail(e instanceof Error ? e.message : String(e));
    }
    if (args.backrefs && args.line !== undefined && regexp) {
      const t = safeTemplate(args.line);
      if ('error' in t) return fail(t.error);
      const err = templateGroupError(regexp, t.parts);
      if (err) return fail(err);
      backrefs = t.parts;
    }

    const result =
      args.state === 'absent'
        ? absentLines(lines, { regexp, searchString: args.search_string, line: args.line })
        : presentLine(lines, {
            line: args.line ?? '',
            regexp,
            searchString: args.search_string,
            backrefs,
            insertafter: args.insertafter ?? (args.insertbefore === undefined ? 'EOF' : undefined),
            insertbefore: args.insertbefore,
            insertRe,
            firstmatch: args.firstmatch,
          });
    if (state.kind === 'absent' && !result.changed) return { ops: [] };
    const content = Buffer.from(joinLines(result.lines), 'utf8');
    return planFileContent(ctx, args.path, content, args, { state, createParents: true, module: 'lineinfile' });
  },
};
