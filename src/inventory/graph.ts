/**
 * Group graph checks and facts: cycles, name clashes, the implicit `ungrouped`
 * group, group depth (longest path from `all`) and each host's groups.
 * Iterative throughout, so deep or wide inventories cannot overflow the stack.
 */
import { FleetError } from '../errors/fleet-error.ts';
import { locate, type YamlSource } from '../core/yaml-locate.ts';
import type { RawInventory } from './walk.ts';

/** Add Ansible's implicit `ungrouped` group: hosts that are in no group but `all`. */
export function addUngrouped(raw: RawInventory): void {
  let g = raw.groups.get('ungrouped');
  if (!g) {
    g = { name: 'ungrouped', hosts: [], hostSet: new Set(), children: [], childPaths: new Map(), varsBlocks: [] };
    raw.groups.set('ungrouped', g);
  }
  const all = raw.groups.get('all')!;
  if (!all.children.includes('ungrouped')) all.children.push('ungrouped');
  for (const h of raw.hosts.values()) {
    if (!h.directGroups.some((d) => d !== 'all') && !g.hostSet.has(h.name)) {
      g.hostSet.add(h.name);
      g.hosts.push(h.name);
      h.directGroups.push('ungrouped');
    }
  }
}

/** A name must not be both a host and a group. */
export function checkNameClashes(raw: RawInventory, src: YamlSource): void {
  for (const h of raw.hosts.values()) {
    const g = raw.groups.get(h.name);
    if (!g) continue;
    const where = g.path ? locate(src, g.path, { key: true }) : undefined;
    throw new FleetError('E_INVENTORY', `'${h.name}' is both a host and a group`, {
      location: locate(src, h.path, { key: true }),
      hint: where
        ? `group '${g.name}' is defined at ${where.line}:${where.col}; rename one of them`
        : `'${g.name}' is a built-in group; rename the host`,
    });
  }
}

/** Refuse cyclic children (a → b → a), naming the cycle and where it closes. */
export function checkCycles(raw: RawInventory, src: YamlSource): void {
  const state = new Map<string, 1 | 2>(); // 1: on the stack, 2: done
  for (const start of raw.groups.keys()) {
    if (state.has(start)) continue;
    const stack: Array<{ name: string; next: number }> = [{ name: start, next: 0 }];
    state.set(start, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const g = raw.groups.get(top.name)!;
      if (top.next >= g.children.length) {
        state.set(top.name, 2);
        stack.pop();
        continue;
      }
      const child = g.children[top.next++];
      const s = state.get(child);
      if (s === 2) continue;
      if (s === 1) {
        const from = stack.findIndex((f) => f.name === child);
        const cycle = [...stack.slice(from).map((f) => f.name), child];
        const path = g.childPaths.get(child);
        throw new FleetError('E_INVENTORY', `cyclic group children: ${cycle.join(' → ')}`, {
          ...(path ? { location: locate(src, path, { key: true }) } : {}),
          hint: 'a group cannot contain itself, directly or through its children',
        });
      }
      state.set(child, 1);
      stack.push({ name: child, next: 0 });
    }
  }
}

/** Depth of each group: length of the longest path from `all` (all = 0). Needs an acyclic graph. */
export function groupDepths(raw: RawInventory): Map<string, number> {
  const indegree = new Map<string, number>();
  for (const name of raw.groups.keys()) indegree.set(name, 0);
  for (const g of raw.groups.values()) for (const c of g.children) indegree.set(c, (indegree.get(c) ?? 0) + 1);
  const depth = new Map<string, number>();
  const queue: string[] = [];
  for (const [name, d] of indegree) {
    if (d === 0) {
      queue.push(name);
      depth.set(name, name === 'all' ? 0 : 1);
    }
  }
  for (let i = 0; i < queue.length; i++) {
    const name = queue[i];
    const d = depth.get(name)!;
    for (const c of raw.groups.get(name)!.children) {
      depth.set(c, Math.max(depth.get(c) ?? 0, d + 1));
      const left = indegree.get(c)! - 1;
      indegree.set(c, left);
      if (left === 0) queue.push(c);
    }
  }
  return depth;
}

/** Parents of each group. */
export function groupParents(raw: RawInventory): Map<string, string[]> {
  const parents = new Map<string, string[]>();
  for (const name of raw.groups.keys()) parents.set(name, []);
  for (const g of raw.groups.values()) for (const c of g.children) parents.get(c)!.push(g.name);
  return parents;
}

/** Compare groups by depth, then name (code-unit order), as Ansible does. */
export function byDepthThenName(depth: Map<string, number>): (a: string, b: string) => number {
  return (a, b) => (depth.get(a)! - depth.get(b)!) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Every group a host is in, directly or through children, including `all`; sorted by depth then name. */
export function hostGroups(
  direct: readonly string[],
  parents: Map<string, string[]>,
  order: (a: string, b: string) => number,
): string[] {
  const seen = new Set<string>(['all']);
  const todo = [...direct];
  while (todo.length > 0) {
    const g = todo.pop()!;
    if (seen.has(g)) continue;
    seen.add(g);
    for (const p of parents.get(g) ?? []) todo.push(p);
  }
  return [...seen].sort(order);
}
