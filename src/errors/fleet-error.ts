/**
 * One error type for all of fleet. Every error has a stable `code`, says who is
 * at fault, and may point at a place in an input file. Only `cli/` turns errors
 * into exit codes (see cli/exit-codes.ts).
 */

/** Who is at fault: bad input (user), a remote host or network (host), or a bug in fleet. */
export type Fault = 'user' | 'host' | 'fleet';

export const ERROR_CODES = {
  // bad input: exit 4
  E_USAGE: 'user',
  E_YAML: 'user',
  E_VALIDATION: 'user',
  E_INVENTORY: 'user',
  E_PATTERN: 'user',
  E_TEMPLATE: 'user',
  E_UNDEFINED_VAR: 'user',
  E_EXPRESSION: 'user',
  E_FILE_NOT_FOUND: 'user',
  E_INPUT_TOO_LARGE: 'user',
  E_STATE_DIR: 'user',
  E_LOCKED: 'user',
  E_RUN_NOT_FOUND: 'user',
  // a host or the network
  E_UNREACHABLE: 'host',
  E_AUTH: 'host',
  E_HOST_KEY_UNKNOWN: 'host',
  E_HOST_KEY_CHANGED: 'host',
  E_TIMEOUT: 'host',
  E_REMOTE: 'host',
  E_TASK_FAILED: 'host',
  E_NO_EFFECT: 'host',
  E_DRIFT: 'host',
  E_ROLLBACK: 'host',
  E_INTERRUPTED: 'user',
  // fleet itself
  E_JOURNAL: 'fleet',
  E_INTERNAL: 'fleet',
} as const satisfies Record<string, Fault>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** A place in an input file, 1-based line and column. */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

export interface FleetErrorOptions {
  cause?: unknown;
  location?: SourceLocation;
  /** Extra lines shown under the message (what was expected, a hint). */
  hint?: string;
  host?: string;
}

export class FleetError extends Error {
  readonly code: ErrorCode;
  readonly fault: Fault;
  readonly location?: SourceLocation;
  readonly hint?: string;
  readonly host?: string;

  constructor(code: ErrorCode, message: string, options: FleetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FleetError';
    this.code = code;
    this.fault = ERROR_CODES[code];
    if (options.location) this.location = options.location;
    if (options.hint) this.hint = options.hint;
    if (options.host) this.host = options.host;
  }

  /** `file:line:col: message` when there is a location, else the message. */
  describe(): string {
    const where = this.location
      ? `${this.location.file}:${this.location.line}:${this.location.col}: `
      : '';
    return where + this.message + (this.hint ? `\n  ${this.hint.replace(/\n/g, '\n  ')}` : '');
  }
}

export function isFleetError(e: unknown): e is FleetError {
  return e instanceof FleetError;
}

/** Wrap anything thrown into a FleetError (unknown errors are fleet's fault). */
export function toFleetError(e: unknown, code: ErrorCode = 'E_INTERNAL'): FleetError {
  if (e instanceof FleetError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new FleetError(code, message, { cause: e });
}
