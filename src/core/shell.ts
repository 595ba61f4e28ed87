/** Quoting for /bin/sh. The only way fleet builds command lines from data. */
import { FleetError } from '../errors/fleet-error.ts';

/** Quote a value as one /bin/sh word. Rejects NUL, which no shell word can hold. */
export function shq(value: string | number): string {
  const s = String(value);
  if (s.includes('\0')) {
    throw new FleetError('E_VALIDATION', 'a value passed to the shell contains a NUL byte');
  }
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
