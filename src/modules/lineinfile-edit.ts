/**
 * Ansible's lineinfile algorithm (lib/ansible/modules/lineinfile.py, present()
 * and absent()) over lines that keep their own endings:
 *
 * present:
 * 1. With regexp (or search_string): the LAST matching line (the first with
 *    firstmatch) is replaced by `line` (with backrefs: the match's expansion
 *    of `line`); no change when equal.
 * 2. Otherwise, when a line equal to `line` exists: no change.
 * 3. Otherwise backrefs: no change at all (nothing to expand).
 * 4. Otherwise insert: BOF at the top; EOF, or an insertafter/insertbefore
 *    regexp that matches nothing, at the end; after the last line matching
 *    insertafter (the first with firstmatch) unless `line` is already there;
 *    before the last line matching insertbefore (the first with firstmatch).
 *
 * absent: remove every line matching regexp (or containing search_string, or
 * equal to line).
 *
 * Differences from Ansible, on purpose: patterns see a line without its line
 * ending; new lines use the file's own ending ('\n' or '\r\n'); a replaced
 * line keeps its ending; and a missing final newline is always added before
 * a line is appended (Ansible forgets it when inserting after a last line
 * that matches insertafter).
 */
import { expandTemplate, type TemplatePart } from './regex.ts';
import { lineEnding, type Line } from './lines.ts';

export interface PresentOptions {
  line: string;
  regexp?: RegExp;
  searchString?: string;
  /** Parsed `line` for backrefs. */
  backrefs?: TemplatePart[];
  insertafter?: string;
  insertbefore?: string;
  /** Compiled insertafter/insertbefore regexp when it is not BOF/EOF. */
  insertRe?: RegExp;
  firstmatch: boolean;
}

export interface EditResult {
  lines: Line[];
  changed: boolean;
  msg: string;
}

export function presentLine(input: readonly Line[], o: PresentOptions): EditResult {
  const lines = input.map((l) => ({ ...l }));
  const eol = lineEnding(lines);
  const unchanged: EditResult = { lines, changed: false, msg: '' };
  let found = -1;
  let match: RegExpExecArray | null = null;
  for (let i = 0; i < lines.length; i++) {
    const m = o.regexp ? o.regexp.exec(lines[i].text) : null;
    const hit = m !== null || (o.searchString !== undefined && lines[i].text.includes(o.searchString));
    if (hit) {
      found = i;
      match = m;
      if (o.firstmatch) break;
    }
  }
  let insertAt = -1;
  if (found < 0) {
    for (let i = 0; i < lines.length; i++) {
      if (lines[i].text === o.line) {
        found = i;
      } else if (o.insertRe && o.insertRe.test(lines[i].text)) {
        insertAt = o.insertafter !== undefined ? i + 1 : i;
        if (o.firstmatch) break;
      }
    }
  }
  const ensureFinalEol = (): void => {
    const last = lines.at(-1);
    if (last && last.eol === '') last.eol = eol;
  };

  if (found >= 0) {
    const text = o.backrefs && match ? expandTemplate(o.backrefs, match) : o.line;
    const cur = lines[found];
    const ending = cur.eol || eol;
    if (cur.text === text && cur.eol === ending) return unchanged;
    lines[found] = { text, eol: ending };
    return { lines, changed: true, msg: 'line replaced' };
  }
  if (o.backrefs) return unchanged;
  const added = (): EditResult => ({ lines, changed: true, msg: 'line added' });
  const newLine: Line = { text: o.line, eol };
  if (o.insertbefore === 'BOF' || o.insertafter === 'BOF') {
    lines.unshift(newLine);
    return added();
  }
  if (o.insertafter === 'EOF' || insertAt < 0) {
    ensureFinalEol();
    lines.push(newLine);
    return added();
  }
  if (o.insertafter !== undefined) {
    const next = insertAt === lines.length ? lines[insertAt - 1] : lines[insertAt];
    if (next.text === o.line) return unchanged;
    ensureFinalEol();
    lines.splice(insertAt, 0, newLine);
    return added();
  }
  lines.splice(insertAt, 0, newLine);
  return added();
}

export interface AbsentOptions {
  regexp?: RegExp;
  searchString?: string;
  line?: string;
}

export function absentLines(input: readonly Line[], o: AbsentOptions): EditResult & { removed: number } {
  const kept = input.filter((l) => {
    if (o.regexp) return !o.regexp.test(l.text);
    if (o.searchString !== undefined) return !l.text.includes(o.searchString);
    return l.text !== o.line;
  });
  const removed = input.length - kept.length;
  const lines = kept.map((l) => ({ ...l }));
  return { lines, changed: removed > 0, msg: removed ? `${removed} line(s) removed` : '', removed };
}
