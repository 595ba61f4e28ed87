/** The inventory: loading, host patterns and queries. */
export type { Inventory, InventoryGroup, InventoryHost, HostConnection } from './types.ts';
export { loadInventory, parseInventory } from './load.ts';
export { selectHosts, limitHosts, type PatternOptions } from './patterns.ts';
export {
  hostVars,
  groupMembers,
  inventoryGroupsVar,
  inventoryToJSON,
  REDACTED,
  type InventoryJSON,
  type InventoryJSONOptions,
} from './query.ts';
export { SECRET_VAR_NAMES } from './connection.ts';
