/** Turning what goes wrong while rendering into FleetErrors that name the variable, task and place. */
import { FleetError, type ErrorCode, type SourceLocation } from '../errors/fleet-error.ts';
import { UnknownValueError } from '../expr/unknown.ts';
import { HelperError } from './helpers.ts';
import { OPAQUE, type SafeData } from './safe-data.ts';
import { ScanError, type PathUse } from './scan.ts';

/** Where a template comes from. */
export interface RenderWhere {
  task?: string;
  /** For strings: where the string is in the playbook. */
  location?: SourceLocation;
  /** For template files: the file (line and column come from the template). */
  file?: string;
}

/** A place inside the template text: 1-based line, 0-based column (handlebars' convention). */
interface TextPos {
  line: number;
  column: number;
}

/** The file position of a place in the template text. */
export function placeOf(where: RenderWhere, pos: TextPos | undefined): SourceLocation | undefined {
  if (where.file !== undefined) {
    return { file: where.file, line: pos?.line ?? 1, col: (pos?.column ?? 0) + 1 };
  }
  const base = where.location;
  if (!base) return undefined;
  if (!pos) return base;
  if (pos.line <= 1) return { file: base.file, line: base.line, col: base.col + pos.column };
  return { file: base.file, line: base.line + pos.line - 1, col: pos.column + 1 };
}

function suffix(where: RenderWhere, loc: SourceLocation | undefined): string {
  const task = where.task !== undefined ? ` in task "${where.task}"` : '';
  const at = loc ? ` (${loc.file}:${loc.line})` : '';
  return task + at;
}

export function templateError(
  code: ErrorCode,
  message: string,
  where: RenderWhere,
  pos: TextPos | undefined,
  hint?: string,
): FleetError {
  const loc = placeOf(where, pos);
  return new FleetError(code, message + suffix(where, loc), {
    ...(loc ? { location: loc } : {}),
    ...(hint ? { hint } : {}),
  });
}

export function undefinedVariable(name: string, where: RenderWhere, pos: TextPos | undefined): FleetError {
  return templateError('E_UNDEFINED_VAR', `undefined variable '${name}'`, where, pos,
    `define it, or give a fallback: {{default ${name.replace(/\[(\d+)\]/g, '.$1')} "..."}}`);
}

export function unknownValue(e: UnknownValueError, where: RenderWhere): UnknownValueError {
  const loc = placeOf(where, undefined);
  return new UnknownValueError(e.message + suffix(where, loc), e.references);
}

/** A handlebars syntax error: `Parse error on line N: ...`, a lexical error, or an Exception with a position. */
export function syntaxError(e: unknown, where: RenderWhere, lexerPos: TextPos | undefined): FleetError {
  const err = e as { message?: string; lineNumber?: number; column?: number };
  const text = String(err.message ?? e);
  const pos: TextPos | undefined =
    typeof err.lineNumber === 'number' ? { line: err.lineNumber, column: err.column ?? 0 } : lexerPos;
  const lines = text.split('\n');
  const isParse = /^(Parse|Lexical) error on line/.test(lines[0]);
  const detail = isParse ? (lines.length > 1 ? lines[lines.length - 1] : 'unrecognized text') : text.replace(/ - \d+:\d+$/, '');
  const hint = isParse && lines.length > 2 ? lines.slice(1, -1).join('\n') : undefined;
  const where2 = pos ? ` on line ${pos.line}, column ${pos.column + 1}` : '';
  return templateError('E_TEMPLATE', `template syntax error${where2}: ${detail}`, where, pos, hint);
}

/** Map an error thrown while a compiled template ran. */
export function runtimeError(e: unknown, where: RenderWhere, data: SafeData, uses: PathUse[]): Error {
  if (e instanceof UnknownValueError) return unknownValue(e, where);
  if (e instanceof FleetError) return e;
  if (e instanceof HelperError || e instanceof ScanError) {
    const pos = e.line !== undefined ? { line: e.line, column: e.column ?? 0 } : undefined;
    return e.code === 'E_UNDEFINED_VAR'
      ? templateError('E_UNDEFINED_VAR', e.message, where, pos)
      : templateError('E_TEMPLATE', e.message, where, pos);
  }
  const err = e as { message?: string; lineNumber?: number; column?: number };
  const message = String(err.message ?? e);
  const pos = typeof err.lineNumber === 'number' ? { line: err.lineNumber, column: err.column ?? 0 } : undefined;
  const name = missingName(message, e instanceof TypeError, data, uses);
  if (name !== undefined) return undefinedVariable(name, where, pos ?? guessPlace(name, uses));
  return templateError('E_TEMPLATE', `template error: ${message.replace(/ - \d+:\d+$/, '')}`, where, pos);
}

/**
 * Which variable was missing, from handlebars' message and the last lookup the
 * data proxies saw. handlebars says `"key" not defined in <parent>` (strict
 * mode) or fails with a TypeError when it looks below a missing value.
 */
function missingName(message: string, isTypeError: boolean, data: SafeData, uses: PathUse[]): string | undefined {
  const strict = /^"(.*)" not defined in (.*)$/s.exec(message);
  const typeError = isTypeError
    ? /^Cannot read properties of (?:undefined|null) \(reading '(.*)'\)|^Cannot use 'in' operator to search for '(.*)' in/.exec(message)
    : null;
  if (!strict && !typeError) return undefined;
  const key = strict ? strict[1] : (typeError?.[1] ?? typeError?.[2] ?? '');
  const parent = strict ? strict[2] : typeError?.[1] !== undefined ? 'undefined' : 'a value';
  const last = data.last;
  if (parent.startsWith(OPAQUE)) return last?.missing ? last.path : key; // a proxy said it has no `key`
  if (parent.startsWith('[object Object]')) return `@${key}`; // a handlebars data frame
  if (!last) return key;
  if (last.missing) return last.path; // the parent itself was missing
  if (/^(undefined|null)/.test(parent)) return below(last.path, uses) ?? `${last.path}.${key}`;
  return `${last.path}.${key}`; // the parent is a string, number or null
}

/** `x.y` when `x` was found but a step below it was not: the step the template uses after `x`. */
function below(path: string, uses: PathUse[]): string | undefined {
  const lastSegment = path.replace(/\[(\d+)\]/g, '.$1').split('.').pop() ?? path;
  for (const use of uses) {
    const i = use.parts.indexOf(lastSegment);
    if (i >= 0 && i + 1 < use.parts.length) return `${path}.${use.parts[i + 1]}`;
  }
  return undefined;
}

/** The first use of a path whose segments include the missing name's last segment. */
function guessPlace(name: string, uses: PathUse[]): TextPos | undefined {
  const last = name.replace(/\[(\d+)\]/g, '.$1').split('.').pop() ?? name;
  const use = uses.find((u) => u.parts.includes(last));
  return use ? { line: use.line, column: use.column } : undefined;
}
