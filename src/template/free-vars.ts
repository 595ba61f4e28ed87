/**
 * The top-level variables a template reads, found without rendering it, so a
 * variable that nothing can ever define is reported before any host is
 * contacted (cli/preflight.ts). Only reads in the root context count: paths
 * inside `{{#each}}` / `{{#with}}` are relative to the item (unless they climb
 * back with `../` or start with `@root`), block parameters are local, and the
 * first argument of `default`, `if` and `unless` may be missing.
 * `{{lookup this "name"}}` counts as a read of `name`; a lookup of a name that
 * is never accessible (`constructor`, `__proto__`, ...) is marked `denied`.
 */
import Handlebars from 'handlebars';
import type {} from 'handlebars'; // brings the global hbs.AST types
import { DENIED_NAMES } from '../expr/values.ts';
import { PUBLIC_HELPERS } from './helpers.ts';

/** A variable read: its first path segment, 1-based line and 0-based column in the template text. */
export interface RootUse {
  name: string;
  line: number;
  column: number;
  /** A lookup of a name no template may ever reach. */
  denied?: boolean;
}

type Node = hbs.AST.Node;
type Expression = hbs.AST.Expression;
type Call = hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression;

const LENIENT_FIRST: ReadonlySet<string> = new Set(['default', 'if', 'unless']);
const NEW_CONTEXT: ReadonlySet<string> = new Set(['each', 'with']);

interface Scope {
  /** How many each/with blocks deep: 0 is the template's variables. */
  depth: number;
  params: readonly string[];
}

/** Root variable reads of a template that parses (call after checkTemplate). */
export function rootVariables(text: string): RootUse[] {
  if (!text.includes('{{')) return [];
  const out: RootUse[] = [];
  program(Handlebars.parse(text), { depth: 0, params: [] }, out);
  return out;
}

function at(node: Node): { line: number; column: number } {
  return { line: node.loc?.start.line ?? 1, column: node.loc?.start.column ?? 0 };
}

function program(p: hbs.AST.Program | undefined, scope: Scope, out: RootUse[]): void {
  if (!p) return;
  for (const s of p.body) {
    if (s.type === 'MustacheStatement') call(s as hbs.AST.MustacheStatement, scope, out);
    else if (s.type === 'BlockStatement') {
      const b = s as hbs.AST.BlockStatement;
      call(b, scope, out);
      const name = helperName(b.path, scope);
      const inner: Scope = {
        depth: name !== undefined && NEW_CONTEXT.has(name) ? scope.depth + 1 : scope.depth,
        params: [...scope.params, ...(b.program?.blockParams ?? [])],
      };
      program(b.program, inner, out);
      program(b.inverse, scope, out);
    }
  }
}

/** The plain name a call's path is, unless it is a block parameter. */
function helperName(path: Expression, scope: Scope): string | undefined {
  if (path.type !== 'PathExpression') return undefined;
  const p = path as hbs.AST.PathExpression;
  if (p.data || p.depth !== 0 || p.parts.length !== 1 || scope.params.includes(p.parts[0]!)) return undefined;
  return p.parts[0];
}

function call(c: Call, scope: Scope, out: RootUse[]): void {
  const name = helperName(c.path, scope);
  const isCall = c.type === 'SubExpression' || c.params.length > 0 || c.hash !== undefined
    || (name !== undefined && PUBLIC_HELPERS.has(name));
  if (!isCall) {
    value(c.path, scope, out);
    return;
  }
  if (name === 'lookup') lookup(c, scope, out);
  c.params.forEach((param, i) => {
    if (i === 0 && name !== undefined && LENIENT_FIRST.has(name)) {
      if (param.type === 'SubExpression') call(param as hbs.AST.SubExpression, scope, out);
      return;
    }
    expression(param, scope, out);
  });
  for (const pair of c.hash?.pairs ?? []) expression(pair.value, scope, out);
}

function expression(e: Expression, scope: Scope, out: RootUse[]): void {
  if (e.type === 'SubExpression') call(e as hbs.AST.SubExpression, scope, out);
  else if (e.type === 'PathExpression') path(e as hbs.AST.PathExpression, scope, out);
}

/** A mustache's own value: a path, or a literal handlebars reads as a variable name (`{{"x"}}`, `{{true}}`). */
function value(e: Expression, scope: Scope, out: RootUse[]): void {
  if (e.type === 'PathExpression') return path(e as hbs.AST.PathExpression, scope, out);
  const lit = e as hbs.AST.StringLiteral | hbs.AST.BooleanLiteral | hbs.AST.NumberLiteral;
  if (scope.depth === 0 && 'value' in lit) out.push({ name: String(lit.value), ...at(e) });
}

function path(p: hbs.AST.PathExpression, scope: Scope, out: RootUse[]): void {
  if (p.data) {
    if (p.parts[0] === 'root' && p.parts.length > 1) out.push({ name: p.parts[1]!, ...at(p) });
    return;
  }
  if (p.parts.length === 0) return; // `this`, `.`
  if (p.depth === 0 && scope.params.includes(p.parts[0]!)) return;
  if (scope.depth - p.depth === 0) out.push({ name: p.parts[0]!, ...at(p) });
}

/** `lookup this "name"` at the root reads `name`; any `lookup x "constructor"` is denied. */
function lookup(c: Call, scope: Scope, out: RootUse[]): void {
  const [base, key] = c.params;
  if (!key || key.type !== 'StringLiteral') return;
  const name = (key as hbs.AST.StringLiteral).value;
  if (DENIED_NAMES.has(name)) {
    out.push({ name, ...at(key), denied: true });
    return;
  }
  if (base?.type !== 'PathExpression') return;
  const b = base as hbs.AST.PathExpression;
  if (!b.data && b.parts.length === 0 && scope.depth - b.depth === 0) out.push({ name, ...at(key) });
  else if (b.data && b.parts.length === 1 && b.parts[0] === 'root') out.push({ name, ...at(key) });
}
