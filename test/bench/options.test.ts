/** bench/options.ts: what `npm run bench -- ...` measures. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBenchOptions } from '../../bench/options.ts';
import { isFleetError } from '../../src/errors/fleet-error.ts';

describe('bench options', () => {
  it('defaults to 10 and 50 hosts, 3 runs, Ansible and round-trip counts', () => {
    assert.deepEqual(parseBenchOptions([]), { hosts: [10, 50], runs: 3, ansible: true, trips: true, compiled: false, quick: false });
  });

  it('--quick is 10 hosts, 1 run, no round-trip count', () => {
    const o = parseBenchOptions(['--quick']);
    assert.deepEqual([o.hosts, o.runs, o.trips, o.quick], [[10], 1, false, true]);
  });

  it('--hosts takes one size, a comma list or repeats; --no-ansible, --runs', () => {
    assert.deepEqual(parseBenchOptions(['--hosts', '200']).hosts, [200]);
    assert.deepEqual(parseBenchOptions(['--hosts', '10,50,200']).hosts, [10, 50, 200]);
    assert.deepEqual(parseBenchOptions(['--hosts', '10', '--hosts', '50']).hosts, [10, 50]);
    const o = parseBenchOptions(['--no-ansible', '--runs', '5', '--no-trips']);
    assert.deepEqual([o.ansible, o.runs, o.trips], [false, 5, false]);
  });

  it('refuses sizes the lab cannot hold and runs below 1', () => {
    for (const argv of [['--hosts', '0'], ['--hosts', '2000'], ['--hosts', 'ten'], ['--runs', '0']]) {
      assert.throws(() => parseBenchOptions(argv), (e: unknown) => isFleetError(e) && e.code === 'E_USAGE', argv.join(' '));
    }
  });
});
