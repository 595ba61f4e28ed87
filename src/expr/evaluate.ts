/** Tree-walking evaluator. Reads only own data of plain objects and arrays; never runs code. */
import { FleetError } from '../errors/fleet-error.ts';
import { describePath, type Node } from './ast.ts';
import { CallError, isUndef, Undef, type CallSpec } from './call.ts';
import { fail, type EvalContext } from './eval-context.ts';
import { FILTERS } from './filters.ts';
import { callMethod } from './methods.ts';
import { arithmetic, compareOne } from './operators.ts';
import { TESTS } from './predicates.ts';
import { PatternError } from './regex.ts';
import { locate, shortSource } from './syntax-error.ts';
import { isUnknown, UNKNOWN } from './unknown.ts';
import { isPlainObject, ownValue, truthy, typeName } from './values.ts';

export type { EvalContext } from './eval-context.ts';

export function evaluateNode(node: Node, ctx: EvalContext): unknown {
  return use(ev(node, ctx), node, ctx);
}

/** Throw for an undefined value that is being used. */
function use(v: unknown, node: Node, ctx: EvalContext): unknown {
  if (!isUndef(v)) return v;
  const loc = locate(ctx.source, node.pos, ctx.location);
  throw new FleetError(
    'E_UNDEFINED_VAR',
    `undefined variable '${v.path || describePath(node)}' in condition \`${shortSource(ctx.source)}\``,
    { ...(loc ? { location: loc } : {}), hint: 'define it, or guard it with `is defined` or `| default(...)`' },
  );
}

function noteUnknown(ctx: EvalContext, node: Node, v: unknown): unknown {
  if (isUnknown(v)) {
    const path = describePath(node);
    if (!ctx.unknownRefs.includes(path)) ctx.unknownRefs.push(path);
    return UNKNOWN;
  }
  return v;
}

function ev(node: Node, ctx: EvalContext): unknown {
  switch (node.k) {
    case 'lit':
      return node.value;
    case 'list': {
      const items = node.items.map((item) => use(ev(item, ctx), item, ctx));
      return items.some(isUnknown) ? UNKNOWN : items;
    }
    case 'name': {
      const v = ownValue(ctx.vars, node.name);
      return v === undefined ? new Undef(node.name) : noteUnknown(ctx, node, v);
    }
    case 'attr':
      return member(ev(node.obj, ctx), node.name, node, ctx);
    case 'index': {
      const obj = ev(node.obj, ctx);
      const key = use(ev(node.index, ctx), node.index, ctx);
      if (isUnknown(key)) return isUndef(obj) ? obj : UNKNOWN;
      return member(obj, key, node, ctx);
    }
    case 'method': {
      const obj = use(ev(node.obj, ctx), node.obj, ctx);
      const args = node.args.map((a) => use(ev(a, ctx), a, ctx));
      if (isUnknown(obj) || args.some(isUnknown)) return UNKNOWN;
      return guard(ctx, node.pos, () => callMethod(node.name, obj, args));
    }
    case 'filter':
      return call(FILTERS[node.name], node.value, node.args, node, ctx);
    case 'test': {
      const r = call(TESTS[node.name], node.value, node.args, node, ctx);
      if (isUnknown(r)) return UNKNOWN;
      return node.negate ? !r : r;
    }
    case 'not': {
      const v = use(ev(node.value, ctx), node.value, ctx);
      return isUnknown(v) ? UNKNOWN : !truthy(v);
    }
    case 'neg': {
      const v = use(ev(node.value, ctx), node.value, ctx);
      if (isUnknown(v)) return UNKNOWN;
      if (typeof v !== 'number') fail(ctx, node.pos, `cannot negate a ${typeName(v)}`);
      return -v;
    }
    case 'and':
    case 'or':
      return logic(node.k, node.left, node.right, ctx);
    case 'bin': {
      const l = use(ev(node.left, ctx), node.left, ctx);
      const r = use(ev(node.right, ctx), node.right, ctx);
      if (isUnknown(l) || isUnknown(r)) return UNKNOWN;
      return arithmetic(node.op, l, r, node.pos, ctx);
    }
    case 'cmp':
      return compareChain(node, ctx);
  }
}

/** `.name` / `[key]`: own data only; undefined stays an Undef so `is defined` and `default` work. */
function member(obj: unknown, key: unknown, node: Node, ctx: EvalContext): unknown {
  if (isUndef(obj)) return obj;
  if (isUnknown(obj)) return UNKNOWN;
  let v: unknown;
  if (Array.isArray(obj) || typeof obj === 'string') {
    if (typeof key === 'number' && Number.isInteger(key)) {
      const i = key < 0 ? obj.length + key : key;
      v = i >= 0 && i < obj.length ? obj[i] : undefined;
    } else if (typeof key !== 'string') {
      fail(ctx, node.pos, `a list index must be an integer, not ${typeName(key)}`);
    }
  } else if (isPlainObject(obj)) {
    if (typeof key === 'string' || typeof key === 'number') v = ownValue(obj, String(key));
    else fail(ctx, node.pos, `a mapping key must be a string or a number, not ${typeName(key)}`);
  }
  return v === undefined ? new Undef(describePath(node)) : noteUnknown(ctx, node, v);
}

function call(spec: CallSpec, input: Node, argNodes: Node[], node: Node, ctx: EvalContext): unknown {
  let v = ev(input, ctx);
  if (!spec.acceptsUndefined) v = use(v, input, ctx);
  const args = argNodes.map((a) => use(ev(a, ctx), a, ctx));
  if (isUnknown(v) || args.some(isUnknown)) return UNKNOWN;
  const r = guard(ctx, node.pos, () => spec.fn(v, args));
  return isUndef(r) && r.path === '' ? new Undef(describePath(node)) : r;
}

/** Run a filter/test/method, turning its complaints into positioned E_EXPRESSION errors. */
function guard<T>(ctx: EvalContext, pos: number, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof CallError || e instanceof PatternError) fail(ctx, pos, e.message);
    throw e;
  }
}

/** Python `and`/`or` (operand values), extended to unknowns (Kleene logic). */
function logic(op: 'and' | 'or', leftNode: Node, rightNode: Node, ctx: EvalContext): unknown {
  const l = use(ev(leftNode, ctx), leftNode, ctx);
  if (!isUnknown(l)) {
    const decided = op === 'and' ? !truthy(l) : truthy(l);
    return decided ? l : use(ev(rightNode, ctx), rightNode, ctx);
  }
  // Left unknown: the right side alone may still decide (`unknown and false` is false).
  let r: unknown;
  try {
    r = use(ev(rightNode, ctx), rightNode, ctx);
  } catch (e) {
    if (e instanceof FleetError) return UNKNOWN; // it would only be evaluated for one value of the left
    throw e;
  }
  if (isUnknown(r)) return UNKNOWN;
  const decides = op === 'and' ? !truthy(r) : truthy(r);
  return decides ? r : UNKNOWN;
}

/** `a < b <= c` as in Python: every link must hold; stops at the first false link. */
function compareChain(node: Extract<Node, { k: 'cmp' }>, ctx: EvalContext): unknown {
  let left = use(ev(node.first, ctx), node.first, ctx);
  let unknown = false;
  for (const link of node.rest) {
    const right = use(ev(link.right, ctx), link.right, ctx);
    const r = compareOne(link.op, left, right, link.pos, ctx);
    if (r === false) return false;
    if (r !== true) unknown = true;
    left = right;
  }
  return unknown ? UNKNOWN : true;
}

