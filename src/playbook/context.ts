/** Error collection while walking a parsed playbook: every error gets the location of its node. */
import { FleetError, type ErrorCode, type SourceLocation } from '../errors/fleet-error.ts';

/** Keys and indices from the document root to a node. */
export type Path = ReadonlyArray<string | number>;

/** Finds nodes of the YAML document. */
export interface Locator {
  /** Where the node at `path` starts. */
  value(path: Path): SourceLocation;
  /** Where the mapping key of the node at `path` starts (the value when there is no key). */
  key(path: Path): SourceLocation;
  /** Where the text of the scalar at `path` starts (after an opening quote). */
  content(path: Path): SourceLocation;
}

export interface ErrorOptions {
  /** Point at the key of the node instead of its value. */
  key?: boolean;
  hint?: string;
  code?: ErrorCode;
}

export class Collector {
  readonly errors: FleetError[] = [];

  constructor(
    readonly file: string,
    private readonly locator: Locator,
  ) {}

  at(path: Path): SourceLocation {
    return this.locator.value(path);
  }

  keyAt(path: Path): SourceLocation {
    return this.locator.key(path);
  }

  contentAt(path: Path): SourceLocation {
    return this.locator.content(path);
  }

  error(path: Path, message: string, opts: ErrorOptions = {}): void {
    const location = opts.key ? this.keyAt(path) : this.at(path);
    this.errors.push(
      new FleetError(opts.code ?? 'E_VALIDATION', message, { location, hint: opts.hint }),
    );
  }

  add(error: FleetError): void {
    this.errors.push(error);
  }
}

/** Errors sorted into document order (stable; errors without a location last). */
export function inDocumentOrder(errors: readonly FleetError[]): FleetError[] {
  const rank = (e: FleetError): [number, number] =>
    e.location ? [e.location.line, e.location.col] : [Infinity, Infinity];
  return errors
    .map((e, i) => ({ e, i, r: rank(e) }))
    .sort((a, b) => a.r[0] - b.r[0] || a.r[1] - b.r[1] || a.i - b.i)
    .map((x) => x.e);
}
