/**
 * Checks a parsed template before it is compiled, and prepares it:
 * - only our helpers may be called; partials and decorators are refused;
 * - `constructor`, `__proto__` and friends are refused in any path;
 * - helper arguments are looked up strictly (a missing variable is an error),
 *   except the first argument of `default`, `if` and `unless`, which may be
 *   missing (it is rewritten to the internal optional-path helper).
 * The AST comes from handlebars' own parser and is only changed in these ways.
 */
import type {} from 'handlebars'; // brings the global hbs.AST types
import { DENIED_NAMES } from '../expr/values.ts';
import { OPTIONAL_PATH_HELPER, OUTPUT_HELPER, PUBLIC_HELPERS } from './helpers.ts';

type Program = hbs.AST.Program;
type Expression = hbs.AST.Expression;
type PathExpression = hbs.AST.PathExpression & { strict?: boolean };
type Call = hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression;

/** Helpers whose first argument may be undefined. */
const LENIENT_FIRST: ReadonlySet<string> = new Set(['default', 'if', 'unless']);

/** A problem found in the template, with its 1-based line and 0-based column. */
export class ScanError extends Error {
  readonly code: 'E_TEMPLATE' | 'E_UNDEFINED_VAR';
  readonly line: number;
  readonly column: number;
  constructor(code: 'E_TEMPLATE' | 'E_UNDEFINED_VAR', message: string, node: hbs.AST.Node) {
    super(message);
    this.name = 'ScanError';
    this.code = code;
    this.line = node.loc?.start.line ?? 1;
    this.column = node.loc?.start.column ?? 0;
  }
}

/** Where each variable path is used, to place errors the runtime cannot place. */
export interface PathUse {
  parts: string[];
  line: number;
  column: number;
}

export function scanTemplate(program: Program): PathUse[] {
  const uses: PathUse[] = [];
  visitProgram(program, [], uses);
  return uses;
}

function visitProgram(program: Program | undefined, scope: string[], uses: PathUse[]): void {
  if (!program) return;
  const inner = program.blockParams?.length ? [...scope, ...program.blockParams] : scope;
  for (const statement of program.body) {
    switch (statement.type) {
      case 'ContentStatement':
      case 'CommentStatement':
        break;
      case 'MustacheStatement':
        visitOutput(statement as hbs.AST.MustacheStatement, inner, uses);
        break;
      case 'BlockStatement': {
        const block = statement as hbs.AST.BlockStatement;
        visitCall(block, inner, uses);
        visitProgram(block.program, inner, uses);
        visitProgram(block.inverse, inner, uses);
        break;
      }
      case 'PartialStatement':
      case 'PartialBlockStatement':
        throw new ScanError('E_TEMPLATE', 'partials ({{> name}}) are not supported', statement);
      default:
        throw new ScanError('E_TEMPLATE', `${describeType(statement.type)} are not supported`, statement);
    }
  }
}

function describeType(type: string): string {
  return type.startsWith('Decorator') ? 'decorators ({{* name}})' : `template constructs of type ${type}`;
}

function isHelperCall(call: Call): boolean {
  return call.type === 'SubExpression' || call.params.length > 0 || call.hash !== undefined;
}

/** The helper name a call names, if its path is a plain name that is not a block parameter. */
function simpleName(path: Expression, scope: string[]): string | undefined {
  if (path.type !== 'PathExpression') return undefined;
  const p = path as PathExpression;
  if (p.data || p.depth !== 0 || p.parts.length !== 1 || scope.includes(p.parts[0])) return undefined;
  return p.original === p.parts[0] ? p.parts[0] : undefined;
}

/** `{{ x }}` becomes `{{__out x}}` and `{{ helper a }}` becomes `{{__out (helper a)}}`. */
function visitOutput(mustache: hbs.AST.MustacheStatement, scope: string[], uses: PathUse[]): void {
  visitCall(mustache, scope, uses);
  const loc = mustache.loc;
  let value: Expression;
  const name = simpleName(mustache.path, scope);
  if (isHelperCall(mustache) || (name !== undefined && PUBLIC_HELPERS.has(name))) {
    value = { type: 'SubExpression', path: mustache.path, params: mustache.params, hash: mustache.hash, loc } as unknown as Expression;
  } else if (mustache.path.type === 'PathExpression') {
    const path = mustache.path as PathExpression;
    path.strict = true;
    value = path;
  } else {
    // handlebars reads `{{"x"}}` and `{{true}}` as the variable named x / true
    const word = String((mustache.path as hbs.AST.StringLiteral).value);
    const path = pathExpr([word], word, loc);
    path.strict = true;
    value = path;
  }
  mustache.path = pathExpr([OUTPUT_HELPER], OUTPUT_HELPER, loc);
  mustache.params = [value];
  (mustache as { hash?: hbs.AST.Hash }).hash = undefined;
}

