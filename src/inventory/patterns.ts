/**
 * Host patterns, Ansible's syntax:
 *   - terms separated by `,` (or by `:` when the pattern has no comma);
 *   - a term is a host name, a group name, `all` or `*`, or a glob with `*` and
 *     `?` matched against host AND group names;
 *   - a term may end in a subscript that picks from its hosts in inventory
 *     order: `web[0]`, `web[-1]`, `web[1:3]` (end inclusive, like Ansible),
 *     `web[2:]`, `web[:1]`;
 *   - `!term` excludes, `&term` intersects.
 * Evaluation: the union of the plain terms (or all hosts when there are none),
 * then each intersection, then each exclusion. Result in inventory order.
 * Stricter than Ansible: a term that matches no host or group is an error
 * (E_PATTERN), globs included. A group that exists but has no hosts is fine.
 */
import picomatch from 'picomatch';
import { FleetError, type SourceLocation } from '../errors/fleet-error.ts';
import type { Inventory } from './types.ts';

export interface PatternOptions {
  /** Where the pattern was written (a play's `hosts:`), attached to errors. */
  location?: SourceLocation;
}

interface Term {
  op: '' | '!' | '&';
  base: string;
  text: string;
  sub?: { start?: number; end?: number; slice: boolean };
}

const TERM_RE = /^([A-Za-z0-9_.*?-]+)(?:\[(-?\d*)(?:(:)(-?\d*))?\])?$/;
const SYNTAX_HINT =
  'a pattern is terms separated by , or : — host or group names, all, globs with * and ?,\n' +
  'an optional subscript like web[0] or web[1:3], !term to exclude, &term to intersect';

function splitPattern(pattern: string): string[] {
  if (pattern.includes(',')) return pattern.split(',');
  // Split on ':' outside [...] so that web[1:3] stays one term.
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (const ch of pattern) {
    if (ch === '[') depth++;
    else if (ch === ']') depth = Math.max(0, depth - 1);
    if (ch === ':' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

function parseTerm(raw: string, err: (m: string, hint?: string) => FleetError): Term {
  const text = raw.trim();
  const op = text[0] === '!' || text[0] === '&' ? text[0] : '';
  const body = text.slice(op.length);
  if (body === '') throw err(`'${text}' needs a host or group after '${op}'`, SYNTAX_HINT);
  if (body[0] === '~') throw err(`regular-expression patterns ('${text}') are not supported`, SYNTAX_HINT);
  if (body[0] === '@') throw err(`limit files ('${text}') are not supported`, SYNTAX_HINT);
  const m = TERM_RE.exec(body);
  if (!m) throw err(`invalid host pattern term '${text}'`, SYNTAX_HINT);
  const term: Term = { op, base: m[1], text };
  if (body.includes('[')) {
    const [, , a, colon, b] = m;
    if (!colon && a === '') throw err(`empty subscript in '${text}'`, SYNTAX_HINT);
    term.sub = {
      slice: !!colon,
      ...(a !== '' && a !== '-' ? { start: Number(a) } : {}),
      ...(b !== undefined && b !== '' && b !== '-' ? { end: Number(b) } : {}),
    };
    if ((a === '-' || b === '-')) throw err(`invalid subscript in '${text}'`, SYNTAX_HINT);
  }
  return term;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

function suggest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(1, Math.min(3, Math.floor(name.length / 3)));
  for (const c of candidates) {
    if (Math.abs(c.length - name.length) > bestD) continue;
    const d = editDistance(name, c);
    if (d <= bestD && (best === undefined || d < bestD)) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

/** Host names matching `pattern`, in inventory order. */
export function selectHosts(inventory: Inventory, pattern: string, options: PatternOptions = {}): string[] {
  const err = (message: string, hint?: string): FleetError =>
    new FleetError('E_PATTERN', message, {
      ...(options.location ? { location: options.location } : {}),
      ...(hint ? { hint } : {}),
    });
  if (typeof pattern !== 'string' || pattern.trim() === '') throw err('empty host pattern', SYNTAX_HINT);
  const terms = splitPattern(pattern)
    .filter((t) => t.trim() !== '')
    .map((t) => parseTerm(t, err));
  if (terms.length === 0) throw err(`host pattern '${pattern}' has no terms`, SYNTAX_HINT);

  const allNames = inventory.hosts.map((h) => h.name);
  const hostSet = new Set(allNames);
  const members = new Map<string, string[]>();
  for (const name of Object.keys(inventory.groups)) members.set(name, []);
  for (const h of inventory.hosts) for (const g of h.groups) members.get(g)?.push(h.name);

  const resolveTerm = (t: Term): string[] => {
    let found: string[];
    if (t.base === 'all' || t.base === '*') found = allNames;
    else if (/[*?]/.test(t.base)) {
      const isMatch = picomatch(t.base, { dot: true, nobrace: true, noextglob: true, nonegate: true });
      const picked = new Set<string>();
      let any = false;
      for (const [g, hs] of members) {
        if (!isMatch(g)) continue;
        any = true;
        for (const h of hs) picked.add(h);
      }
      for (const h of allNames) {
        if (isMatch(h)) {
          any = true;
          picked.add(h);
        }
      }
      if (!any) throw err(`no host or group matches '${t.base}'`);
      found = allNames.filter((h) => picked.has(h));
    } else if (members.has(t.base)) found = members.get(t.base)!;
    else if (hostSet.has(t.base)) found = [t.base];
    else {
      const near = suggest(t.base, [...members.keys(), ...allNames]);
      throw err(`no host or group matches '${t.base}'`, near ? `did you mean '${near}'?` : undefined);
    }
    if (!t.sub) return found;
    const n = found.length;
    const norm = (i: number): number => (i < 0 ? n + i : i);
    if (!t.sub.slice) {
      const i = norm(t.sub.start!);
      if (i < 0 || i >= n) throw err(`subscript in '${t.text}' is out of range ('${t.base}' has ${n} hosts)`);
      return [found[i]];
    }
    const start = t.sub.start === undefined ? 0 : norm(t.sub.start);
    const end = t.sub.end === undefined ? n - 1 : norm(t.sub.end);
    const picked = found.slice(Math.max(0, start), Math.max(0, end + 1));
    if (picked.length === 0) throw err(`'${t.text}' matches no hosts ('${t.base}' has ${n} hosts)`);
    return picked;
  };

  const plain = terms.filter((t) => t.op === '');
  const selected = new Set<string>(plain.length === 0 ? allNames : plain.flatMap(resolveTerm));
  for (const t of terms.filter((x) => x.op === '&')) {
    const keep = new Set(resolveTerm(t));
    for (const h of [...selected]) if (!keep.has(h)) selected.delete(h);
  }
  for (const t of terms.filter((x) => x.op === '!')) for (const h of resolveTerm(t)) selected.delete(h);
  return allNames.filter((h) => selected.has(h));
}

/** The hosts of `hosts` that also match `limit` (order of `hosts` kept). */
export function limitHosts(
  inventory: Inventory,
  hosts: readonly string[],
  limit: string,
  options: PatternOptions = {},
): string[] {
  const allowed = new Set(selectHosts(inventory, limit, options));
  return hosts.filter((h) => allowed.has(h));
}
