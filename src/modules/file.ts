/**
 * file: a path's kind and attributes.
 *
 * - file: must exist as a regular file (fails otherwise: "use state: touch to
 *   create it"); fixes mode/owner/group.
 * - directory: created with missing parents when absent; fixes attributes of
 *   an existing one; fails when something else is there.
 * - absent: removes a file, or a directory with everything in it.
 * - touch: creates an empty file (mode 0644 unless given) when absent, else
 *   only fixes attributes. Unlike Ansible's touch, fleet's never changes the
 *   modification time, so it is idempotent (ok on the second run).
 */
import { posix } from 'node:path';
import { z } from 'zod';
import { absolutePath, fileAttrArgs } from './args.ts';
import { attrChanges, attrsOps } from './file-content.ts';
import type { ModuleDef, PathState, Plan } from './types.ts';

const schema = z.strictObject({
  path: absolutePath,
  state: z.enum(['file', 'directory', 'absent', 'touch']).default('file'),
  ...fileAttrArgs,
});

export type FileArgs = z.output<typeof schema>;

function what(s: PathState): string {
  return s.kind === 'other' ? `a ${s.type}` : s.kind === 'file' ? 'a regular file' : `a ${s.kind}`;
}

export const file: ModuleDef<FileArgs> = {
  name: 'file',
  kind: 'state',
  schema,
  async plan(args, ctx): Promise<Plan> {
    const { path } = args;
    const fail = (message: string): Plan => ({ ops: [], fail: `file: ${path} ${message}` });
    const s = await ctx.facts.path(path);
    switch (args.state) {
      case 'absent':
        if (path === '/') return fail('is the root directory; refusing to remove it');
        return { ops: s.kind === 'absent' ? [] : [{ op: 'remove', path }] };
      case 'directory':
        if (s.kind === 'absent') return { ops: [{ op: 'mkdir', path, parents: true, ...attrChanges(undefined, args, true) }] };
        if (s.kind !== 'directory') return fail(`exists and is ${what(s)}, not a directory`);
        return { ops: attrsOps(path, attrChanges(s.meta, args, true)) };
      case 'touch': {
        if (s.kind === 'file' || s.kind === 'directory') {
          return { ops: attrsOps(path, attrChanges(s.meta, args, s.kind === 'directory')) };
        }
        if (s.kind === 'other') return fail(`is ${what(s)}; fleet does not touch it`);
        const parent = posix.dirname(path);
        if ((await ctx.facts.kind(parent)) !== 'directory') {
          const p = await ctx.facts.path(parent);
          return fail(`cannot be created: its parent ${parent} ${p.kind === 'absent' ? 'does not exist' : `is ${what(p)}`}`);
        }
        const attrs = attrChanges(undefined, args, false);
        return { ops: [{ op: 'write', path, content: Buffer.alloc(0), ...attrs, mode: attrs.mode ?? 0o644 }] };
      }
      case 'file':
        if (s.kind === 'absent') return fail('does not exist (use state: touch to create it)');
        if (s.kind !== 'file') return fail(`is ${what(s)}, not a regular file`);
        return { ops: attrsOps(path, attrChanges(s.meta, args, false)) };
    }
  },
};
