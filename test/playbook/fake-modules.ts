/** A small module registry for the playbook loader tests (zod strict-object schemas, plan() unused). */
import { z } from 'zod';
import type { ModuleDef, Plan } from '../../src/modules/types.ts';

const noPlan = async (): Promise<Plan> => ({ ops: [] });

function def<A>(name: string, kind: ModuleDef['kind'], schema: z.ZodType<A>, freeForm?: string): ModuleDef<A> {
  return { name, kind, schema, plan: noPlan, ...(freeForm ? { freeForm } : {}) };
}

export const modules: Record<string, ModuleDef> = {
  shell: def('shell', 'action', z.strictObject({ cmd: z.string().min(1), chdir: z.string().optional() }), 'cmd'),
  command: def('command', 'action', z.strictObject({ cmd: z.string().min(1), chdir: z.string().optional() }), 'cmd'),
  file: def(
    'file',
    'state',
    z.strictObject({
      path: z.string(),
      state: z.enum(['absent', 'file', 'directory']).optional(),
      mode: z.number().int().optional(),
      owner: z.string().optional(),
    }),
  ),
  systemd: def(
    'systemd',
    'state',
    z.strictObject({
      name: z.string().optional(),
      state: z.enum(['started', 'stopped', 'restarted', 'reloaded']).optional(),
      enabled: z.boolean().optional(),
      daemon_reload: z.boolean().optional(),
    }),
  ),
  debug: def('debug', 'control', z.strictObject({ msg: z.string().optional(), var: z.string().optional() })),
  copy: def(
    'copy',
    'state',
    z.strictObject({
      dest: z.string(),
      content: z.string().optional(),
      options: z.strictObject({ backup: z.boolean().optional(), retries: z.number().optional() }).optional(),
    }),
  ),
};
