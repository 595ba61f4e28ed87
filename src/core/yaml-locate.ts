/**
 * YAML with source positions, shared by the inventory and playbook loaders.
 *
 * - `parseYamlSource(text, file)` parses one YAML document (eemeli/yaml) with
 *   duplicate keys rejected (E_YAML at the second key), merge keys (`<<`)
 *   enabled like Ansible, and a LineCounter; syntax errors and unknown tags
 *   (`!vault`) become E_YAML FleetErrors with file:line:col.
 * - `yamlToJS(src)` converts it to plain data, failing fast (E_YAML) on alias
 *   bombs (more than MAX_ALIAS_COUNT alias expansions) and absurd nesting.
 * - `locate(src, path)` maps a path of keys/indices in that plain data (for
 *   example a zod issue path) back to the node's line and column, or to its
 *   nearest existing ancestor when the path goes further than the document.
 */
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Pair,
  type YAMLError,
} from 'yaml';
import { FleetError, type SourceLocation } from '../errors/fleet-error.ts';

/** Keys (mapping keys, as strings) and indices (sequence positions). */
export type YamlPath = readonly (string | number)[];

export interface YamlSource {
  doc: Document.Parsed;
  lineCounter: LineCounter;
  file: string;
}

/** How many alias expansions toJS allows before calling it an attack. */
export const MAX_ALIAS_COUNT = 100;

export interface LocateOptions {
  /** Point at the mapping key instead of its value (for "bad name" errors). */
  key?: boolean;
}

/** Parse one YAML document; throws E_YAML on syntax errors and unknown tags. */
export function parseYamlSource(text: string, file: string): YamlSource {
  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, {
      prettyErrors: true,
      // Duplicate keys are checked below in linear time; yaml's own check is
      // quadratic (10,000 hosts in one group took seconds).
      uniqueKeys: false,
      merge: true,
      lineCounter,
      logLevel: 'error',
    });
  } catch (e) {
    // yaml's parser recurses once per level of block nesting
    if (!(e instanceof RangeError)) throw e;
    throw new FleetError('E_YAML', 'YAML document is nested too deeply', { location: { file, line: 1, col: 1 }, cause: e });
  }
  const src: YamlSource = { doc, lineCounter, file };
  const first = doc.errors[0];
  if (first) throw yamlErrorToFleet(src, first);
  let dup: { key: string; offset: number } | undefined;
  let nul: number | undefined;
  try {
    dup = duplicateKey(doc);
    nul = nulScalar(doc);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new FleetError('E_YAML', 'YAML document is nested too deeply', { location: { file, line: 1, col: 1 }, cause: e });
  }
  if (dup) {
    throw new FleetError('E_YAML', `duplicate key '${dup.key}' in a mapping`, {
      location: offsetLocation(src, dup.offset),
      hint: 'each key may appear once in a mapping',
    });
  }
  const badTag = doc.warnings.find((w) => w.code === 'TAG_RESOLVE_FAILED');
  if (badTag) {
    throw yamlErrorToFleet(src, badTag, 'YAML tags like !vault are not supported; use plain values');
  }
  if (nul !== undefined) {
    throw new FleetError('E_YAML', 'a string contains a NUL character (\\0), which no file, command or path can hold', {
      location: offsetLocation(src, nul),
    });
  }
  return src;
}

/** Offset of the first scalar (key or value) whose string holds a NUL character (YAML's "\0" or "\x00" escapes). */
function nulScalar(doc: Document.Parsed): number | undefined {
  let found: number | undefined;
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('\0')) return undefined;
      found = nodeStart(node) ?? 0;
      return visit.BREAK;
    },
  });
  return found;
}

/** Plain JS data of the document; E_YAML on alias bombs and runaway nesting. */
export function yamlToJS(src: YamlSource): unknown {
  try {
    return src.doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    if (e instanceof ReferenceError && /^Unresolved alias/.test(e.message)) {
      const alias = unresolvedAlias(src);
      throw new FleetError('E_YAML', `unknown alias${alias ? ` *${alias.name}` : ''}: no anchor of that name before it`, {
        location: offsetLocation(src, alias?.offset ?? 0),
        cause: e,
      });
    }
    if (e instanceof ReferenceError && /alias/i.test(e.message)) {
      throw new FleetError('E_YAML', `too many YAML alias expansions (limit ${MAX_ALIAS_COUNT})`, {
        location: { file: src.file, line: 1, col: 1 },
        hint: 'aliases that expand to aliases grow exponentially ("billion laughs"); write the data out',
        cause: e,
      });
    }
    if (e instanceof RangeError) {
      throw new FleetError('E_YAML', 'YAML document is nested too deeply', {
        location: { file: src.file, line: 1, col: 1 },
        cause: e,
      });
    }
    if (e instanceof Error && /^Merge sources/.test(e.message)) {
      throw new FleetError('E_YAML', 'a merge key (<<) needs a mapping, an alias of one, or a list of those', {
        location: offsetLocation(src, badMerge(src) ?? 0),
        cause: e,
      });
    }
    if (e instanceof Error) {
      throw new FleetError('E_YAML', e.message, { location: { file: src.file, line: 1, col: 1 }, cause: e });
    }
    throw e;
  }
}

/** Offset of the first `<<` key whose value is not a mapping, an alias of one, or a list of those. */
function badMerge(src: YamlSource): number | undefined {
  let found: number | undefined;
  const isSource = (n: unknown): boolean => isMap(deref(src, n));
  visit(src.doc, {
    Pair(_key, pair) {
      if (!isMergeKey(pair.key)) return undefined;
      const v = deref(src, pair.value);
      if (isMap(v) || (isSeq(v) && v.items.every(isSource))) return undefined;
      found = nodeStart(pair.key) ?? 0;
      return visit.BREAK;
    },
  });
  return found;
}

