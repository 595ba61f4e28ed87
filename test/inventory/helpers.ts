/** Shared helpers for inventory tests. */
import assert from 'node:assert/strict';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { parseInventory } from '../../src/inventory/index.ts';

/** Join lines with newlines (line N of the result is lines[N-1]). */
export const yaml = (...lines: string[]): string => lines.join('\n') + '\n';

export function thrown(fn: () => unknown): FleetError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof FleetError, `expected a FleetError, got ${e instanceof Error ? e.stack : String(e)}`);
    return e;
  }
  assert.fail('expected an error');
}

/** Parse and expect a FleetError with this code at exactly this line and column. */
export function parseError(text: string, code: string, line: number, col: number, message?: RegExp): FleetError {
  const e = thrown(() => parseInventory(text, 'inv.yml'));
  assert.equal(e.code, code, e.describe());
  assert.deepEqual(e.location, { file: 'inv.yml', line, col }, e.describe());
  if (message) assert.match(e.message, message);
  return e;
}

/** The five-host Ansible-layout inventory used across tests (data only; nothing connects). */
export const ANSIBLE_5 = yaml(
  'all:', //                                       1
  '  vars:', //                                    2
  '    ansible_user: root', //                     3
  '    cluster_cidr: 172.30.0.0/16', //            4
  '  children:', //                                5
  '    masters:', //                               6
  '      hosts:', //                               7
  '        master1:', //                           8
  '          ansible_host: 10.220.209.201', //     9
  '        master2:', //                           10
  '          ansible_host: 10.220.209.202', //     11
  '      vars:', //                                12
  '        role: master', //                       13
  '    workers:', //                               14
  '      hosts:', //                               15
  '        worker1: { ansible_host: 10.220.209.203 }', // 16
  '        worker2: { ansible_host: 10.220.209.204, ansible_port: 2222 }', // 17
  '        worker3:', //                           18
  '          ansible_host: 10.220.209.205', //     19
  '      vars:', //                                20
  '        role: worker', //                       21
  '    k8s:', //                                   22
  '      children:', //                            23
  '        masters:', //                           24
  '        workers:', //                           25
  '      vars:', //                                26
  '        kube_version: "1.30"', //               27
);
