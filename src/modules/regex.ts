/**
 * Regular expressions and replacement templates written the way Ansible users
 * write them (Python `re` syntax), run with JavaScript's RegExp.
 *
 * Patterns: Python-only syntax is translated: `(?P<name>...)`, `(?P=name)`,
 * `\A`, `\Z`, `(?#comment)`, leading inline flags `(?i)`, `(?m)`, `(?s)`, and a
 * `]` right after `[` / `[^` (a literal in Python). Escapes of letters that
 * neither language shares (`\e`, `\p`, `\U`...) are rejected instead of being
 * read as a plain letter, as JavaScript would silently do.
 *
 * Replacement templates: `\1`..`\99`, `\g<1>`, `\g<name>` (Python), and `$1`,
 * `${1}`, `$<name>` (JavaScript) are group references; `\\` is a backslash,
 * `$$` a dollar; `\n \t \r \f \v \a \b` and octal `\0`/`\101` are characters.
 * Any other backslash before a non-letter stays as written (Python's rule);
 * before a letter it is an error. A `$` not followed by a digit, `{` or `<`
 * is a plain dollar.
 */

const JS_SHARED_ESCAPES = new Set(['d', 'D', 'w', 'W', 's', 'S', 'b', 'B', 'n', 'r', 't', 'f', 'v', 'x', 'u', 'k']);
const FLAG_LETTERS = new Set(['i', 'm', 's']);

/** Translate a Python-style pattern to a JavaScript RegExp source and flags. Throws Error on bad syntax. */
export function translatePattern(pattern: string): { source: string; flags: string } {
  let flags = '';
  let i = 0;
  const lead = /^\(\?([a-zA-Z]+)\)/.exec(pattern);
  if (lead) {
    for (const f of lead[1]) {
      if (!FLAG_LETTERS.has(f)) throw new Error(`inline flag (?${f}) is not supported`);
      if (!flags.includes(f)) flags += f;
    }
    i = lead[0].length;
  }
  let out = '';
  let inClass = false;
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) throw new Error('pattern ends with a lone backslash');
      if (n === 'A' || n === 'Z') {
        if (inClass) throw new Error(`\\${n} cannot be used inside [...]`);
        out += n === 'A' ? '(?<![\\s\\S])' : '(?![\\s\\S])';
      } else if (n === 'a') {
        out += '\\x07';
      } else if (/[a-zA-Z]/.test(n) && !JS_SHARED_ESCAPES.has(n)) {
        throw new Error(`unsupported escape \\${n}`);
      } else {
        out += c + n;
      }
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      i += 1;
      continue;
    }
    if (c === '[') {
      inClass = true;
      const negated = pattern[i + 1] === '^';
      out += negated ? '[^' : '[';
      i += negated ? 2 : 1;
      if (pattern[i] === ']') {
        out += '\\]';
        i += 1;
      }
      continue;
    }
    if (pattern.startsWith('(?P<', i)) {
      out += '(?<';
      i += 4;
      continue;
    }
    if (pattern.startsWith('(?P=', i)) {
      const end = pattern.indexOf(')', i);
      if (end < 0) throw new Error('unterminated (?P=name)');
      out += `\\k<${pattern.slice(i + 4, end)}>`;
      i = end + 1;
      continue;
    }
    if (pattern.startsWith('(?#', i)) {
      const end = pattern.indexOf(')', i);
      if (end < 0) throw new Error('unterminated comment (?#...)');
      i = end + 1;
      continue;
    }
    out += c;
    i += 1;
  }
  return { source: out, flags };
}

/** Compile a Python-style pattern with extra JS flags (e.g. 'gm'). Throws Error with a readable message. */
export function compilePattern(pattern: string, extraFlags = ''): RegExp {
  const { source, flags } = translatePattern(pattern);
  const all = [...new Set((flags + extraFlags).split(''))].join('');
  try {
    return new RegExp(source, all);
  } catch (e) {
    const msg = e instanceof Error ? e.message.replace(/^Invalid regular expression: /, '') : String(e);
    throw new Error(`invalid regular expression '${pattern}': ${msg}`);
  }
}

/** Error message for a bad pattern, or undefined when it compiles. */
export function patternError(pattern: string): string | undefined {
  try {
    compilePattern(pattern);
    return undefined;
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return msg.startsWith('invalid regular expression') ? msg : `invalid regular expression '${pattern}': ${msg}`;
  }
}

