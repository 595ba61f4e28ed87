/** Shared bits of the SSH transport tests (real sshd in the lab). */
import assert from 'node:assert/strict';
import { FleetError } from '../../src/errors/fleet-error.ts';
import type { ConnectionSpec, HostKeyPolicy } from '../../src/transport/types.ts';
import type { Lab, LabHost } from '../lab/index.ts';

/** The tests authenticate only with what the spec says. */
delete process.env.SSH_AUTH_SOCK;

export function specFor(lab: Lab, host: LabHost | string, extra: Partial<ConnectionSpec> = {}): ConnectionSpec {
  const h = lab.host(host);
  return {
    name: h.name,
    address: h.address,
    port: 22,
    user: 'root',
    privateKeyFile: lab.keyPath,
    connectTimeoutMs: 5000,
    ...extra,
  };
}

export function policyFor(lab: Lab, extra: Partial<HostKeyPolicy> = {}): HostKeyPolicy {
  return { knownHostsFile: lab.knownHostsPath, acceptNew: false, ...extra };
}

/** Await a rejection: a FleetError with this code whose message contains every part. */
export async function rejects(p: Promise<unknown>, code: string, ...parts: Array<string | RegExp>): Promise<FleetError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.ok(e instanceof FleetError, `expected a FleetError ${code}, got ${e instanceof Error ? e.stack : String(e)}`);
  assert.equal(e.code, code, e.message);
  for (const part of parts) {
    if (typeof part === 'string') assert.ok(e.message.includes(part), `${JSON.stringify(part)} not in: ${e.message}`);
    else assert.match(e.message, part);
  }
  return e;
}

/** Run a bash script in the host (not over SSH); fail the test when it fails. */
export async function inHost(lab: Lab, host: LabHost | string, script: string): Promise<string> {
  const r = await lab.exec(host, script);
  assert.equal(r.code, 0, `in ${typeof host === 'string' ? host : host.name}: ${script}\n${r.stderr}`);
  return r.stdout;
}

/** Poll a condition until it holds (or fail after timeoutMs). */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGKILL the sshd processes serving `user`'s sessions on a host: their connections drop. */
export function killSessionsScript(user: string): string {
  return `pkill -KILL -f '^sshd: ${user}[ @]' || true`;
}
