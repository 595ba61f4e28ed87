/** What an evaluation needs to know besides the tree: the variables, and the source for errors. */
import type { SourceLocation } from '../errors/fleet-error.ts';
import { exprError } from './syntax-error.ts';

export interface EvalContext {
  source: string;
  location?: SourceLocation;
  vars: Record<string, unknown>;
  /** Paths whose value turned out unknown, for the UnknownValueError message. */
  unknownRefs: string[];
}

/** Throw E_EXPRESSION about the expression at offset `pos`. */
export function fail(ctx: EvalContext, pos: number, message: string): never {
  throw exprError('E_EXPRESSION', message, ctx.source, pos, ctx.location);
}
