/** Tokenizer for the condition language (Jinja/Ansible flavoured). */
import { ExprSyntaxError } from './syntax-error.ts';

export type TokenKind = 'num' | 'str' | 'name' | 'kw' | 'op' | 'eof';

export interface Token {
  kind: TokenKind;
  /** Operator/keyword/name text, or the decoded string literal. */
  text: string;
  /** Parsed value of a number literal. */
  num?: number;
  /** 0-based offset in the source. */
  pos: number;
}

export const KEYWORDS: ReadonlySet<string> = new Set([
  'and', 'or', 'not', 'in', 'is',
  'true', 'false', 'True', 'False',
  'null', 'none', 'None',
]);

/** Longest first, so `//` wins over `/` and `<=` over `<`. */
const OPERATORS = ['==', '!=', '<=', '>=', '//', '<', '>', '+', '-', '*', '/', '%', '|', '.', ',', '(', ')', '[', ']'];

const HINTS: Record<string, string> = {
  '&&': "use 'and' instead of '&&'",
  '||': "use 'or' instead of '||'",
  '!': "use 'not' instead of '!'",
  '{{': 'conditions are already expressions: write them without {{ }}',
  '=': "use '==' to compare",
};

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', "'": "'", '"': '"',
  a: '\x07', b: '\b', f: '\f', v: '\v',
};

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const DIGIT = /[0-9]/;

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    const prev = tokens[tokens.length - 1];
    if (DIGIT.test(c)) {
      // After a dot (`x.0`) only an integer index is read, so `x.0.1` is two steps.
      const afterDot = prev !== undefined && prev.kind === 'op' && prev.text === '.';
      i = afterDot ? scanDigits(src, i) : scanNumber(src, i);
      const text = src.slice(start, i);
      tokens.push({ kind: 'num', text, num: Number(text), pos: start });
      continue;
    }
    if (IDENT_START.test(c)) {
      while (i < src.length && IDENT_PART.test(src[i])) i++;
      const text = src.slice(start, i);
      tokens.push({ kind: KEYWORDS.has(text) ? 'kw' : 'name', text, pos: start });
      continue;
    }
    if (c === "'" || c === '"') {
      const { value, end } = scanString(src, i);
      tokens.push({ kind: 'str', text: value, pos: start });
      i = end;
      continue;
    }
    const op = OPERATORS.find((o) => src.startsWith(o, i));
    const hint = Object.keys(HINTS).find((h) => src.startsWith(h, i));
    if (op && !(hint && hint.length > op.length)) {
      tokens.push({ kind: 'op', text: op, pos: start });
      i += op.length;
      continue;
    }
    throw new ExprSyntaxError(
      `unexpected character '${printable(c)}'` + (hint ? ` (${HINTS[hint]})` : ''),
      start,
    );
  }
  tokens.push({ kind: 'eof', text: '', pos: src.length });
  return tokens;
}

function scanDigits(src: string, i: number): number {
  while (i < src.length && DIGIT.test(src[i])) i++;
  return i;
}

function scanNumber(src: string, i: number): number {
  i = scanDigits(src, i);
  if (src[i] === '.' && DIGIT.test(src[i + 1] ?? '')) i = scanDigits(src, i + 1);
  if ((src[i] === 'e' || src[i] === 'E') && /^[+-]?[0-9]/.test(src.slice(i + 1, i + 3))) {
    i++;
    if (src[i] === '+' || src[i] === '-') i++;
    i = scanDigits(src, i);
  }
  return i;
}

function scanString(src: string, start: number): { value: string; end: number } {
  const quote = src[start];
  let out = '';
  let i = start + 1;
  while (i < src.length) {
    const c = src[i];
    if (c === quote) return { value: out, end: i + 1 };
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = src[i + 1];
    if (e === undefined) break;
    if (e in SIMPLE_ESCAPES) {
      out += SIMPLE_ESCAPES[e];
      i += 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = src.slice(i + 2, i + 2 + len);
      const code = /^[0-9A-Fa-f]+$/.test(hex) && hex.length === len ? parseInt(hex, 16) : NaN;
      if (!(code <= 0x10ffff)) throw new ExprSyntaxError(`bad escape '\\${e}${hex}' in string`, i);
      out += String.fromCodePoint(code);
      i += 2 + len;
    } else if (e === '\n') {
      i += 2; // line continuation
    } else {
      out += '\\' + e; // Python keeps unknown escapes as they are
      i += 2;
    }
  }
  throw new ExprSyntaxError('unterminated string', start);
}

function printable(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  return code < 0x20 || code === 0x7f ? `\\x${code.toString(16).padStart(2, '0')}` : c;
}
