/**
 * First pass of the inventory loader: walk the plain data of the YAML document
 * and collect groups, hosts, parent → child edges and every vars block with the
 * YAML path it came from (for error locations and precedence). Checks shapes
 * and names; graph checks (cycles, depth) are in graph.ts.
 */
import { FleetError } from '../errors/fleet-error.ts';
import { locate, type YamlPath, type YamlSource } from '../core/yaml-locate.ts';

/** One `vars:` mapping (or one host entry), in file order. */
export interface VarsBlock {
  vars: Record<string, unknown>;
  /** Path of the mapping that holds the vars (a group's `vars`, or a host entry). */
  path: YamlPath;
}

export interface RawGroup {
  name: string;
  /** Hosts listed directly, first-seen order, no duplicates. */
  hosts: string[];
  hostSet: Set<string>;
  children: string[];
  /** Where each child edge was first written (path of the child's key). */
  childPaths: Map<string, YamlPath>;
  varsBlocks: VarsBlock[];
  /** Path of the group's first definition (its key), undefined when implicit. */
  path?: YamlPath;
}

export interface RawHost {
  name: string;
  /** Host entries in file order (a host may be listed in several groups). */
  varsBlocks: VarsBlock[];
  /** Path of the first entry's key. */
  path: YamlPath;
  /** Groups listing this host directly. */
  directGroups: string[];
}

export interface RawInventory {
  groups: Map<string, RawGroup>;
  hosts: Map<string, RawHost>;
}

export const NAME_RE = /^[A-Za-z0-9_.-]+$/;
export const VAR_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Groups nested deeper than this (in the file) are refused. */
export const MAX_NESTING = 200;

const GROUP_KEYS = ['hosts', 'vars', 'children'];

export function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function describeType(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `a string ('${v.length > 40 ? v.slice(0, 40) + '…' : v}')`;
  return `a ${typeof v} (${String(v)})`;
}

