import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { PLAY_KEYS, HANDLER_KEYS, BLOCK_KEYS } from '../../src/playbook/keywords.ts';
import { errors, parse } from './helpers.ts';
import { modules } from './fake-modules.ts';

/** parsePlaybook returns a Playbook or throws a FleetError, and validatePlaybook agrees with it. */
function check(text: string): void {
  let ok: boolean;
  try {
    const pb = parse(text);
    assert.ok(Array.isArray(pb.plays));
    ok = true;
  } catch (e) {
    if (!(e instanceof FleetError)) throw e;
    assert.ok(['E_YAML', 'E_VALIDATION', 'E_EXPRESSION', 'E_INPUT_TOO_LARGE'].includes(e.code), e.code);
    assert.ok(e.location, `no location: ${e.message}`);
    ok = false;
  }
  const all = errors(text);
  assert.equal(all.length === 0, ok);
  for (const e of all) assert.ok(e instanceof FleetError && e.location);
}

const opts = { numRuns: 300 };

test('arbitrary strings', { timeout: 120_000 }, () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), check), opts);
});

test('arbitrary strings of YAML punctuation and keywords', { timeout: 120_000 }, () => {
  const piece = fc.constantFrom(
    '- ', '  ', ' ', ':', ': ', '\n', '{', '}', '[', ']', ',', '&a ', '*a', '"', "'", '#', '|', '>', '!!str ',
    '<<: ', '? ', '---\n', 'hosts', 'tasks', 'block', 'shell', 'when', 'notify', 'x', '{{ y }}', '1', 'true', 'null',
  );
  fc.assert(fc.property(fc.array(piece, { maxLength: 80 }).map((a) => a.join('')), check), opts);
});

test('arbitrary JSON-ish values dumped as YAML', { timeout: 120_000 }, () => {
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => check(stringify(v))), opts);
});

test('playbook-shaped values with random keys and values', { timeout: 120_000 }, () => {
  const moduleNames = Object.keys(modules);
  const scalar = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom('{{ x }}', 'a == 1', 'restart', '30%', 'linear', 'free', '', 'item'),
    fc.integer({ min: -5, max: 200 }),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
  );
  const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 8 }), scalar, { maxKeys: 3 }));
  const { task } = fc.letrec((tie) => ({
    task: fc.dictionary(
      fc.oneof(fc.constantFrom(...HANDLER_KEYS, ...moduleNames), fc.string({ maxLength: 8 })),
      fc.oneof(value, fc.dictionary(fc.constantFrom('cmd', 'path', 'state', 'mode', 'msg', 'name', 'dest'), scalar, { maxKeys: 3 })),
      { maxKeys: 5 },
    ),
    block: fc.record(
      {
        block: fc.array(tie('node'), { maxLength: 3 }),
        rescue: fc.array(tie('node'), { maxLength: 2 }),
        when: scalar,
        tags: value,
        [BLOCK_KEYS[0]]: scalar,
      },
      { requiredKeys: ['block'] },
    ),
    node: fc.oneof({ depthSize: 'small' }, tie('task'), tie('block')),
  }));
  const play = fc.dictionary(
    fc.constantFrom(...PLAY_KEYS),
    fc.oneof(value, fc.array(task, { maxLength: 4 })),
    { maxKeys: 8 },
  );
  fc.assert(fc.property(fc.array(play, { maxLength: 3 }), (pb) => check(stringify(pb))), opts);
});

test('generated playbooks: valid parts round-trip, each planted mistake is one error', { timeout: 120_000 }, () => {
  const task = fc.record(
    {
      name: fc.constantFrom('a', 'restart'),
      shell: fc.constantFrom('echo', 'ls /'),
      when: fc.constantFrom('a == 1', 'x', true),
      notify: fc.constantFrom('restart', 'nope'),
      register: fc.constantFrom('out', '1x'),
      tags: fc.constantFrom('a', ['a', 'b']),
    },
    { requiredKeys: ['shell'] },
  );
  const play = fc.record({
    hosts: fc.constantFrom('all', 'web'),
    tags: fc.constantFrom([], ['p']),
    tasks: fc.array(task, { maxLength: 4 }),
    handlers: fc.constant([{ name: 'restart', debug: {} }]),
  });
  fc.assert(
    fc.property(fc.array(play, { maxLength: 3 }), (plays) => {
      const text = stringify(plays);
      const planted = plays.flatMap((p) => p.tasks).reduce(
        (n, t) => n + (t.notify === 'nope' ? 1 : 0) + (t.register === '1x' ? 1 : 0),
        0,
      );
      const all = errors(text);
      assert.equal(all.length, planted, all.map((e) => e.describe()).join('\n'));
      if (planted > 0) return;
      const pb = parse(text);
      assert.equal(pb.plays.length, plays.length);
      pb.plays.forEach((p, i) => {
        const want = plays[i];
        assert.equal(p.hosts, want.hosts);
        assert.equal(p.tasks.length, want.tasks.length);
        p.tasks.forEach((t, j) => {
          const w = want.tasks[j];
          assert.ok(t.kind === 'task');
          assert.equal(t.name, w.name ?? `shell ${w.shell}`);
          assert.deepEqual(t.args, { cmd: w.shell });
          assert.deepEqual(t.when, w.when === undefined ? [] : [String(w.when)]);
          assert.deepEqual(t.notify, w.notify === undefined ? [] : [w.notify]);
          assert.equal(t.register, w.register);
          const own = w.tags === undefined ? [] : typeof w.tags === 'string' ? [w.tags] : w.tags;
          assert.deepEqual(t.tags, [...new Set([...want.tags, ...own])]);
        });
      });
    }),
    opts,
  );
});
