/**
 * The playbook loader: YAML text → Playbook, with every problem reported as a
 * FleetError pointing at its node before anything connects. Strings are not
 * templated here; conditions are syntax-checked.
 */
import { dirname, resolve } from 'node:path';
import { FleetError, isFleetError } from '../errors/fleet-error.ts';
import { readInputFile } from '../core/read-input.ts';
import { locate, locateKey, parseYamlSource, yamlToJS, type YamlSource } from '../core/yaml-locate.ts';
import type { ModuleDef } from '../modules/types.ts';
import { Collector, inDocumentOrder } from './context.ts';
import { readPlay } from './parse-play.ts';
import type { ModuleTable } from './parse-task.ts';
import { describeType } from './read.ts';
import type { Play, Playbook } from './types.ts';

export interface PlaybookOptions {
  /** The modules tasks may use, by name. */
  modules: Readonly<Record<string, ModuleDef>>;
  /**
   * Optional lookup for names not in `modules` (e.g. `ansible.builtin.shell`,
   * modules/index.ts's getModule). Tasks get the canonical `ModuleDef.name`.
   */
  resolveModule?: (name: string) => ModuleDef | undefined;
}

function moduleTable(opts: PlaybookOptions): ModuleTable {
  const { modules, resolveModule } = opts;
  return {
    names: Object.keys(modules),
    get: (key) => (Object.hasOwn(modules, key) ? modules[key] : resolveModule?.(key)),
  };
}

interface Result {
  playbook?: Playbook;
  /** In document order. */
  errors: FleetError[];
}

function parse(text: string, file: string, opts: PlaybookOptions): Result {
  let src: YamlSource;
  let data: unknown;
  try {
    src = parseYamlSource(text, file);
    data = yamlToJS(src);
  } catch (e) {
    if (isFleetError(e)) return { errors: [e] };
    // yaml's toJS throws plain Errors for data it cannot build (e.g. `<<: 1`, a merge of a scalar)
    if (e instanceof Error) {
      return { errors: [new FleetError('E_YAML', e.message, { location: { file, line: 1, col: 1 }, cause: e })] };
    }
    throw e;
  }
  const yaml = src;
  let lines: string[] | undefined;
  const c = new Collector(file, {
    value: (path) => locate(yaml, path),
    key: (path) => locateKey(yaml, path),
    content: (path) => {
      const at = locate(yaml, path);
      lines ??= text.split('\n');
      const ch = lines[at.line - 1]?.[at.col - 1];
      return ch === '"' || ch === "'" ? { ...at, col: at.col + 1 } : at;
    },
  });
  if (data === null || data === undefined) {
    c.error([], 'the playbook is empty', { hint: 'a playbook is a list of plays: "- hosts: all\\n  tasks: [...]"' });
    return { errors: c.errors };
  }
  if (!Array.isArray(data)) {
    c.error([], `a playbook must be a list of plays, not ${describeType(data)}`, {
      hint: 'start each play with "- hosts: ..."',
    });
    return { errors: c.errors };
  }
  const plays: Play[] = [];
  const table = moduleTable(opts);
  data.forEach((raw, i) => {
    const play = readPlay(c, raw, [i], table);
    if (play) plays.push(play);
  });
  const errors = inDocumentOrder(c.errors);
  if (errors.length) return { errors };
  return { playbook: { file, dir: dirname(resolve(file)), plays }, errors: [] };
}

/** Parse playbook text; throws the first error (in document order) as a FleetError. */
export function parsePlaybook(text: string, file: string, opts: PlaybookOptions): Playbook {
  const { playbook, errors } = parse(text, file, opts);
  if (errors.length || !playbook) {
    throw errors[0] ?? new FleetError('E_INTERNAL', `playbook ${file} produced neither plays nor errors`);
  }
  return playbook;
}

/** Every error in the playbook text, in document order (empty when it is valid). */
export function validatePlaybook(text: string, file: string, opts: PlaybookOptions): FleetError[] {
  return parse(text, file, opts).errors;
}

/** Read (at most 16 MiB of UTF-8 text) and parse a playbook file. */
export async function loadPlaybook(path: string, opts: PlaybookOptions): Promise<Playbook> {
  const text = await readInputFile(path, 'playbook');
  return parsePlaybook(text, path, opts);
}
