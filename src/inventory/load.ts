/**
 * The inventory loader. One YAML format with two spellings (fleet's and
 * Ansible's), see connection.ts for the connection settings.
 *
 * Layout: the top level is `all:` (Ansible), or a mapping with hosts:/vars:/
 * children: (that mapping is `all`), or a mapping of group names (children of
 * an implicit `all`). Other top-level keys next to `all:` are groups too. A
 * group is a mapping with `hosts:` (host name → vars or nothing), `vars:` and
 * `children:` (group name → group body or nothing). A group or host may be
 * listed several times; its entries are merged in file order. Hosts that are in
 * no group but `all` are also in the built-in group `ungrouped`, like Ansible.
 *
 * Var precedence, lowest first (Ansible's, with hash_behaviour=replace: a later
 * value replaces the whole earlier value, dicts are not merged):
 *   1. `all` vars
 *   2. vars of every other group the host is in (directly or through children),
 *      ordered by depth, then by name (code-unit order); depth is the length of
 *      the longest children path from `all`. So a child group beats its
 *      parents, and of two unrelated groups at the same depth the one whose
 *      name sorts later wins. A group's own vars blocks apply in file order.
 *   3. host vars; a host listed several times: its entries in file order.
 * Connection settings follow the same precedence and stay visible in `vars`.
 * Extra vars (`-e`) are applied later by the executor, not here.
 */
import { dirname, resolve } from 'node:path';
import { FleetError } from '../errors/fleet-error.ts';
import { readInputFile } from '../core/read-input.ts';
import { locate, parseYamlSource, yamlToJS, type YamlPath, type YamlSource } from '../core/yaml-locate.ts';
import type { Inventory, InventoryGroup, InventoryHost } from './types.ts';
import { walkInventory, type VarsBlock } from './walk.ts';
import {
  addUngrouped,
  byDepthThenName,
  checkCycles,
  checkNameClashes,
  groupDepths,
  groupParents,
  hostGroups,
} from './graph.ts';
import { resolveConnection } from './connection.ts';

/** Read and parse an inventory file. */
export async function loadInventory(path: string): Promise<Inventory> {
  const text = await readInputFile(path, 'inventory');
  return parseInventory(text, path);
}

/** Parse inventory text; `file` is used for error locations and relative key paths. */
export function parseInventory(text: string, file: string): Inventory {
  try {
    return build(text, file);
  } catch (e) {
    if (e instanceof RangeError) {
      throw new FleetError('E_INVENTORY', 'inventory is nested too deeply', {
        location: { file, line: 1, col: 1 },
        cause: e,
      });
    }
    throw e;
  }
}

function mergeVars(blocks: readonly VarsBlock[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const b of blocks) Object.assign(out, b.vars);
  return out;
}

function build(text: string, file: string): Inventory {
  const src = parseYamlSource(text, file);
  const raw = walkInventory(yamlToJS(src), src);
  addUngrouped(raw);
  checkNameClashes(raw, src);
  checkCycles(raw, src);
  const depth = groupDepths(raw);
  const parents = groupParents(raw);
  const order = byDepthThenName(depth);
  const inventoryDir = dirname(resolve(file));

  const groups: Record<string, InventoryGroup> = {};
  for (const g of raw.groups.values()) {
    groups[g.name] = {
      name: g.name,
      hosts: [...g.hosts],
      children: [...g.children],
      vars: mergeVars(g.varsBlocks),
      ...(g.path ? { location: locate(src, g.path, { key: true }) } : {}),
    };
  }

  const hosts: InventoryHost[] = [];
  const jumpPaths = new Map<string, YamlPath>();
  for (const h of raw.hosts.values()) {
    const memberOf = hostGroups(h.directGroups, parents, order);
    const levels = [...memberOf.flatMap((g) => raw.groups.get(g)!.varsBlocks), ...h.varsBlocks];
    const { connection, jumpPath } = resolveConnection(h.name, levels, src, inventoryDir);
    if (jumpPath) jumpPaths.set(h.name, jumpPath);
    hosts.push({
      name: h.name,
      vars: mergeVars(levels),
      groups: memberOf,
      connection,
      location: locate(src, h.path, { key: true }),
    });
  }
  checkJumpCycles(hosts, jumpPaths, src);
  return { file, hosts, groups };
}

/** Jump hosts that name inventory hosts must not loop (a jumps via b, b via a). */
function checkJumpCycles(hosts: readonly InventoryHost[], jumpPaths: Map<string, YamlPath>, src: YamlSource): void {
  const byName = new Map(hosts.map((h) => [h.name, h]));
  const ok = new Set<string>();
  for (const start of hosts) {
    const chain: string[] = [];
    let cur: InventoryHost | undefined = start;
    while (cur && !ok.has(cur.name)) {
      if (chain.includes(cur.name)) {
        const cycle = [...chain.slice(chain.indexOf(cur.name)), cur.name];
        const path = jumpPaths.get(cur.name)!;
        throw new FleetError('E_INVENTORY', `jump hosts form a cycle: ${cycle.join(' → ')}`, {
          location: locate(src, path),
        });
      }
      chain.push(cur.name);
      cur = cur.connection.jumpHost === undefined ? undefined : byName.get(cur.connection.jumpHost);
    }
    for (const n of chain) ok.add(n);
  }
}
