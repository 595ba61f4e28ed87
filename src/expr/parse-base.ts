/** Token handling, nesting limits and argument lists shared by the parser. */
import type { Node } from './ast.ts';
import type { CallSpec } from './call.ts';
import { ExprSyntaxError } from './syntax-error.ts';
import type { Token } from './tokenize.ts';

/** Brackets, parentheses, `not` and unary minus nested inside each other. */
export const MAX_NESTING = 64;
/** Height of the syntax tree (long operator chains), which bounds evaluation recursion. */
export const MAX_TREE_HEIGHT = 256;

export function spec(registry: Readonly<Record<string, CallSpec>>, name: string): CallSpec | undefined {
  return Object.hasOwn(registry, name) ? registry[name] : undefined;
}

export function describe(t: Token): string {
  if (t.kind === 'eof') return 'end of expression';
  if (t.kind === 'str') return `string ${JSON.stringify(t.text.length > 20 ? t.text.slice(0, 20) + '...' : t.text)}`;
  return `'${t.text}'`;
}

export abstract class ParserBase {
  private i = 0;
  private nesting = 0;
  private readonly heights = new WeakMap<Node, number>();
  private readonly tokens: Token[];

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  /** A full expression (the grammar's entry point). */
  protected abstract parseOr(): Node;

  protected peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)];
  }
  protected next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  protected isOp(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'op' && t.text === text;
  }
  protected isKw(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'kw' && t.text === text;
  }
  protected expectOp(text: string): Token {
    const t = this.peek();
    if (t.kind !== 'op' || t.text !== text) {
      throw new ExprSyntaxError(`expected '${text}' but found ${describe(t)}`, t.pos);
    }
    return this.next();
  }
  protected enter(pos: number): void {
    if (++this.nesting > MAX_NESTING) {
      throw new ExprSyntaxError(`expression is nested more than ${MAX_NESTING} levels deep`, pos);
    }
  }
  protected leave(): void {
    this.nesting--;
  }
  /** Record a node's tree height, refusing trees that are too tall to evaluate safely. */
  protected mk<N extends Node>(node: N, ...children: Node[]): N {
    let h = 0;
    for (const c of children) h = Math.max(h, this.heights.get(c) ?? 1);
    if (h + 1 > MAX_TREE_HEIGHT) {
      throw new ExprSyntaxError(`expression is too complex (more than ${MAX_TREE_HEIGHT} nested operations)`, node.pos);
    }
    this.heights.set(node, h + 1);
    return node;
  }

  protected parseArgs(): Node[] {
    const open = this.expectOp('(');
    this.enter(open.pos);
    const args: Node[] = [];
    while (!this.isOp(')')) {
      args.push(this.parseOr());
      if (!this.isOp(',')) break;
      this.next();
    }
    this.expectOp(')');
    this.leave();
    return args;
  }

  protected checkArity(kind: string, name: string, s: CallSpec, args: Node[], pos: number): void {
    if (args.length < s.min || args.length > s.max) {
      const want = s.min === s.max ? `${s.min}` : `${s.min} to ${s.max}`;
      throw new ExprSyntaxError(`${kind} '${name}' takes ${want} argument${s.max === 1 && s.min === 1 ? '' : 's'}, got ${args.length}`, pos);
    }
  }

}
