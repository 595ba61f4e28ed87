/** Shared helpers for the playbook loader tests. */
import type { SourceLocation } from '../../src/errors/fleet-error.ts';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { parsePlaybook, validatePlaybook } from '../../src/playbook/load.ts';
import type { Playbook, Task } from '../../src/playbook/types.ts';
import { modules } from './fake-modules.ts';

export const FILE = 'site.yml';

/** YAML from lines, so that line numbers in tests are the array positions + 1. */
export function y(...lines: string[]): string {
  return lines.join('\n') + '\n';
}

export function L(line: number, col: number, file = FILE): SourceLocation {
  return { file, line, col };
}

export function parse(text: string): Playbook {
  return parsePlaybook(text, FILE, { modules });
}

export function errors(text: string): FleetError[] {
  return validatePlaybook(text, FILE, { modules });
}

/** The error parsePlaybook throws (fails the test when it does not throw a FleetError). */
export function thrown(text: string): FleetError {
  try {
    parse(text);
  } catch (e) {
    if (e instanceof FleetError) return e;
    throw new Error(`expected a FleetError, got ${String(e)}`);
  }
  throw new Error('expected parsePlaybook to throw');
}

/** A Task with the loader's defaults, for exact comparisons. */
export function task(fields: Partial<Task> & Pick<Task, 'name' | 'location' | 'module' | 'args'>): Task {
  return {
    kind: 'task',
    when: [],
    tags: [],
    ignoreErrors: false,
    noLog: false,
    vars: {},
    runOnce: false,
    argLocations: {},
    loopVar: 'item',
    notify: [],
    retries: 0,
    delay: 5,
    listen: [],
    ...fields,
  };
}