function visitCall(call: Call, scope: string[], uses: PathUse[]): void {
  const name = simpleName(call.path, scope);
  if (isHelperCall(call)) {
    if (name === undefined || !PUBLIC_HELPERS.has(name)) {
      const shown = call.path.type === 'PathExpression' ? (call.path as PathExpression).original : String((call.path as hbs.AST.StringLiteral).value);
      throw new ScanError('E_TEMPLATE', `unknown helper '${shown}'`, call);
    }
  } else if (name === undefined || !PUBLIC_HELPERS.has(name)) {
    // Not a call: the path is a variable (handlebars turns `{{"x"}}` into the path `x`).
    if (call.path.type !== 'PathExpression') {
      checkName(String((call.path as hbs.AST.StringLiteral).value), call.path);
    } else {
      const path = call.path as PathExpression;
      checkPath(path, uses);
      if (call.type === 'MustacheStatement' && isBlockParamPath(path, scope)) {
        // handlebars does not check block parameter paths strictly: `{{it.a}}` becomes `{{lookup it "a"}}`.
        const strict = strictLookups(path);
        call.path = strict.path;
        call.params = strict.params;
      }
    }
  }
  call.params = call.params.map((param, i) =>
    i === 0 && name !== undefined && LENIENT_FIRST.has(name) ? lenient(param, scope, uses) : visitExpression(param, scope, uses),
  );
  for (const pair of call.hash?.pairs ?? []) pair.value = visitExpression(pair.value, scope, uses);
}

/** A helper argument: looked up strictly (a missing variable is an error, not an empty value). */
function visitExpression(expr: Expression, scope: string[], uses: PathUse[]): Expression {
  if (expr.type === 'SubExpression') {
    visitCall(expr as hbs.AST.SubExpression, scope, uses);
    return expr;
  }
  if (expr.type !== 'PathExpression') return expr;
  const path = expr as PathExpression;
  checkPath(path, uses);
  if (isBlockParamPath(path, scope)) {
    const strict = strictLookups(path);
    return sub('lookup', strict.params, path.loc);
  }
  path.strict = true;
  return path;
}

/** An argument that may be missing: `a.b` becomes `(__opt this "a" "b")`, `it.a` becomes `(__opt it "a")`. */
function lenient(expr: Expression, scope: string[], uses: PathUse[]): Expression {
  if (expr.type !== 'PathExpression') return visitExpression(expr, scope, uses);
  const path = expr as PathExpression;
  checkPath(path, uses);
  if (path.data || path.depth !== 0 || path.parts.length === 0) return path;
  const loc = path.loc;
  if (isBlockParamPath(path, scope)) {
    const [param, ...rest] = path.parts;
    return sub(OPTIONAL_PATH_HELPER, [pathExpr([param], param, loc), ...rest.map((p) => str(p, loc))], loc);
  }
  if (scope.includes(path.parts[0])) return path; // a block parameter itself
  return sub(OPTIONAL_PATH_HELPER, [pathExpr([], 'this', loc), ...path.parts.map((p) => str(p, loc))], loc);
}

function isBlockParamPath(path: PathExpression, scope: string[]): boolean {
  return !path.data && path.depth === 0 && path.parts.length > 1 && scope.includes(path.parts[0]);
}

/** `it.a.b` as the helper and arguments of `lookup (lookup it "a") "b"`. */
function strictLookups(path: PathExpression): { path: PathExpression; params: Expression[] } {
  const loc = path.loc;
  const [param, ...rest] = path.parts;
  let base: Expression = pathExpr([param], param, loc);
  for (const part of rest.slice(0, -1)) base = sub('lookup', [base, str(part, loc)], loc);
  return { path: pathExpr(['lookup'], 'lookup', loc), params: [base, str(rest[rest.length - 1], loc)] };
}

function pathExpr(parts: string[], original: string, loc: hbs.AST.SourceLocation): PathExpression {
  return { type: 'PathExpression', data: false, depth: 0, parts, original, loc };
}

function str(value: string, loc: hbs.AST.SourceLocation): hbs.AST.StringLiteral {
  return { type: 'StringLiteral', value, original: value, loc };
}

function sub(helper: string, params: Expression[], loc: hbs.AST.SourceLocation): hbs.AST.SubExpression {
  return { type: 'SubExpression', path: pathExpr([helper], helper, loc), params, loc } as unknown as hbs.AST.SubExpression;
}

function checkPath(path: PathExpression, uses: PathUse[]): void {
  for (const part of path.parts) checkName(part, path, path.original);
  if (!path.data && path.parts.length > 0) {
    uses.push({ parts: path.parts, line: path.loc?.start.line ?? 1, column: path.loc?.start.column ?? 0 });
  }
}

function checkName(part: string, node: hbs.AST.Node, shown = part): void {
  if (DENIED_NAMES.has(part)) {
    throw new ScanError('E_UNDEFINED_VAR', `undefined variable '${shown}' ('${part}' is never accessible)`, node);
  }
}
