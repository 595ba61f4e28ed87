/** Regexp substitution over text, shared by replace and copy's edits. */
import { compilePattern, hasGroupRefs, parseTemplate, substituteAll, templateGroupError, templateText, translatePattern } from './regex.ts';

export interface Substitution {
  text: string;
  count: number;
}

/** A compiled substitution: pattern with the multiline flag (like Python's re.MULTILINE) and its template. */
export interface Substituter {
  apply(text: string): Substitution;
  /** The replacement text when it holds no group references, else undefined. */
  literal: string | undefined;
}

/** Compile pattern + replacement; throws Error with a readable message. */
export function substituter(pattern: string, replacement: string): Substituter {
  const re = compilePattern(pattern, 'gm');
  const parts = parseTemplate(replacement);
  const err = templateGroupError(re, parts);
  if (err) throw new Error(err);
  return {
    apply: (text) => substituteAll(text, re, parts),
    literal: hasGroupRefs(parts) ? undefined : templateText(parts),
  };
}

const REGION = 'fleetRegion__';

/**
 * The part of `text` between the first match of `after` and the last match of
 * `before` (Ansible's replace: `after(?P<subsection>.*?)before` with DOTALL when
 * both are given, `after(.*)` or `(.*)before` otherwise). Undefined when the
 * patterns do not match.
 */
export function region(text: string, after?: string, before?: string): { start: number; end: number } | undefined {
  if (after === undefined && before === undefined) return { start: 0, end: text.length };
  const a = after === undefined ? undefined : translatePattern(after);
  const b = before === undefined ? undefined : translatePattern(before);
  const lazy = a && b ? '?' : '';
  const source = `${a ? `(?:${a.source})` : ''}(?<${REGION}>[\\s\\S]*${lazy})${b ? `(?:${b.source})` : ''}`;
  const flags = [...new Set(`${a?.flags ?? ''}${b?.flags ?? ''}sd`.split(''))].join('');
  const m = new RegExp(source, flags).exec(text);
  const span = m?.indices?.groups?.[REGION];
  return span ? { start: span[0], end: span[1] } : undefined;
}
