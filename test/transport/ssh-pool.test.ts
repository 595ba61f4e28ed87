// SshPool connects at a bounded rate: never more handshakes in flight than maxConnecting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SshPool } from '../../src/transport/ssh-pool.ts';
import type { ConnectionSpec } from '../../src/transport/types.ts';

test('maxConnecting bounds the handshakes in flight; every host still gets its attempt', { timeout: 60_000 }, async () => {
  // A "host" that accepts TCP and never says a word: each handshake waits for its connect timeout.
  let open = 0;
  let peak = 0;
  let total = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    open++;
    total++;
    peak = Math.max(peak, open);
    sockets.add(s);
    s.on('close', () => {
      open--;
      sockets.delete(s);
    });
    s.on('error', () => undefined);
    s.resume(); // read, so the client's close is seen
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const dir = mkdtempSync(join(tmpdir(), 'fleet-pool-'));
  const pool = new SshPool({ knownHostsFile: join(dir, 'known_hosts'), acceptNew: false }, { maxConnecting: 2, maxAttempts: 1 });
  try {
    const specs: ConnectionSpec[] = Array.from({ length: 6 }, (_, i) => ({
      name: `h${i}`, address: '127.0.0.1', port, user: 'root', password: 'x', connectTimeoutMs: 400,
    }));
    const results = await Promise.allSettled(specs.map((s) => pool.get(s)));
    assert.ok(results.every((r) => r.status === 'rejected'), 'a silent host never completes a handshake');
    assert.equal(total, 6, 'every host was tried');
    assert.equal(peak, 2, `at most 2 handshakes at once, saw ${peak}`);
  } finally {
    await pool.closeAll();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
});
