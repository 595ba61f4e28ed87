/**
 * Split a command line into words with /bin/sh quoting rules and nothing else:
 * no variables, globs, command substitution, redirections or operators. `;`,
 * `|`, `$(...)`, `*` are ordinary characters of a word.
 *
 * - Unquoted blanks (space, tab, newline) separate words.
 * - '...' keeps everything literally up to the next '.
 * - "..." keeps everything literally except that a backslash escapes $ ` " \
 *   and a newline (which is removed); before any other character the
 *   backslash stays.
 * - An unquoted backslash makes the next character literal; backslash-newline
 *   is removed (line continuation).
 * - '' and "" make an empty word.
 */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i += 1;
      continue;
    }
    if (c === '\\' && line[i + 1] === '\n') {
      i += 2; // line continuation: removed, does not start or end a word
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated single quote in: ${line}`);
      word += line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i += 1;
      for (;;) {
        if (i >= line.length) throw new Error(`unterminated double quote in: ${line}`);
        const d = line[i];
        if (d === '"') break;
        if (d === '\\' && i + 1 < line.length && '$`"\\\n'.includes(line[i + 1])) {
          if (line[i + 1] !== '\n') word += line[i + 1];
          i += 2;
        } else {
          word += d;
          i += 1;
        }
      }
      i += 1;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new Error(`command ends with a lone backslash: ${line}`);
      word += line[i + 1];
      i += 2;
    } else {
      word += c;
      i += 1;
    }
  }
  if (inWord) words.push(word);
  return words;
}