export type TemplatePart = { text: string } | { group: number | string };

const CHAR_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07', b: '\b' };

/** Split a replacement template into literal text and group references. Throws Error on bad syntax. */
export function parseTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let text = '';
  const group = (g: number | string): void => {
    if (text) parts.push({ text });
    text = '';
    parts.push({ group: g });
  };
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    const rest = template.slice(i + 1);
    let m: RegExpExecArray | null;
    if (c === '\\') {
      const n = template[i + 1];
      if (n === undefined) throw new Error('replacement ends with a lone backslash');
      if (n === '\\') { text += '\\'; i += 2; continue; }
      if (n === 'g') {
        m = /^g<([^>]*)>/.exec(rest);
        if (!m) throw new Error('bad \\g reference: write \\g<1> or \\g<name>');
        group(/^\d+$/.test(m[1]) ? Number(m[1]) : checkName(m[1]));
        i += 1 + m[0].length;
        continue;
      }
      if ((m = /^(?:0[0-7]{0,2}|[0-3][0-7]{2})/.exec(rest)) && (m[0][0] === '0' || m[0].length === 3)) {
        text += String.fromCharCode(parseInt(m[0], 8));
        i += 1 + m[0].length;
        continue;
      }
      if ((m = /^\d\d?/.exec(rest))) { group(Number(m[0])); i += 1 + m[0].length; continue; }
      if (CHAR_ESCAPES[n] !== undefined) { text += CHAR_ESCAPES[n]; i += 2; continue; }
      if (/[a-zA-Z]/.test(n)) throw new Error(`bad escape \\${n} in replacement`);
      text += c + n;
      i += 2;
      continue;
    }
    if (c === '$') {
      if (template[i + 1] === '$') { text += '$'; i += 2; continue; }
      if ((m = /^(?:(\d\d?)|\{(\d+)\}|<([^>]*)>)/.exec(rest))) {
        group(m[3] !== undefined ? checkName(m[3]) : Number(m[1] ?? m[2]));
        i += 1 + m[0].length;
        continue;
      }
    }
    text += c;
    i += 1;
  }
  if (text) parts.push({ text });
  return parts;
}

function checkName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`bad group name '${name}' in replacement`);
  return name;
}

export function hasGroupRefs(parts: readonly TemplatePart[]): boolean {
  return parts.some((p) => 'group' in p);
}

/** The literal text of a template without group references. */
export function templateText(parts: readonly TemplatePart[]): string {
  return parts.map((p) => ('text' in p ? p.text : '')).join('');
}

/** Check that every group a template references exists in the pattern. Returns an error message or undefined. */
export function templateGroupError(re: RegExp, parts: readonly TemplatePart[]): string | undefined {
  const count = (new RegExp(`${re.source}|`, re.flags.replace(/[gy]/g, '')).exec('') ?? []).length - 1;
  const names = new Set([...re.source.matchAll(/\(\?<([A-Za-z_][A-Za-z0-9_]*)>/g)].map((m) => m[1]));
  for (const p of parts) {
    if (!('group' in p)) continue;
    if (typeof p.group === 'number' && p.group > count) {
      return `replacement refers to group ${p.group} but the regexp has ${count} group(s)`;
    }
    if (typeof p.group === 'string' && !names.has(p.group)) {
      return `replacement refers to group '${p.group}' which the regexp does not define`;
    }
  }
  return undefined;
}

/** Expand a template with a match (unmatched groups become empty strings, as in Python 3.5+). */
export function expandTemplate(parts: readonly TemplatePart[], m: RegExpExecArray): string {
  let out = '';
  for (const p of parts) {
    if ('text' in p) out += p.text;
    else if (typeof p.group === 'number') out += m[p.group] ?? '';
    else out += m.groups?.[p.group] ?? '';
  }
  return out;
}

/** Replace every match of `re` (must have the g flag) in `text`; returns the new text and the match count. */
export function substituteAll(
  text: string,
  re: RegExp,
  parts: readonly TemplatePart[],
): { text: string; count: number } {
  if (!re.global) throw new Error('substituteAll needs a global RegExp');
  let out = '';
  let last = 0;
  let count = 0;
  for (const m of text.matchAll(re)) {
    out += text.slice(last, m.index) + expandTemplate(parts, m);
    last = m.index + m[0].length;
    count += 1;
  }
  return { text: count ? out + text.slice(last) : text, count };
}
