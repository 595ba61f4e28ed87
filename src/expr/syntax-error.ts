/** Errors of the expression language, positioned by offset in the source. */
import { FleetError, type ErrorCode, type SourceLocation } from '../errors/fleet-error.ts';

/** Internal: a syntax error at an offset; compileExpression turns it into a FleetError. */
export class ExprSyntaxError extends Error {
  readonly pos: number;
  readonly hint?: string;
  constructor(message: string, pos: number, hint?: string) {
    super(message);
    this.name = 'ExprSyntaxError';
    this.pos = pos;
    if (hint) this.hint = hint;
  }
}

/** Where offset `pos` of an expression is in its file, given where the expression starts. */
export function locate(
  source: string,
  pos: number,
  location: SourceLocation | undefined,
): SourceLocation | undefined {
  if (!location) return undefined;
  const before = source.slice(0, Math.max(0, pos));
  const lineBreaks = before.split('\n').length - 1;
  if (lineBreaks === 0) return { file: location.file, line: location.line, col: location.col + pos };
  const lastLine = before.slice(before.lastIndexOf('\n') + 1);
  return { file: location.file, line: location.line + lineBreaks, col: lastLine.length + 1 };
}

/** Shorten an expression for messages. */
export function shortSource(source: string): string {
  const oneLine = source.replace(/\s+/g, ' ').trim();
  return oneLine.length > 120 ? oneLine.slice(0, 117) + '...' : oneLine;
}

/** A FleetError about expression `source` at offset `pos`. */
export function exprError(
  code: ErrorCode,
  message: string,
  source: string,
  pos: number,
  location: SourceLocation | undefined,
  hint?: string,
): FleetError {
  const loc = locate(source, pos, location);
  return new FleetError(code, `${message} at column ${pos + 1} in condition \`${shortSource(source)}\``, {
    ...(loc ? { location: loc } : {}),
    ...(hint ? { hint } : {}),
  });
}
