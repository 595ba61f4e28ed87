/** AST of the condition language. `pos` is the 0-based offset of the node in the source. */

export type BinaryOp = '+' | '-' | '*' | '/' | '//' | '%';
export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in';

export type Node =
  | { k: 'lit'; pos: number; value: string | number | boolean | null }
  | { k: 'list'; pos: number; items: Node[] }
  | { k: 'name'; pos: number; name: string }
  | { k: 'attr'; pos: number; obj: Node; name: string }
  | { k: 'index'; pos: number; obj: Node; index: Node }
  | { k: 'method'; pos: number; obj: Node; name: string; args: Node[] }
  | { k: 'filter'; pos: number; value: Node; name: string; args: Node[] }
  | { k: 'test'; pos: number; value: Node; name: string; args: Node[]; negate: boolean }
  | { k: 'not'; pos: number; value: Node }
  | { k: 'neg'; pos: number; value: Node }
  | { k: 'and' | 'or'; pos: number; left: Node; right: Node }
  | { k: 'bin'; pos: number; op: BinaryOp; left: Node; right: Node }
  | { k: 'cmp'; pos: number; first: Node; rest: Array<{ op: CompareOp; pos: number; right: Node }> };

/** A readable form of a variable path (`result.stdout`, `x[0]`), for messages. */
export function describePath(node: Node): string {
  switch (node.k) {
    case 'name':
      return node.name;
    case 'attr':
      return `${describePath(node.obj)}.${node.name}`;
    case 'index':
      return `${describePath(node.obj)}[${node.index.k === 'lit' ? JSON.stringify(node.index.value) : '...'}]`;
    case 'filter':
      return `${describePath(node.value)} | ${node.name}`;
    case 'method':
      return `${describePath(node.obj)}.${node.name}(...)`;
    default:
      return '(expression)';
  }
}

/** Top-level variable names used, in order of first use. */
export function collectNames(node: Node, out: string[] = []): string[] {
  const visit = (n: Node): void => {
    switch (n.k) {
      case 'lit':
        return;
      case 'name':
        if (!out.includes(n.name)) out.push(n.name);
        return;
      case 'list':
        n.items.forEach(visit);
        return;
      case 'attr':
        visit(n.obj);
        return;
      case 'index':
        visit(n.obj);
        visit(n.index);
        return;
      case 'method':
        visit(n.obj);
        n.args.forEach(visit);
        return;
      case 'filter':
      case 'test':
        visit(n.value);
        n.args.forEach(visit);
        return;
      case 'not':
      case 'neg':
        visit(n.value);
        return;
      case 'and':
      case 'or':
      case 'bin':
        visit(n.left);
        visit(n.right);
        return;
      case 'cmp':
        visit(n.first);
        n.rest.forEach((r) => visit(r.right));
        return;
    }
  };
  visit(node);
  return out;
}
