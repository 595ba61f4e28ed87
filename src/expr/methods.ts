/** The only callable things: a fixed allowlist of string methods (`x.startswith('a')`). */
import { CallError, needString, pySplit, pyStrip, type CallSpec } from './call.ts';

function prefixes(name: string, arg: unknown): string[] {
  if (Array.isArray(arg)) return arg.map((a) => needString(name, a));
  return [needString(name, arg)];
}

const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

export const METHODS: Readonly<Record<string, CallSpec>> = {
  startswith: { min: 1, max: 1, fn: (s, [p]) => prefixes('startswith', p).some((x) => (s as string).startsWith(x)) },
  endswith: { min: 1, max: 1, fn: (s, [p]) => prefixes('endswith', p).some((x) => (s as string).endsWith(x)) },
  strip: { min: 0, max: 1, fn: (s, [c]) => pyStrip(s as string, c, true, true) },
  lstrip: { min: 0, max: 1, fn: (s, [c]) => pyStrip(s as string, c, true, false) },
  rstrip: { min: 0, max: 1, fn: (s, [c]) => pyStrip(s as string, c, false, true) },
  lower: { min: 0, max: 0, fn: (s) => (s as string).toLowerCase() },
  upper: { min: 0, max: 0, fn: (s) => (s as string).toUpperCase() },
  splitlines: {
    min: 0,
    max: 0,
    fn: (s) => {
      const text = s as string;
      if (text === '') return [];
      const lines = text.split(LINE_BREAK);
      if (lines[lines.length - 1] === '') lines.pop();
      return lines;
    },
  },
  split: { min: 0, max: 2, fn: (s, [sep, max]) => pySplit(s as string, sep, max) },
  find: { min: 1, max: 1, fn: (s, [sub]) => (s as string).indexOf(needString('find', sub)) },
};

/** Methods apply to strings only. */
export function callMethod(name: string, receiver: unknown, args: unknown[]): unknown {
  const spec = METHODS[name];
  if (typeof receiver !== 'string') {
    throw new CallError(`'.${name}()' works on strings only`);
  }
  return spec.fn(receiver, args);
}
