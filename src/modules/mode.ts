/**
 * File modes as written in playbooks.
 *
 * - Octal strings: "0644", "644", "0o644", "01777" (at most 0o7777).
 * - Numbers: YAML 1.2 reads `mode: 0644` as the decimal NUMBER 644, so a number
 *   whose decimal digits are all 0-7 (and at most 7777) is read as octal digits:
 *   644 -> 0o644, 1777 -> 0o1777. Any other number (e.g. 493, which is what
 *   `0o755` becomes in YAML) is rejected: its intent is ambiguous, write the mode
 *   as a quoted string ("0755"). This follows Ansible's advice to quote modes.
 * - Symbolic modes like chmod(1): "u=rw,g=r,o=r", "u+x", "go-w", "a=rX", "g=u".
 *   `+`/`-`/copying are relative to the current mode (for a path that does not
 *   exist yet: 0644 for files, 0755 for directories).
 */

export type ModeSpec =
  | { kind: 'octal'; bits: number; text: string }
  | { kind: 'symbolic'; clauses: SymbolicClause[]; text: string };

interface SymbolicAction {
  op: '+' | '-' | '=';
  /** Permission letters (r w x X s t), or a class to copy from (u g o). */
  perms: string;
}

interface SymbolicClause {
  who: string;
  actions: SymbolicAction[];
}

const MAX_MODE = 0o7777;

/** Parse a mode; throws an Error whose message says what is wrong. */
export function parseMode(value: string | number): ModeSpec {
  if (typeof value === 'number') {
    const digits = String(value);
    if (!Number.isInteger(value) || !/^[0-7]{1,4}$/.test(digits)) {
      throw new Error(
        `mode ${digits} is not a valid octal mode; write it as a quoted string like "0644" ` +
          '(an unquoted number is read as octal digits only when all its digits are 0-7)',
      );
    }
    return { kind: 'octal', bits: parseInt(digits, 8), text: `0${digits}` };
  }
  const s = value.trim();
  const octal = /^(?:0o)?([0-7]{1,5})$/i.exec(s);
  if (octal) {
    const bits = parseInt(octal[1], 8);
    if (bits > MAX_MODE) throw new Error(`mode "${value}" is larger than 07777`);
    return { kind: 'octal', bits, text: `0${bits.toString(8).padStart(3, '0')}` };
  }
  return { kind: 'symbolic', clauses: parseSymbolic(s, value), text: s };
}

function parseSymbolic(s: string, original: string): SymbolicClause[] {
  const bad = (): Error =>
    new Error(`mode "${original}" is neither an octal mode like "0644" nor a symbolic mode like "u=rw,g=r,o=r"`);
  if (s === '') throw bad();
  const clauses: SymbolicClause[] = [];
  for (const part of s.split(',')) {
    const m = /^([ugoa]*)((?:[-+=](?:[ugo]|[rwxXst]*))+)$/.exec(part);
    if (!m) throw bad();
    const actions: SymbolicAction[] = [];
    for (const a of m[2].matchAll(/([-+=])([ugo]|[rwxXst]*)/g)) {
      actions.push({ op: a[1] as SymbolicAction['op'], perms: a[2] });
    }
    clauses.push({ who: m[1], actions });
  }
  return clauses;
}

/** Bits a class letter covers (with its special bit). */
const CLASS_MASK: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007 };
const CLASS_SHIFT: Record<string, number> = { u: 6, g: 3, o: 0 };

function whoMask(who: string): number {
  if (who === '' || who.includes('a')) return MAX_MODE;
  let mask = 0;
  for (const c of who) mask |= CLASS_MASK[c];
  return mask;
}

function permBits(perms: string, current: number, isDir: boolean): number {
  if (perms === 'u' || perms === 'g' || perms === 'o') {
    const rwx = (current >> CLASS_SHIFT[perms]) & 0o7;
    return rwx * 0o111;
  }
  let bits = 0;
  for (const c of perms) {
    if (c === 'r') bits |= 0o444;
    else if (c === 'w') bits |= 0o222;
    else if (c === 'x') bits |= 0o111;
    else if (c === 'X') bits |= isDir || (current & 0o111) !== 0 ? 0o111 : 0;
    else if (c === 's') bits |= 0o6000;
    else if (c === 't') bits |= 0o1000;
  }
  return bits;
}

/**
 * The permission bits a mode gives a path whose current bits are `current`
 * (undefined: the path does not exist yet).
 */
export function resolveMode(spec: ModeSpec, current: number | undefined, isDir: boolean): number {
  if (spec.kind === 'octal') return spec.bits;
  let mode = current === undefined ? (isDir ? 0o755 : 0o644) : current & MAX_MODE;
  for (const clause of spec.clauses) {
    const mask = whoMask(clause.who);
    for (const action of clause.actions) {
      const bits = permBits(action.perms, mode, isDir) & mask;
      if (action.op === '+') mode |= bits;
      else if (action.op === '-') mode &= ~bits;
      else mode = (mode & ~mask) | bits;
    }
  }
  return mode & MAX_MODE;
}

/** "0644" */
export function formatMode(bits: number): string {
  return `0${bits.toString(8).padStart(3, '0')}`;
}
