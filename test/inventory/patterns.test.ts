import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseInventory, selectHosts, limitHosts } from '../../src/inventory/index.ts';
import { ANSIBLE_5, thrown, yaml } from './helpers.ts';

const inv = parseInventory(ANSIBLE_5, 'inv.yml');
const sel = (p: string) => selectHosts(inv, p);
const ALL = ['master1', 'master2', 'worker1', 'worker2', 'worker3'];

function patternError(p: string, message: RegExp) {
  const e = thrown(() => selectHosts(inv, p));
  assert.equal(e.code, 'E_PATTERN', e.describe());
  assert.match(e.message, message);
  return e;
}

test('all, *, host names and group names', () => {
  assert.deepEqual(sel('all'), ALL);
  assert.deepEqual(sel('*'), ALL);
  assert.deepEqual(sel('worker2'), ['worker2']);
  assert.deepEqual(sel('masters'), ['master1', 'master2']);
  assert.deepEqual(sel('k8s'), ALL);
  assert.deepEqual(sel('ungrouped'), []);
});

test('union keeps inventory order, not pattern order, and has no duplicates', () => {
  assert.deepEqual(sel('worker3:master1'), ['master1', 'worker3']);
  assert.deepEqual(sel('worker3,master1,master1'), ['master1', 'worker3']);
  assert.deepEqual(sel('workers:masters'), ALL);
  assert.deepEqual(sel(' worker1 , master2 '), ['master2', 'worker1']);
});

test('exclusion and intersection', () => {
  assert.deepEqual(sel('all:!masters'), ['worker1', 'worker2', 'worker3']);
  assert.deepEqual(sel('k8s:!worker2'), ['master1', 'master2', 'worker1', 'worker3']);
  assert.deepEqual(sel('k8s:&masters'), ['master1', 'master2']);
  assert.deepEqual(sel('masters:&workers'), []);
  assert.deepEqual(sel('k8s,&workers,!worker1'), ['worker2', 'worker3']);
});

test('order: union first, then intersections, then exclusions, wherever they are written', () => {
  assert.deepEqual(sel('!masters:workers'), ['worker1', 'worker2', 'worker3']);
  assert.deepEqual(sel('!worker1:&workers:masters:worker1'), []);
  assert.deepEqual(sel('&workers:master1:worker1:worker2'), ['worker1', 'worker2']);
  // a later plain term cannot bring back an excluded host
  assert.deepEqual(sel('!worker1:worker1:worker2'), ['worker2']);
});

test('only exclusions or intersections start from all hosts', () => {
  assert.deepEqual(sel('!masters'), ['worker1', 'worker2', 'worker3']);
  assert.deepEqual(sel('&masters'), ['master1', 'master2']);
  assert.deepEqual(sel('!masters:!worker3'), ['worker1', 'worker2']);
});

test('globs with * and ? match host and group names', () => {
  assert.deepEqual(sel('worker*'), ['worker1', 'worker2', 'worker3']);
  assert.deepEqual(sel('master?'), ['master1', 'master2']);
  assert.deepEqual(sel('*1'), ['master1', 'worker1']);
  assert.deepEqual(sel('k8?'), ALL); // a group
  assert.deepEqual(sel('mast*'), ['master1', 'master2']); // hosts and the masters group
  assert.deepEqual(sel('*:!worker?'), ['master1', 'master2']);
  assert.deepEqual(sel('all:&*2'), ['master2', 'worker2']);
});

test('globs treat . literally and match names with dots', () => {
  const dotted = parseInventory(yaml('web:', '  hosts:', '    a.example.com:', '    abexample.com:', '    .hidden:'), 'd.yml');
  assert.deepEqual(selectHosts(dotted, 'a.*'), ['a.example.com']);
  assert.deepEqual(selectHosts(dotted, '*.com'), ['a.example.com', 'abexample.com']);
  assert.deepEqual(selectHosts(dotted, '*hidden'), ['.hidden']);
});

