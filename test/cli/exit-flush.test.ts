// bin/fleet.js exits only once its output is flushed: a slow reader of a pipe still gets every byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FLEET_BIN } from '../integration/helpers.ts';

test('a large output through a pipe read slowly arrives whole before fleet exits', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-flush-'));
  try {
    const hosts = Array.from({ length: 3000 }, (_, i) => `    host${i}.example.internal: { ansible_host: 198.18.${Math.floor(i / 250)}.${(i % 250) + 1}, role: worker-with-a-long-value-${i} }`);
    writeFileSync(join(dir, 'inv.yaml'), ['all:', '  hosts:', ...hosts, ''].join('\n'));
    const child = spawn(process.execPath, [FLEET_BIN, 'inventory', '-i', join(dir, 'inv.yaml'), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pause();
    const chunks: Buffer[] = [];
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Let fleet finish writing into a full pipe before anything is read.
    await new Promise((r) => setTimeout(r, 1500));
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stdout.resume();
    const code = await exited;
    const out = Buffer.concat(chunks).toString('utf8');
    assert.equal(code, 0);
    assert.ok(out.length > 200_000, `only ${out.length} bytes`);
    const data = JSON.parse(out) as { hosts: Record<string, unknown> };
    assert.equal(Object.keys(data.hosts).length, 3000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
