/** Recursive-descent parser for the condition language (precedence low to high below). */
import type { BinaryOp, CompareOp, Node } from './ast.ts';
import { FILTERS } from './filters.ts';
import { METHODS } from './methods.ts';
import { TESTS } from './predicates.ts';
import { ExprSyntaxError } from './syntax-error.ts';
import { describe, ParserBase, spec } from './parse-base.ts';
import { tokenize, type Token } from './tokenize.ts';

export const MAX_SOURCE_LENGTH = 4096;
export { MAX_NESTING, MAX_TREE_HEIGHT } from './parse-base.ts';

const COMPARE_OPS: ReadonlySet<string> = new Set(['==', '!=', '<', '<=', '>', '>=']);

export function parseExpression(source: string): Node {
  return new Parser(tokenize(source)).parseAll();
}

class Parser extends ParserBase {
  parseAll(): Node {
    if (this.peek().kind === 'eof') throw new ExprSyntaxError('empty expression', 0);
    const node = this.parseOr();
    const t = this.peek();
    if (t.kind !== 'eof') throw new ExprSyntaxError(`unexpected ${describe(t)}`, t.pos);
    return node;
  }

  // ---- grammar, lowest precedence first

  protected parseOr(): Node {
    let left = this.parseAnd();
    while (this.isKw('or')) {
      const pos = this.next().pos;
      const right = this.parseAnd();
      left = this.mk({ k: 'or', pos, left, right }, left, right);
    }
    return left;
  }

  private parseAnd(): Node {
    let left = this.parseNot();
    while (this.isKw('and')) {
      const pos = this.next().pos;
      const right = this.parseNot();
      left = this.mk({ k: 'and', pos, left, right }, left, right);
    }
    return left;
  }

  private parseNot(): Node {
    if (!this.isKw('not')) return this.parseCompare();
    const pos = this.next().pos;
    this.enter(pos);
    const value = this.parseNot();
    this.leave();
    return this.mk({ k: 'not', pos, value }, value);
  }

  private parseCompare(): Node {
    let first = this.parseAdd();
    let rest: Array<{ op: CompareOp; pos: number; right: Node }> = [];
    const flush = (): Node => {
      if (rest.length === 0) return first;
      const node = this.mk({ k: 'cmp', pos: rest[0].pos, first, rest }, first, ...rest.map((r) => r.right));
      rest = [];
      return node;
    };
    for (;;) {
      const t = this.peek();
      let op: CompareOp;
      if (t.kind === 'op' && COMPARE_OPS.has(t.text)) {
        op = t.text as CompareOp;
        this.next();
      } else if (this.isKw('in')) {
        op = 'in';
        this.next();
      } else if (this.isKw('not') && this.isKw('in', 1)) {
        op = 'not in';
        this.next();
        this.next();
      } else if (this.isKw('is')) {
        first = this.parseTest(flush());
        continue;
      } else {
        return flush();
      }
      const right = this.parseAdd();
      rest.push({ op, pos: t.pos, right });
    }
  }

  private parseTest(value: Node): Node {
    const pos = this.next().pos; // 'is'
    let negate = false;
    if (this.isKw('not')) {
      this.next();
      negate = true;
    }
    const t = this.next();
    const name = t.kind === 'kw' && t.text === 'None' ? 'none' : t.text;
    const test = (t.kind === 'name' || t.kind === 'kw') ? spec(TESTS, name) : undefined;
    if (!test) {
      throw new ExprSyntaxError(
        t.kind === 'name' || t.kind === 'kw' ? `unknown test '${t.text}'` : `expected a test name after 'is' but found ${describe(t)}`,
        t.pos,
        `tests: ${Object.keys(TESTS).join(', ')}`,
      );
    }
    const args = this.isOp('(') ? this.parseArgs() : [];
    this.checkArity('test', name, test, args, t.pos);
    return this.mk({ k: 'test', pos, value, name, args, negate }, value, ...args);
  }