/**
 * The first repeated key (in document order) of any mapping. Keys compare as
 * the strings they become in plain data, so `1` and "1" are duplicates too.
 */
function duplicateKey(doc: Document.Parsed): { key: string; offset: number } | undefined {
  let best: { key: string; offset: number } | undefined;
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const k = keyString(pair.key);
        if (k === undefined) continue;
        const at = nodeStart(pair.key);
        if (seen.has(k) && at !== undefined && (best === undefined || at < best.offset)) best = { key: k, offset: at };
        seen.add(k);
      }
    },
  });
  return best;
}

/** The first alias whose anchor does not exist (before it). */
function unresolvedAlias(src: YamlSource): { name: string; offset: number } | undefined {
  let found: { name: string; offset: number } | undefined;
  visit(src.doc, {
    Alias(_key, node) {
      if (node.resolve(src.doc) !== undefined) return undefined;
      found = { name: node.source, offset: nodeStart(node) ?? 0 };
      return visit.BREAK;
    },
  });
  return found;
}

/** Line and column (1-based) of a character offset. */
export function offsetLocation(src: YamlSource, offset: number): SourceLocation {
  const { line, col } = src.lineCounter.linePos(offset);
  return { file: src.file, line, col };
}

/** Turn a YAML parse error or warning into an E_YAML FleetError with its location. */
export function yamlErrorToFleet(src: YamlSource, err: YAMLError, hint?: string): FleetError {
  // prettyErrors appends " at line L, column C:\n\n<context>"; keep the context as a hint.
  const m = /^([\s\S]*?) at line \d+, column \d+:?\n?([\s\S]*)$/.exec(err.message);
  const raw = m ? m[1] : err.message;
  const message = err.code === 'RESOURCE_EXHAUSTION' ? `YAML document is nested too deeply (${raw})` : raw;
  const context = m ? m[2].replace(/^\n+|\n+$/g, '') : '';
  const extra = [context, hint].filter((s): s is string => !!s).join('\n');
  return new FleetError('E_YAML', message, {
    location: offsetLocation(src, err.pos[0]),
    ...(extra ? { hint: extra } : {}),
  });
}

function keyString(key: unknown): string | undefined {
  if (!isScalar(key) || typeof key.value === 'symbol') return undefined;
  return key.value === null || key.value === undefined ? '' : String(key.value);
}

function isMergeKey(key: unknown): boolean {
  if (!isScalar(key)) return false;
  const v = key.value;
  return v === '<<' || (typeof v === 'symbol' && v.description === '<<');
}

function nodeStart(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as { range?: [number, number, number] | null }).range;
    if (range) return range[0];
  }
  return undefined;
}

function deref(src: YamlSource, node: unknown): unknown {
  let n = node;
  for (let i = 0; i < 100 && isAlias(n); i++) n = n.resolve(src.doc);
  return n;
}

/** Key → pair index of each mapping, built on first use (documents are not changed after parsing). */
const pairIndex = new WeakMap<object, Map<string, Pair>>();

function pairsOf(map: { items: unknown[] }): Map<string, Pair> {
  let index = pairIndex.get(map);
  if (!index) {
    index = new Map();
    for (const pair of map.items) {
      if (!isPair(pair)) continue;
      const k = keyString(pair.key);
      if (k !== undefined) index.set(k, pair); // the last one wins, like toJS
    }
    pairIndex.set(map, index);
  }
  return index;
}

/** The pair for `key` in a mapping node, looking through `<<` merge keys too. */
function findPair(src: YamlSource, map: unknown, key: string, depth = 0): Pair | undefined {
  const m = deref(src, map);
  if (!isMap(m) || depth > 20) return undefined;
  const direct = pairsOf(m).get(key);
  if (direct) return direct;
  for (const pair of m.items) {
    if (!isPair(pair) || !isMergeKey(pair.key)) continue;
    const v = deref(src, pair.value);
    const sources = isSeq(v) ? v.items : [v];
    for (let i = sources.length - 1; i >= 0; i--) {
      const found = findPair(src, sources[i], key, depth + 1);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * Location of the node at `path` (keys for mappings, indices for sequences),
 * or of its nearest existing ancestor. Aliases are followed to their anchor.
 * Empty values (`key:` with nothing after it) point at their key.
 */
export function locate(src: YamlSource, path: YamlPath, options: LocateOptions = {}): SourceLocation {
  let node: unknown = src.doc.contents;
  let best = nodeStart(node) ?? 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const cur = deref(src, node);
    const last = i === path.length - 1;
    if (isSeq(cur) && typeof seg === 'number') {
      node = cur.items[seg];
      const at = nodeStart(node);
      if (at === undefined) break;
      best = at;
      continue;
    }
    if (!isMap(cur)) break;
    const pair = findPair(src, cur, String(seg));
    if (!pair) break;
    const keyAt = nodeStart(pair.key);
    const valueAt = isScalar(pair.value) && pair.value.value === null && !pair.value.source
      ? undefined
      : nodeStart(pair.value);
    if (last && options.key) {
      best = keyAt ?? best;
      break;
    }
    best = valueAt ?? keyAt ?? best;
    node = pair.value;
    if (valueAt === undefined) break;
  }
  return offsetLocation(src, best);
}

/** Location of a mapping key at `path` (or nearest ancestor). */
export function locateKey(src: YamlSource, path: YamlPath): SourceLocation {
  return locate(src, path, { key: true });
}
