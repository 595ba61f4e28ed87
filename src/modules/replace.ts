/**
 * replace: substitute every match of a regexp in a file (Ansible's replace).
 *
 * A regexp that matches NOTHING is a failure, because a typo in it would
 * otherwise silently change nothing (the notes' `sed -i "s~192.168.0.0./16~$CIDR~"`
 * did exactly that). It is not a failure when:
 * - allow_no_match is true; or
 * - the edit was already made: the replacement has no group references, is not
 *   empty, and its text already occurs in the region the regexp searches. This
 *   keeps a second run ok (nothing to change) instead of failing.
 * A replacement that deletes text (empty) or uses group references cannot be
 * recognised as already made: set allow_no_match when zero matches is fine.
 * `expect` is the exact number of matches wanted while the edit is not made yet.
 * after/before that match nothing fail the same way (Ansible reports ok).
 */
import { z } from 'zod';
import { fileAttrArgs, filePath, isUnrendered, num, patternArg, templateArg } from './args.ts';
import { decodeUtf8, notAFile, notUtf8, planFileContent } from './file-content.ts';
import { region, substituter, type Substituter } from './text-edit.ts';
import type { ModuleDef, Plan } from './types.ts';

const schema = z
  .strictObject({
    path: filePath,
    regexp: patternArg.refine((r) => r !== '', { message: 'regexp is empty' }),
    replace: templateArg.default(''),
    after: patternArg.optional(),
    before: patternArg.optional(),
    expect: num.pipe(z.number().int().min(1)).optional(),
    allow_no_match: z.boolean().default(false),
    ...fileAttrArgs,
  })
  .superRefine((v, ctx) => {
    if (isUnrendered(v.regexp, v.replace)) return;
    try {
      substituter(v.regexp, '');
    } catch {
      return; // a bad regexp is reported at 'regexp' (patternArg), not again at 'replace'
    }
    try {
      substituter(v.regexp, v.replace);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e), input: v.replace, path: ['replace'] });
    }
  });

export type ReplaceArgs = z.output<typeof schema>;

export const replace: ModuleDef<ReplaceArgs> = {
  name: 'replace',
  kind: 'state',
  schema,
  async plan(args, ctx): Promise<Plan> {
    const fail = (message: string): Plan => ({ ops: [], fail: `replace: ${args.path}: ${message}` });
    const state = await ctx.facts.path(args.path);
    if (state.kind === 'absent') return { ops: [], fail: `replace: ${args.path} does not exist` };
    const why = notAFile(args.path, state);
    if (why || state.kind !== 'file') return { ops: [], fail: `replace: ${why}` };
    const text = decodeUtf8(state.content);
    if (text === undefined) return { ops: [], fail: notUtf8('replace', args.path) };

    let sub: Substituter;
    try {
      sub = substituter(args.regexp, args.replace);
    } catch (e) {
      return fail(e instanceof Error ? e.message : String(e));
    }
    const span = region(text, args.after, args.before);
    if (!span) {
      if (args.allow_no_match) return { ops: [] };
      const which = [args.after && `after '${args.after}'`, args.before && `before '${args.before}'`].filter(Boolean).join(' / ');
      return fail(`${which} matches nothing; nothing would change`);
    }
    const section = text.slice(span.start, span.end);
    const { text: edited, count } = sub.apply(section);
    if (count === 0) {
      if (args.allow_no_match) return { ops: [] };
      if (sub.literal && section.includes(sub.literal)) return { ops: [] };
      return fail(`regexp '${args.regexp}' matches nothing; nothing would change`);
    }
    if (args.expect !== undefined && count !== args.expect) {
      return fail(`regexp '${args.regexp}' matches ${count} time(s), expected ${args.expect}`);
    }
    const content = Buffer.from(text.slice(0, span.start) + edited + text.slice(span.end), 'utf8');
    return planFileContent(ctx, args.path, content, args, { state, module: 'replace' });
  },
};
