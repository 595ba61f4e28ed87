/** Argument schemas shared by the modules. */
import { z } from 'zod';
import { parseMode, type ModeSpec } from './mode.ts';
import { parseTemplate, patternError, type TemplatePart } from './regex.ts';

/**
 * A number, also when templating made it a string ("15"): templates render to
 * text unless they are exactly one variable, so numeric arguments accept digits.
 */
export const num = z.union([z.number(), z.string().regex(/^\s*-?\d+(\.\d+)?\s*$/, { message: 'must be a number' }).transform(Number)]);

/** An absolute path. Trailing slashes are dropped ("/opt/x/" is "/opt/x"). */
export const absolutePath = z
  .string()
  .refine((p) => p.startsWith('/'), { message: 'must be an absolute path (starting with /)' })
  .refine((p) => !p.includes('\0'), { message: 'must not contain a NUL byte' })
  .transform((p) => (p.length > 1 ? p.replace(/\/+$/, '') || '/' : p));

/** An absolute path naming a file (not "/", not ending with "/"). */
export const filePath = z
  .string()
  .refine((p) => p.startsWith('/'), { message: 'must be an absolute path (starting with /)' })
  .refine((p) => !p.includes('\0'), { message: 'must not contain a NUL byte' })
  .refine((p) => !p.endsWith('/'), { message: 'must name a file, not end with /' });

/** A file mode: octal string, octal-digit number, or symbolic (see mode.ts). */
export const modeArg = z.union([z.string(), z.number()]).transform((v, ctx): ModeSpec => {
  try {
    return parseMode(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e), input: v });
    return z.NEVER;
  }
});

/** A user or group name, or a numeric id. */
export const idName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/, { message: 'must be a user or group name, or a numeric id' });

/** mode/owner/group, spread into a module's schema. */
export const fileAttrArgs = {
  mode: modeArg.optional(),
  owner: idName.optional(),
  group: idName.optional(),
};

/** A regular expression in Python syntax (see regex.ts), checked to compile. */
export const patternArg = z.string().superRefine((p, ctx) => {
  const err = patternError(p);
  if (err) ctx.addIssue({ code: 'custom', message: err, input: p });
});

/** A replacement template (see regex.ts), checked for syntax. */
export const templateArg = z.string().superRefine((t, ctx) => {
  try {
    parseTemplate(t);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : String(e), input: t });
  }
});

/** Parse a template already checked by templateArg (or return the error message). */
export function safeTemplate(t: string): { parts: TemplatePart[] } | { error: string } {
  try {
    return { parts: parseTemplate(t) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** A value still holding a template expression (not rendered yet: checked again at run time). */
export function isUnrendered(...values: unknown[]): boolean {
  return values.some((v) => typeof v === 'string' && v.includes('{{'));
}

/** Exactly one of `keys` must be present. */
export function exactlyOne<T extends object>(value: T, keys: readonly (keyof T & string)[], ctx: z.RefinementCtx): void {
  const present = keys.filter((k) => value[k] !== undefined);
  if (present.length === 1) return;
  const list = keys.map((k) => `'${k}'`).join(' or ');
  ctx.addIssue({
    code: 'custom',
    message: present.length === 0 ? `one of ${list} is required` : `give only one of ${list}`,
    input: value,
  });
}
