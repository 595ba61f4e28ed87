/**
 * Unknown values for check mode. A registered result of a command that did not
 * run is UNKNOWN (or an object marked with UNKNOWN_MARK); anything computed from
 * it is unknown too, and a condition or template that needs it throws
 * UnknownValueError so the executor can report "unknown until run".
 */

/** Marks an object as unknown: `{ [UNKNOWN_MARK]: true, ... }`. */
export const UNKNOWN_MARK: unique symbol = Symbol('fleet.unknown');

class UnknownValue {
  readonly [UNKNOWN_MARK] = true as const;
  toString(): string {
    return '<unknown until run>';
  }
  toJSON(): string {
    return '<unknown until run>';
  }
}

/** The one unknown value. Attribute access on it (in expressions) yields itself. */
export const UNKNOWN: Readonly<UnknownValue> = Object.freeze(new UnknownValue());

/** True for UNKNOWN and for objects marked with `[UNKNOWN_MARK]: true`. */
export function isUnknown(value: unknown): boolean {
  if (value === UNKNOWN) return true;
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { [UNKNOWN_MARK]?: unknown })[UNKNOWN_MARK] === true
  );
}

/**
 * Thrown when a condition or a template needs a value that is unknown until a
 * task runs (check mode). Deliberately not a FleetError: it is not a failure.
 */
export class UnknownValueError extends Error {
  /** Variables (or paths) whose value was unknown, when known. */
  readonly references: readonly string[];

  constructor(message: string, references: readonly string[] = []) {
    super(message);
    this.name = 'UnknownValueError';
    this.references = references;
  }
}

export function isUnknownValueError(e: unknown): e is UnknownValueError {
  return e instanceof UnknownValueError;
}

/**
 * Whether an unknown value hides anywhere inside plain arrays/objects.
 * Bounded: gives up (answers false) below `maxDepth` levels; cycles are skipped.
 */
export function containsUnknown(value: unknown, maxDepth = 64): boolean {
  const seen = new Set<object>();
  const walk = (v: unknown, depth: number): boolean => {
    if (isUnknown(v)) return true;
    if (typeof v !== 'object' || v === null || depth >= maxDepth || seen.has(v)) return false;
    seen.add(v);
    const items = Array.isArray(v) ? v : Object.values(v);
    for (const item of items) if (walk(item, depth + 1)) return true;
    return false;
  };
  return walk(value, 0);
}
