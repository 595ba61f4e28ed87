/** A task's module arguments: free-form strings, `args:` merging, schema check tolerant of templates. */
import { z } from 'zod';
import type { SourceLocation } from '../errors/fleet-error.ts';
import { FleetError } from '../errors/fleet-error.ts';
import type { ModuleDef } from '../modules/types.ts';
import type { Collector, Path } from './context.ts';
import { MAX_GENERATED_NAME } from './keywords.ts';
import { describeType, has, isMapping, type RawMap } from './read.ts';
import { didYouMean } from './suggest.ts';

export interface ModuleArgs {
  args: Record<string, unknown>;
  argLocations: Record<string, SourceLocation>;
}

type Seg = string | number;

/** Value at a path inside plain data, undefined when there is none. */
function valueAt(root: unknown, path: readonly Seg[]): unknown {
  let v = root;
  for (const seg of path) {
    if (Array.isArray(v) && typeof seg === 'number') v = v[seg];
    else if (isMapping(v) && Object.hasOwn(v, String(seg))) v = v[String(seg)];
    else return undefined;
  }
  return v;
}

/** The longest prefix of `path` that exists in `root`. */
function existing(root: unknown, path: readonly Seg[]): Seg[] {
  const out: Seg[] = [];
  for (const seg of path) {
    if (valueAt(root, [...out, seg]) === undefined) break;
    out.push(seg);
  }
  return out;
}

function isTemplated(v: unknown): boolean {
  return typeof v === 'string' && v.includes('{{');
}

/** The keys an object schema accepts at `path` inside `schema` (for suggestions). */
export function schemaKeysAt(schema: z.ZodType, path: readonly Seg[]): string[] {
  let s: z.ZodType | undefined = schema;
  const unwrap = (t: z.ZodType): z.ZodType => {
    let cur = t;
    for (let i = 0; i < 20; i++) {
      if (cur instanceof z.ZodPipe) cur = cur.in as z.ZodType;
      else if (cur instanceof z.ZodOptional || cur instanceof z.ZodNullable || cur instanceof z.ZodDefault)
        cur = cur.unwrap() as z.ZodType;
      else break;
    }
    return cur;
  };
  for (const seg of path) {
    s = unwrap(s);
    if (s instanceof z.ZodObject && typeof seg === 'string') s = s.shape[seg] as z.ZodType | undefined;
    else if (s instanceof z.ZodArray && typeof seg === 'number') s = s.element as z.ZodType;
    else return [];
    if (!s) return [];
  }
  s = unwrap(s);
  return s instanceof z.ZodObject ? Object.keys(s.shape) : [];
}

/**
 * Turn the module key's value (and `args:`) into the argument object and check
 * it against the module's schema. Issues on values that are template strings
 * are left for the run-time check after templating.
 */
export function readModuleArgs(
  c: Collector,
  def: ModuleDef,
  task: RawMap,
  moduleKey: string,
  path: Path,
): ModuleArgs | undefined {
  const raw = task[moduleKey];
  const modulePath = [...path, moduleKey];
  const sources: Record<string, Path> = {};
  let args: Record<string, unknown> = {};

  if (has(task, 'args')) {
    const extra = task.args;
    if (isMapping(extra)) {
      for (const k of Object.keys(extra)) sources[k] = [...path, 'args', k];
      args = { ...extra };
    } else if (extra !== null) {
      c.error([...path, 'args'], `'args' must be a mapping, not ${describeType(extra)}`);
      return undefined;
    }
  }
  if (typeof raw === 'string' && def.freeForm) {
    args[def.freeForm] = raw;
    sources[def.freeForm] = modulePath;
  } else if (isMapping(raw)) {
    for (const k of Object.keys(raw)) {
      // defineProperty: a `__proto__` key stays a key (and is reported), it does not become the prototype
      Object.defineProperty(args, k, { value: raw[k], enumerable: true, writable: true, configurable: true });
      sources[k] = [...modulePath, k];
    }
  } else if (raw !== null) {
    const expected = def.freeForm ? 'a mapping of arguments or a string' : 'a mapping of arguments';
    c.error(modulePath, `module '${def.name}' takes ${expected}, not ${describeType(raw)}`);
    return undefined;
  }

  const argLocations: Record<string, SourceLocation> = {};
  for (const k of Object.keys(sources)) argLocations[k] = c.at(sources[k]);

  const before = c.errors.length;
  checkSchema(c, def, args, sources, modulePath);
  return c.errors.length === before ? { args, argLocations } : undefined;
}

function checkSchema(
  c: Collector,
  def: ModuleDef,
  args: Record<string, unknown>,
  sources: Record<string, Path>,
  modulePath: Path,
): void {
  let result: ReturnType<z.ZodType['safeParse']>;
  try {
    result = def.schema.safeParse(args);
  } catch (e) {
    c.add(
      new FleetError('E_INTERNAL', `module '${def.name}': argument schema threw: ${String(e)}`, {
        cause: e,
        location: c.keyAt(modulePath),
      }),
    );
    return;
  }
  if (result.success) return;

  // Where a path inside `args` is in the document.
  const docPath = (p: readonly Seg[]): { path: Path; key: boolean } => {
    const found = existing(args, p);
    if (found.length === 0) return { path: modulePath, key: true };
    // a free-form string is a scalar, so `found` never goes below its first segment
    const [first, ...rest] = found;
    return { path: [...sources[String(first)], ...rest], key: false };
  };
  const show = (p: readonly Seg[]): string =>
    p.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');

  for (const issue of result.error.issues) {
    const ip = issue.path.map((s) => (typeof s === 'symbol' ? String(s) : s));
    if (issue.code === 'unrecognized_keys') {
      const known = schemaKeysAt(def.schema, ip);
      for (const k of issue.keys) {
        const where = docPath([...ip, k]);
        c.error(where.path, `unknown argument '${show([...ip, k])}' for module '${def.name}'${didYouMean(k, known)}`, {
          key: true,
          hint: known.length ? `arguments: ${known.join(', ')}` : undefined,
        });
      }
      continue;
    }
    const value = valueAt(args, ip);
    if (isTemplated(value)) continue;
    const where = docPath(ip);
    if (value === undefined && ip.length > 0 && issue.code === 'invalid_type') {
      c.error(where.path, `module '${def.name}' is missing required argument '${show(ip)}'`, { key: where.key });
      continue;
    }
    const msg = issue.message.replace(/^Invalid input: /, '');
    const label = ip.length ? `invalid argument '${show(ip)}' for module '${def.name}'` : `invalid arguments for module '${def.name}'`;
    c.error(where.path, `${label}: ${msg}`, { key: where.key });
  }
}

/** `<module> <short summary of args>`, whitespace collapsed, at most MAX_GENERATED_NAME chars. */
export function generatedName(module: string, raw: unknown, args: Record<string, unknown>): string {
  let summary: string;
  if (typeof raw === 'string') summary = raw;
  else {
    summary = Object.entries(args)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
  }
  const name = `${module} ${summary}`.replace(/\s+/g, ' ').trim();
  return name.length > MAX_GENERATED_NAME ? `${name.slice(0, MAX_GENERATED_NAME - 3)}...` : name;
}
