/**
 * The safe expression language of `when`, `until`, `changed_when`,
 * `failed_when` and `assert: that`: parsed once into a tree, evaluated over
 * plain data. Never eval/Function.
 */
import { FleetError, type SourceLocation } from '../errors/fleet-error.ts';
import { collectNames, type Node } from './ast.ts';
import { evaluateNode, type EvalContext } from './evaluate.ts';
import { MAX_SOURCE_LENGTH, parseExpression } from './parse.ts';
import { ExprSyntaxError, locate, shortSource } from './syntax-error.ts';
import { isUnknown, UnknownValueError } from './unknown.ts';
import { truthy } from './values.ts';

export { UNKNOWN, UNKNOWN_MARK, isUnknown, containsUnknown, UnknownValueError, isUnknownValueError } from './unknown.ts';
export { truthy, looseEqual } from './values.ts';
export { MAX_SOURCE_LENGTH, MAX_NESTING } from './parse.ts';
export { MAX_PATTERN_LENGTH } from './regex.ts';

const COMPILED: unique symbol = Symbol('fleet.compiledExpression');

export interface CompiledExpression {
  readonly source: string;
  /** Where the expression starts in its file, for errors. */
  readonly location?: SourceLocation;
  /** @internal The syntax tree. */
  readonly [COMPILED]: Node;
}

const AST_CACHE_LIMIT = 1000;
const astCache = new Map<string, Node>();

function parseCached(source: string): Node {
  const hit = astCache.get(source);
  if (hit) return hit;
  const ast = parseExpression(source);
  if (astCache.size >= AST_CACHE_LIMIT) astCache.delete(astCache.keys().next().value as string);
  astCache.set(source, ast);
  return ast;
}

/** Parse an expression; syntax errors are E_EXPRESSION with the column (and file position if given). */
export function compileExpression(source: string, location?: SourceLocation): CompiledExpression {
  if (typeof source !== 'string') {
    throw new FleetError('E_EXPRESSION', `a condition must be a string, got ${source === null ? 'null' : typeof source}`, {
      ...(location ? { location } : {}),
    });
  }
  if (source.length > MAX_SOURCE_LENGTH) {
    throw new FleetError('E_INPUT_TOO_LARGE', `condition is longer than ${MAX_SOURCE_LENGTH} characters`, {
      ...(location ? { location } : {}),
    });
  }
  let ast: Node;
  try {
    ast = parseCached(source);
  } catch (e) {
    if (!(e instanceof ExprSyntaxError)) throw e;
    const loc = locate(source, e.pos, location);
    throw new FleetError('E_EXPRESSION', `${e.message} at column ${e.pos + 1} in condition \`${shortSource(source)}\``, {
      ...(loc ? { location: loc } : {}),
      ...(e.hint ? { hint: e.hint } : {}),
    });
  }
  return location ? { source, location, [COMPILED]: ast } : { source, [COMPILED]: ast };
}

function asCompiled(expr: string | CompiledExpression): CompiledExpression {
  return typeof expr === 'string' ? compileExpression(expr) : expr;
}

function context(expr: CompiledExpression, vars: Record<string, unknown>): EvalContext {
  return { source: expr.source, vars, unknownRefs: [], ...(expr.location ? { location: expr.location } : {}) };
}

/**
 * The value of an expression. An undefined variable that is used throws
 * E_UNDEFINED_VAR; a result that depends on an unknown value is returned as
 * UNKNOWN (check with isUnknown) rather than thrown.
 */
export function evaluate(expr: CompiledExpression, vars: Record<string, unknown>): unknown {
  return evaluateNode(expr[COMPILED], context(expr, vars));
}

/**
 * Whether a condition holds (Python truthiness). Strings are compiled once and
 * cached. Throws UnknownValueError when the answer depends on an unknown value.
 */
export function evaluateCondition(expr: string | CompiledExpression, vars: Record<string, unknown>): boolean {
  const compiled = asCompiled(expr);
  const ctx = context(compiled, vars);
  const value = evaluateNode(compiled[COMPILED], ctx);
  if (isUnknown(value)) {
    const refs = ctx.unknownRefs;
    const which = refs.length > 0 ? refs.map((r) => `'${r}'`).join(', ') : 'a value';
    throw new UnknownValueError(
      `condition \`${shortSource(compiled.source)}\` depends on ${which}, unknown until the task that sets it runs`,
      refs,
    );
  }
  return truthy(value);
}

/** Top-level variable names an expression reads, in order of first use. */
export function referencedNames(expr: string | CompiledExpression): string[] {
  return collectNames(asCompiled(expr)[COMPILED]);
}
