/** Regular expressions for `match`/`search`/`regex_search`: Python syntax mapped to JS, bounded, cached. */

export const MAX_PATTERN_LENGTH = 512;
const CACHE_LIMIT = 256;
const cache = new Map<string, RegExp>();

/** Thrown by compilePattern; the evaluator turns it into an E_EXPRESSION error. */
export class PatternError extends Error {}

/**
 * Compile a Python-style pattern. `(?P<name>...)` and `(?P=name)` are mapped to
 * JS syntax and leading inline flags `(?ims)` become RegExp flags. `anchored`
 * gives a sticky regex for Python's `re.match` (match at the start only).
 */
export function compilePattern(pattern: string, anchored: boolean): RegExp {
  const key = (anchored ? 'y:' : 's:') + pattern;
  const hit = cache.get(key);
  if (hit) {
    hit.lastIndex = 0;
    return hit;
  }
  if (pattern.length > MAX_PATTERN_LENGTH) {
    throw new PatternError(`regular expression is longer than ${MAX_PATTERN_LENGTH} characters`);
  }
  let body = pattern;
  let flags = anchored ? 'y' : '';
  const inline = /^\(\?([imsx]+)\)/.exec(body);
  if (inline) {
    if (inline[1].includes('x')) throw new PatternError('the (?x) verbose flag is not supported');
    for (const f of new Set(inline[1])) flags += f;
    body = body.slice(inline[0].length);
  }
  body = body.replace(/\(\?P</g, '(?<').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  let re: RegExp;
  try {
    re = new RegExp(body, flags);
  } catch (e) {
    throw new PatternError(`invalid regular expression /${pattern}/: ${(e as Error).message}`);
  }
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(key, re);
  return re;
}

/** First match of `pattern` in `text` (anywhere, or at the start when anchored), or null. */
export function firstMatch(pattern: string, text: string, anchored: boolean): string | null {
  const re = compilePattern(pattern, anchored);
  re.lastIndex = 0;
  const m = re.exec(text);
  return m ? m[0] : null;
}