  private parseAdd(): Node {
    let left = this.parseMul();
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next();
      const right = this.parseMul();
      left = this.mk({ k: 'bin', pos: t.pos, op: t.text as BinaryOp, left, right }, left, right);
    }
    return left;
  }

  private parseMul(): Node {
    let left = this.parseUnary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('//') || this.isOp('%')) {
      const t = this.next();
      const right = this.parseUnary();
      left = this.mk({ k: 'bin', pos: t.pos, op: t.text as BinaryOp, left, right }, left, right);
    }
    return left;
  }

  private parseUnary(): Node {
    if (!this.isOp('-')) return this.parseFilters();
    const pos = this.next().pos;
    this.enter(pos);
    const value = this.parseUnary();
    this.leave();
    if (value.k === 'lit' && typeof value.value === 'number') return this.mk({ k: 'lit', pos, value: -value.value });
    return this.mk({ k: 'neg', pos, value }, value);
  }

  private parseFilters(): Node {
    let value = this.parsePostfix();
    while (this.isOp('|')) {
      this.next();
      const t = this.next();
      const filter = t.kind === 'name' ? spec(FILTERS, t.text) : undefined;
      if (!filter) {
        throw new ExprSyntaxError(
          t.kind === 'name' ? `unknown filter '${t.text}'` : `expected a filter name after '|' but found ${describe(t)}`,
          t.pos,
          `filters: ${Object.keys(FILTERS).join(', ')}`,
        );
      }
      const args = this.isOp('(') ? this.parseArgs() : [];
      this.checkArity('filter', t.text, filter, args, t.pos);
      value = this.mk({ k: 'filter', pos: t.pos, value, name: t.text, args }, value, ...args);
    }
    return value;
  }

  private parsePostfix(): Node {
    let obj = this.parsePrimary();
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const t = this.next();
        if (t.kind === 'num') {
          const index = this.mk({ k: 'lit', pos: t.pos, value: t.num ?? 0 });
          obj = this.mk({ k: 'index', pos: t.pos, obj, index }, obj);
        } else if (t.kind === 'name' || t.kind === 'kw') {
          obj = this.isOp('(') ? this.parseMethod(obj, t) : this.mk({ k: 'attr', pos: t.pos, obj, name: t.text }, obj);
        } else {
          throw new ExprSyntaxError(`expected a name after '.' but found ${describe(t)}`, t.pos);
        }
      } else if (this.isOp('[')) {
        const pos = this.next().pos;
        this.enter(pos);
        const index = this.parseOr();
        this.expectOp(']');
        this.leave();
        obj = this.mk({ k: 'index', pos, obj, index }, obj, index);
      } else if (this.isOp('(')) {
        throw new ExprSyntaxError(
          'only string methods can be called',
          this.peek().pos,
          `methods: ${Object.keys(METHODS).join(', ')}`,
        );
      } else {
        return obj;
      }
    }
  }

  private parseMethod(obj: Node, t: Token): Node {
    const method = spec(METHODS, t.text);
    if (!method) {
      throw new ExprSyntaxError(`'${t.text}' is not a method that can be called`, t.pos, `methods: ${Object.keys(METHODS).join(', ')}`);
    }
    const args = this.parseArgs();
    this.checkArity('method', t.text, method, args, t.pos);
    return this.mk({ k: 'method', pos: t.pos, obj, name: t.text, args }, obj, ...args);
  }

  private parsePrimary(): Node {
    const t = this.next();
    switch (t.kind) {
      case 'num':
        return this.mk({ k: 'lit', pos: t.pos, value: t.num ?? 0 });
      case 'str':
        return this.mk({ k: 'lit', pos: t.pos, value: t.text });
      case 'name':
        return this.mk({ k: 'name', pos: t.pos, name: t.text });
      case 'kw':
        if (t.text === 'true' || t.text === 'True') return this.mk({ k: 'lit', pos: t.pos, value: true });
        if (t.text === 'false' || t.text === 'False') return this.mk({ k: 'lit', pos: t.pos, value: false });
        if (t.text === 'null' || t.text === 'none' || t.text === 'None') return this.mk({ k: 'lit', pos: t.pos, value: null });
        break;
      case 'op':
        if (t.text === '(') {
          this.enter(t.pos);
          const inner = this.parseOr();
          this.expectOp(')');
          this.leave();
          return inner;
        }
        if (t.text === '[') return this.parseList(t.pos);
        break;
      case 'eof':
        throw new ExprSyntaxError('unexpected end of expression', t.pos);
    }
    throw new ExprSyntaxError(`unexpected ${describe(t)}`, t.pos);
  }

  private parseList(pos: number): Node {
    this.enter(pos);
    const items: Node[] = [];
    while (!this.isOp(']')) {
      items.push(this.parseOr());
      if (!this.isOp(',')) break;
      this.next();
    }
    this.expectOp(']');
    this.leave();
    return this.mk({ k: 'list', pos, items }, ...items);
  }
}
