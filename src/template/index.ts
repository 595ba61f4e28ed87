/**
 * Handlebars templating, strict: `{{ var }}` in playbook strings and template
 * files. A private handlebars environment with our helpers only, no HTML
 * escaping, no prototype access, and undefined variables as errors.
 */
import Handlebars from 'handlebars';
import { FleetError, type SourceLocation } from '../errors/fleet-error.ts';
import { isPlainObject } from '../expr/values.ts';
import { runtimeError, syntaxError, templateError, type RenderWhere } from './errors.ts';
export type { RenderWhere } from './errors.ts';
export { rootVariables, type RootUse } from './free-vars.ts';
import { makeHelpers, OPTIONAL_PATH_HELPER, OUTPUT_HELPER, PUBLIC_HELPERS } from './helpers.ts';
import { SafeData } from './safe-data.ts';
import { scanTemplate, ScanError, type PathUse } from './scan.ts';
import { resolvePath, singlePath } from './single-path.ts';

export const MAX_TEMPLATE_BYTES = 1 << 20;
/** Deepest nesting renderDeep walks (YAML data is far shallower). */
const MAX_DEEP = 100;
const CACHE_LIMIT = 500;

const env = Handlebars.create();
env.unregisterHelper('log');
let active: SafeData | undefined;
for (const [name, fn] of Object.entries(makeHelpers(() => active ?? new SafeData()))) {
  env.registerHelper(name, fn as Handlebars.HelperDelegate);
}

const KNOWN_HELPERS: Record<string, boolean> = { log: false };
for (const name of [...PUBLIC_HELPERS, OPTIONAL_PATH_HELPER, OUTPUT_HELPER]) KNOWN_HELPERS[name] = true;

interface Compiled {
  run: Handlebars.TemplateDelegate;
  uses: PathUse[];
}
const cache = new Map<string, Compiled>();

function checkSize(text: string, where: RenderWhere): void {
  if (text.length > MAX_TEMPLATE_BYTES / 3 && Buffer.byteLength(text, 'utf8') > MAX_TEMPLATE_BYTES) {
    const loc = where.file !== undefined ? { file: where.file, line: 1, col: 1 } : where.location;
    throw new FleetError('E_INPUT_TOO_LARGE', `template is larger than ${MAX_TEMPLATE_BYTES} bytes`, {
      ...(loc ? { location: loc } : {}),
    });
  }
}

function lexerPosition(): { line: number; column: number } | undefined {
  const lexer = (env as unknown as { Parser?: { lexer?: { yylloc?: { first_line?: number; first_column?: number } } } })
    .Parser?.lexer;
  const loc = lexer?.yylloc;
  return typeof loc?.first_line === 'number' ? { line: loc.first_line, column: loc.first_column ?? 0 } : undefined;
}

function compile(text: string, where: RenderWhere): Compiled {
  const hit = cache.get(text);
  if (hit) return hit;
  let ast: hbs.AST.Program;
  try {
    ast = env.parse(text);
  } catch (e) {
    throw syntaxError(e, where, lexerPosition());
  }
  let uses: PathUse[];
  try {
    uses = scanTemplate(ast);
  } catch (e) {
    if (e instanceof ScanError) throw templateError(e.code, e.message, where, { line: e.line, column: e.column });
    throw e;
  }
  const run = env.compile(ast, { strict: true, noEscape: true, knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true });
  const compiled = { run, uses };
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(text, compiled);
  return compiled;
}

function render(text: string, vars: Record<string, unknown>, where: RenderWhere): string {
  const compiled = compile(text, where);
  const data = new SafeData();
  const root = data.wrap(isPlainObject(vars) ? vars : { ...(vars as object) }, '');
  const previous = active;
  active = data;
  try {
    return compiled.run(root, { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
  } catch (e) {
    throw runtimeError(e, where, data, compiled.uses);
  } finally {
    active = previous;
  }
}

/**
 * Render a playbook string. A string that is exactly one variable path
 * (`"{{ groups.workers }}"`) gives the value itself, type preserved; other
 * strings with `{{` render to a string; strings without are returned as is.
 */
export function renderString(
  text: string,
  vars: Record<string, unknown>,
  where: { task?: string; location?: SourceLocation } = {},
): unknown {
  if (!text.includes('{{')) return text;
  checkSize(text, where);
  const path = singlePath(text);
  if (path) return resolvePath(vars, path, where);
  return render(text, vars, where);
}

/** Render every string inside arrays and plain objects (keys are left alone). Returns a new value. */
export function renderDeep(
  value: unknown,
  vars: Record<string, unknown>,
  where: { task?: string; location?: SourceLocation } = {},
): unknown {
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return renderString(v, vars, where);
    if (typeof v !== 'object' || v === null) return v;
    if (depth >= MAX_DEEP) {
      throw new FleetError('E_INPUT_TOO_LARGE', `value is nested more than ${MAX_DEEP} levels deep`, {
        ...(where.location ? { location: where.location } : {}),
      });
    }
    if (Array.isArray(v)) return v.map((item) => walk(item, depth + 1));
    if (!isPlainObject(v)) return v;
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(v)) {
      Object.defineProperty(out, k, { value: walk(item, depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return out;
  };
  return walk(value, 0);
}

/**
 * Check a template without rendering it: size, syntax, helpers, names that are
 * never accessible. Throws what rendering would (E_TEMPLATE, E_UNDEFINED_VAR,
 * E_INPUT_TOO_LARGE), placed like rendering places it.
 */
export function checkTemplate(text: string, where: RenderWhere): void {
  checkSize(text, where);
  if (text.includes('{{')) compile(text, where);
}

/** Render a template file's text; errors point into the file. */
export function renderTemplate(
  text: string,
  vars: Record<string, unknown>,
  where: { file: string; task?: string },
): string {
  checkSize(text, where);
  if (!text.includes('{{')) return text;
  return render(text, vars, where);
}