export function walkInventory(data: unknown, src: YamlSource): RawInventory {
  const inv: RawInventory = { groups: new Map(), hosts: new Map() };
  const fail = (path: YamlPath, message: string, hint?: string, key = false): never => {
    throw new FleetError('E_INVENTORY', message, {
      location: locate(src, path, { key }),
      ...(hint ? { hint } : {}),
    });
  };

  const checkName = (name: string, kind: 'host' | 'group', path: YamlPath): void => {
    if (!NAME_RE.test(name)) {
      const hint = /\[.*:.*\]/.test(name)
        ? 'host ranges like web[01:10] are not supported; list each host'
        : /:\d+$/.test(name)
          ? 'write the port as a variable: `port: 2222`'
          : 'names may contain letters, digits, _, . and -';
      fail(path, `invalid ${kind} name '${name}'`, hint, true);
    }
    if (name === '__proto__') fail(path, `'__proto__' is a reserved name`, undefined, true);
  };

  const checkVars = (v: unknown, path: YamlPath, owner: string): Record<string, unknown> => {
    if (v === null || v === undefined) return {};
    if (!isMapping(v)) fail(path, `vars of ${owner} must be a mapping of variable names to values, got ${describeType(v)}`);
    const out: Record<string, unknown> = {};
    for (const [k, value] of Object.entries(v as Record<string, unknown>)) {
      if (!VAR_NAME_RE.test(k) || k === '__proto__') {
        fail([...path, k], `invalid variable name '${k}' in ${owner}`,
          'variable names are letters, digits and _, not starting with a digit', true);
      }
      out[k] = value;
    }
    return out;
  };

  const group = (name: string, path: YamlPath | undefined): RawGroup => {
    let g = inv.groups.get(name);
    if (!g) {
      g = { name, hosts: [], hostSet: new Set(), children: [], childPaths: new Map(), varsBlocks: [], ...(path ? { path } : {}) };
      inv.groups.set(name, g);
    } else if (!g.path && path) {
      g.path = path;
    }
    return g;
  };

  const addHosts = (g: RawGroup, v: unknown, path: YamlPath): void => {
    if (v === null || v === undefined) return;
    if (Array.isArray(v)) {
      fail(path, `hosts of group '${g.name}' must be a mapping of host names, got a list`,
        'list hosts as keys:\n  hosts:\n    web1:\n    web2: { address: 10.0.0.2 }');
    }
    if (!isMapping(v)) fail(path, `hosts of group '${g.name}' must be a mapping of host names, got ${describeType(v)}`);
    for (const [name, hv] of Object.entries(v as Record<string, unknown>)) {
      const hpath = [...path, name];
      checkName(name, 'host', hpath);
      if (hv !== null && hv !== undefined && !isMapping(hv)) {
        fail(hpath, `host '${name}' must be a mapping of variables or empty, got ${describeType(hv)}`,
          typeof hv === 'string' ? `to set its address write \`${name}: { address: ${hv} }\`` : undefined);
      }
      const vars = checkVars(hv, hpath, `host '${name}'`);
      let h = inv.hosts.get(name);
      if (!h) {
        h = { name, varsBlocks: [], path: hpath, directGroups: [] };
        inv.hosts.set(name, h);
      }
      h.varsBlocks.push({ vars, path: hpath });
      if (!g.hostSet.has(name)) {
        g.hostSet.add(name);
        g.hosts.push(name);
      }
      if (!h.directGroups.includes(g.name)) h.directGroups.push(g.name);
    }
  };

  const walkGroup = (name: string, body: unknown, path: YamlPath, parent: string | undefined, depth: number): void => {
    if (depth > MAX_NESTING) fail(path, `groups are nested more than ${MAX_NESTING} levels deep`, undefined, true);
    const g = group(name, path);
    if (parent !== undefined) {
      const p = group(parent, undefined);
      if (!p.children.includes(name)) {
        p.children.push(name);
        p.childPaths.set(name, path);
      }
    }
    if (body === null || body === undefined) return;
    if (!isMapping(body)) {
      fail(path, `group '${name}' must be a mapping with hosts, vars or children, got ${describeType(body)}`);
    }
    for (const [key, v] of Object.entries(body as Record<string, unknown>)) {
      const kpath = [...path, key];
      if (key === 'hosts') addHosts(g, v, kpath);
      else if (key === 'vars') g.varsBlocks.push({ vars: checkVars(v, kpath, `group '${name}'`), path: kpath });
      else if (key === 'children') {
        if (v === null || v === undefined) continue;
        if (!isMapping(v)) {
          fail(kpath, `children of group '${name}' must be a mapping of group names, got ${describeType(v)}`);
        }
        for (const [child, cbody] of Object.entries(v as Record<string, unknown>)) {
          const cpath = [...kpath, child];
          checkName(child, 'group', cpath);
          if (child === 'all') fail(cpath, `'all' cannot be a child of group '${name}'`, undefined, true);
          walkGroup(child, cbody, cpath, name, depth + 1);
        }
      } else {
        fail(kpath, `unknown key '${key}' in group '${name}'`,
          `a group has ${GROUP_KEYS.join(', ')}; put variables under vars:`, true);
      }
    }
  };

  group('all', undefined);
  if (data === null || data === undefined) return inv;
  if (!isMapping(data)) {
    fail([], `an inventory must be a mapping (all: or group names), got ${describeType(data)}`);
  }
  const top = data as Record<string, unknown>;
  if (Object.hasOwn(top, 'all')) {
    for (const [name, body] of Object.entries(top)) {
      if (name === 'all') walkGroup('all', body, ['all'], undefined, 0);
      else {
        checkName(name, 'group', [name]);
        walkGroup(name, body, [name], 'all', 1);
      }
    }
  } else if (GROUP_KEYS.some((k) => Object.hasOwn(top, k))) {
    walkGroup('all', top, [], undefined, 0);
    inv.groups.get('all')!.path = undefined;
  } else {
    for (const [name, body] of Object.entries(top)) {
      checkName(name, 'group', [name]);
      walkGroup(name, body, [name], 'all', 1);
    }
  }
  return inv;
}
