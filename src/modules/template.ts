/** template: a file rendered from a handlebars template (templates/<src>) with the host's vars. */
import { z } from 'zod';
import { fileAttrArgs, filePath } from './args.ts';
import { planFileContent } from './file-content.ts';
import type { ModuleDef } from './types.ts';

const schema = z.strictObject({
  src: z.string().min(1, { message: 'src is empty' }),
  dest: filePath,
  ...fileAttrArgs,
});

export type TemplateArgs = z.output<typeof schema>;

export const template: ModuleDef<TemplateArgs> = {
  name: 'template',
  kind: 'state',
  schema,
  async plan(args, ctx) {
    const rendered = await ctx.renderTemplateFile(args.src);
    return planFileContent(ctx, args.dest, Buffer.from(rendered, 'utf8'), args, { module: 'template' });
  },
};
