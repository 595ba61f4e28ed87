import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { parseInventory, selectHosts, type Inventory } from '../../src/inventory/index.ts';
import { ANSIBLE_5 } from './helpers.ts';

/** Either a value, or a FleetError for bad input; never another error, never E_INTERNAL. */
function outcome<T>(fn: () => T): T | FleetError {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof FleetError)) throw new Error(`not a FleetError: ${e instanceof Error ? e.stack : String(e)}`);
    assert.equal(e.fault, 'user', e.describe());
    if (e.location) {
      assert.ok(Number.isInteger(e.location.line) && e.location.line >= 1, e.describe());
      assert.ok(Number.isInteger(e.location.col) && e.location.col >= 1, e.describe());
    }
    return e;
  }
}

/** Invariants every loaded inventory keeps. */
function checkInventory(inv: Inventory): void {
  const names = inv.hosts.map((h) => h.name);
  assert.equal(new Set(names).size, names.length);
  for (const h of inv.hosts) {
    assert.equal(h.groups[0], 'all');
    for (const g of h.groups) assert.ok(Object.hasOwn(inv.groups, g), g);
    assert.ok(!Object.hasOwn(inv.groups, h.name));
    assert.ok(h.connection.port >= 1 && h.connection.port <= 65535);
    assert.ok(h.connection.connectTimeoutMs >= 1);
  }
  assert.deepEqual(selectHosts(inv, 'all'), names);
}

const NAMES = ['all', 'a', 'b', 'c', 'web', 'db', 'h1', 'h2', 'h3', 'hosts', 'vars', 'children', 'port', 'address'];

/** Inventory-shaped data: groups with hosts, vars and children drawn from a small name set (cycles likely). */
const inventoryish = fc.letrec((tie) => ({
  group: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.record(
      {
        hosts: fc.oneof(
          fc.dictionary(fc.constantFrom(...NAMES), fc.oneof(fc.constant(null), tie('vars'))),
          fc.array(fc.constantFrom(...NAMES)),
          fc.constant(null),
        ),
        vars: tie('vars'),
        children: fc.oneof(fc.constant(null), fc.dictionary(fc.constantFrom(...NAMES), tie('group'), { maxKeys: 3 })),
      },
      { requiredKeys: [] },
    ),
  ),
  vars: fc.oneof(
    fc.constant(null),
    fc.dictionary(
      fc.constantFrom('port', 'ansible_port', 'address', 'user', 'jump_host', 'x', 'y', 'bad-name', 'connect_timeout', 'ansible_ssh_common_args'),
      fc.oneof(fc.integer({ min: -5, max: 70000 }), fc.string({ maxLength: 12 }), fc.constantFrom('h1', '-J h2', '22', 'a b'), fc.constant(null), fc.boolean()),
    ),
  ),
  top: fc.dictionary(fc.constantFrom(...NAMES), tie('group'), { maxKeys: 4 }),
}));

test('parseInventory on arbitrary strings: a value or a FleetError', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200 }), (s) => {
      const r = outcome(() => parseInventory(s, 'fuzz.yml'));
      if (!(r instanceof FleetError)) checkInventory(r);
    }),
    { numRuns: 1500 },
  );
});

test('parseInventory on YAML-ish strings (mutated real inventories): a value or a FleetError', () => {
  const pieces = ANSIBLE_5.split('\n');
  const chars = fc.constantFrom(':', ' ', '\n', '-', '[', ']', '{', '}', '&a', '*a', '!', '#', '"', "'", 'all', 'hosts', 'x', '\t', '<<');
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.constantFrom(...pieces), fc.array(chars, { maxLength: 8 }).map((a) => a.join(''))), { maxLength: 30 }), (parts) => {
      const r = outcome(() => parseInventory(parts.join('\n'), 'fuzz.yml'));
      if (!(r instanceof FleetError)) checkInventory(r);
    }),
    { numRuns: 1500 },
  );
});

test('parseInventory on arbitrary JSON values dumped to YAML: a value or a FleetError', () => {
  fc.assert(
    fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => {
      const r = outcome(() => parseInventory(stringify(v), 'fuzz.yml'));
      if (!(r instanceof FleetError)) checkInventory(r);
    }),
    { numRuns: 1000 },
  );
});

test('parseInventory on inventory-shaped objects: a value or a FleetError', () => {
  let ok = 0;
  fc.assert(
    fc.property(inventoryish.top, (top) => {
      const r = outcome(() => parseInventory(stringify(top), 'fuzz.yml'));
      if (!(r instanceof FleetError)) {
        ok++;
        checkInventory(r);
      }
    }),
    { numRuns: 1500 },
  );
  assert.ok(ok > 50, `only ${ok} valid inventories generated`);
});

const inv = parseInventory(ANSIBLE_5, 'inv.yml');
const ALL = inv.hosts.map((h) => h.name);

test('selectHosts on arbitrary strings: a subset in inventory order, or E_PATTERN', () => {
  const unit = fc.constantFrom('a', 'l', 'master', 'worker', 'workers', 'masters', 'k8s', '1', '2', '-', '*', '?', ':', ',', '!', '&', '[', ']', ' ', '0', '.', '~', '@');
  const check = (p: string) => {
    const r = outcome(() => selectHosts(inv, p));
    if (r instanceof FleetError) assert.equal(r.code, 'E_PATTERN');
    else {
      const idx = r.map((h) => ALL.indexOf(h));
      assert.ok(idx.every((i, k) => i >= 0 && (k === 0 || i > idx[k - 1])), `not an ordered subset: ${r}`);
    }
  };
  fc.assert(fc.property(fc.string({ unit, maxLength: 12 }), check), { numRuns: 3000 });
  fc.assert(fc.property(fc.string({ maxLength: 30 }), check), { numRuns: 1000 });
});

test('selectHosts algebra: union, intersection and exclusion agree with set operations', () => {
  const term = fc.constantFrom('all', 'masters', 'workers', 'k8s', 'master1', 'worker2', 'worker*', '*1', 'workers[0]', 'all[1:3]');
  fc.assert(
    fc.property(term, term, (x, y) => {
      const X = new Set(selectHosts(inv, x));
      const Y = new Set(selectHosts(inv, y));
      assert.deepEqual(selectHosts(inv, `${x}:${y}`), ALL.filter((h) => X.has(h) || Y.has(h)));
      assert.deepEqual(selectHosts(inv, `${x},&${y}`), ALL.filter((h) => X.has(h) && Y.has(h)));
      assert.deepEqual(selectHosts(inv, `${x},!${y}`), ALL.filter((h) => X.has(h) && !Y.has(h)));
      assert.deepEqual(selectHosts(inv, `!${y}`), ALL.filter((h) => !Y.has(h)));
    }),
    { numRuns: 300 },
  );
});
