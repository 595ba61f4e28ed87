/** The only place errors and run results become exit codes. */
import type { RunResult } from '../events/types.ts';
import { FleetError } from '../errors/fleet-error.ts';

export const EXIT = {
  ok: 0,
  internal: 1,
  hostFailed: 2,
  unreachable: 3,
  badInput: 4,
  interrupted: 130,
} as const;

export function exitCodeForResult(result: RunResult): number {
  switch (result) {
    case 'ok': return EXIT.ok;
    case 'failed': return EXIT.hostFailed;
    case 'unreachable': return EXIT.unreachable;
    case 'interrupted': return EXIT.interrupted;
  }
}

export function exitCodeForError(e: unknown): number {
  if (!(e instanceof FleetError)) return EXIT.internal;
  if (e.code === 'E_INTERRUPTED') return EXIT.interrupted;
  switch (e.fault) {
    case 'user': return EXIT.badInput;
    case 'host': return e.code === 'E_UNREACHABLE' || e.code.startsWith('E_HOST_KEY') || e.code === 'E_AUTH' ? EXIT.unreachable : EXIT.hostFailed;
    case 'fleet': return EXIT.internal;
  }
}