test('subscripts pick from a term in inventory order (end inclusive)', () => {
  assert.deepEqual(sel('workers[0]'), ['worker1']);
  assert.deepEqual(sel('workers[-1]'), ['worker3']);
  assert.deepEqual(sel('workers[1:2]'), ['worker2', 'worker3']);
  assert.deepEqual(sel('workers[1:]'), ['worker2', 'worker3']);
  assert.deepEqual(sel('workers[:1]'), ['worker1', 'worker2']);
  assert.deepEqual(sel('all[0:1]:workers[-1]'), ['master1', 'master2', 'worker3']);
  assert.deepEqual(sel('k8s:!workers[0]'), ['master1', 'master2', 'worker2', 'worker3']);
  assert.deepEqual(sel('worker*[1]'), ['worker2']);
  patternError('workers[3]', /out of range \('workers' has 3 hosts\)/);
  patternError('workers[-4]', /out of range/);
  patternError('workers[5:9]', /matches no hosts/);
  patternError('workers[]', /empty subscript/);
  patternError('workers[a]', /invalid host pattern term/);
});

test('a term that matches nothing is an error naming it, with a suggestion', () => {
  const e = patternError('wrker1', /^no host or group matches 'wrker1'$/);
  assert.equal(e.hint, "did you mean 'worker1'?");
  patternError('masters:!wrkers', /no host or group matches 'wrkers'/);
  patternError('all:&nothing', /'nothing'/);
  const far = patternError('zzzzzz', /'zzzzzz'/);
  assert.equal(far.hint, undefined);
  patternError('db*', /no host or group matches 'db\*'/);
  patternError('x?', /'x\?'/);
});

test('empty and malformed patterns', () => {
  patternError('', /empty host pattern/);
  patternError('   ', /empty host pattern/);
  patternError(', ,,', /no terms/);
  patternError(',,:', /invalid host pattern term ':'/);
  patternError('!', /needs a host or group/);
  patternError('all:&', /needs a host or group/);
  patternError('~web.*', /regular-expression patterns/);
  patternError('@retry.txt', /limit files/);
  patternError('web servers', /invalid host pattern term 'web servers'/);
  patternError('a{b,c}', /invalid/);
  patternError('!!masters', /invalid/);
});

test('empty terms between separators are skipped', () => {
  assert.deepEqual(sel('masters,,worker1,'), ['master1', 'master2', 'worker1']);
  assert.deepEqual(sel(':masters:'), ['master1', 'master2']);
});

test('errors carry the location of the pattern when given', () => {
  const location = { file: 'site.yml', line: 3, col: 10 };
  const e = thrown(() => selectHosts(inv, 'nope', { location }));
  assert.deepEqual(e.location, location);
  assert.match(e.describe(), /^site\.yml:3:10: no host or group matches 'nope'/);
});

test('limitHosts intersects and keeps the order of the given hosts', () => {
  assert.deepEqual(limitHosts(inv, ['worker3', 'master1', 'worker1'], 'workers'), ['worker3', 'worker1']);
  assert.deepEqual(limitHosts(inv, ALL, 'all:!worker*'), ['master1', 'master2']);
  assert.deepEqual(limitHosts(inv, ['master1'], 'workers'), []);
  assert.equal(thrown(() => limitHosts(inv, ALL, 'wrkers')).code, 'E_PATTERN');
});

test('names that are Object.prototype properties are not groups', () => {
  patternError('constructor', /no host or group matches 'constructor'/);
  patternError('toString', /'toString'/);
  const odd = parseInventory(yaml('constructor:', '  hosts: { valueOf: }'), 'o.yml');
  assert.deepEqual(selectHosts(odd, 'constructor'), ['valueOf']);
  assert.deepEqual(selectHosts(odd, 'valueOf'), ['valueOf']);
});

test('selection is fast on a large inventory', () => {
  const lines = ['all:', '  children:'];
  for (let g = 0; g < 50; g++) {
    lines.push(`    g${g}:`, '      hosts:');
    for (let h = 0; h < 100; h++) lines.push(`        h${g}-${h}:`);
  }
  const t0 = performance.now();
  const big = parseInventory(yaml(...lines), 'big.yml');
  const parsed = performance.now();
  assert.equal(big.hosts.length, 5000);
  // g1 and g11..g19 (g10 excluded), hosts -10..-19 of each
  const picked = selectHosts(big, 'g1*:&*-1?:!g10');
  assert.equal(picked.length, 100);
  assert.deepEqual(picked.slice(0, 2), ['h1-10', 'h1-11']);
  assert.ok(!picked.some((h) => h.startsWith('h10-')));
  const t1 = performance.now();
  for (let i = 0; i < 20; i++) selectHosts(big, 'all:!g3:&g*');
  const t2 = performance.now();
  assert.ok(parsed - t0 < 2000, `parse took ${parsed - t0} ms`);
  assert.ok((t2 - t1) / 20 < 100, `select took ${(t2 - t1) / 20} ms`);
});
