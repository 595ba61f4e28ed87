/** Summaries of repeated measurements: median and range, and ratios between tools. */

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarize(values: readonly number[]): Summary {
  return {
    n: values.length,
    median: median(values),
    min: values.length ? Math.min(...values) : Number.NaN,
    max: values.length ? Math.max(...values) : Number.NaN,
  };
}

/** a / b of the medians (NaN when either is missing). */
export function ratio(a: Summary | undefined, b: Summary | undefined): number {
  if (!a || !b || !(b.median > 0)) return Number.NaN;
  return a.median / b.median;
}

/**
 * The order in which the tools run in round `round` (0-based): the list
 * rotated by `round`, so each tool goes first once in every `tools.length`
 * rounds and none always runs right after the same neighbour's cache effects.
 */
export function interleave<T>(tools: readonly T[], round: number): T[] {
  if (tools.length === 0) return [];
  const k = ((round % tools.length) + tools.length) % tools.length;
  return [...tools.slice(k), ...tools.slice(0, k)];
}

