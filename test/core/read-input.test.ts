import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FleetError } from '../../src/errors/fleet-error.ts';
import { firstInvalidUtf8, MAX_INPUT_BYTES, readInputFile } from '../../src/core/read-input.ts';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fleet-read-input-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<FleetError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof FleetError, `not a FleetError: ${String(e)}`);
    return e;
  }
  assert.fail('expected a rejection');
}

test('reads UTF-8 text and drops a BOM', async () => {
  const f = join(dir, 'ok.yml');
  await writeFile(f, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name: café ☃ 𝄞\n')]));
  assert.equal(await readInputFile(f, 'inventory'), 'name: café ☃ 𝄞\n');
  const empty = join(dir, 'empty.yml');
  await writeFile(empty, '');
  assert.equal(await readInputFile(empty, 'playbook'), '');
});

test('missing files are E_FILE_NOT_FOUND', async () => {
  const e = await rejection(readInputFile(join(dir, 'nope.yml'), 'inventory'));
  assert.equal(e.code, 'E_FILE_NOT_FOUND');
  assert.match(e.message, /inventory file not found: .*nope\.yml/);
  const e2 = await rejection(readInputFile(join(dir, 'nope', 'x.yml'), 'template'));
  assert.equal(e2.code, 'E_FILE_NOT_FOUND');
});

test('a directory is a usage error', async () => {
  const d = join(dir, 'adir');
  await mkdir(d);
  const e = await rejection(readInputFile(d, 'playbook'));
  assert.equal(e.code, 'E_USAGE');
  assert.match(e.message, /directory/);
});

test('files over 16 MiB are E_INPUT_TOO_LARGE', async () => {
  const f = join(dir, 'big.yml');
  await writeFile(f, Buffer.alloc(MAX_INPUT_BYTES + 1, 0x61));
  const e = await rejection(readInputFile(f, 'inventory'));
  assert.equal(e.code, 'E_INPUT_TOO_LARGE');
  assert.match(e.message, /16 MiB/);
  const exact = join(dir, 'exact.yml');
  await writeFile(exact, Buffer.alloc(MAX_INPUT_BYTES, 0x61));
  assert.equal((await readInputFile(exact, 'inventory')).length, MAX_INPUT_BYTES);
});

test('binary files (NUL bytes) are refused with the position', async () => {
  const f = join(dir, 'bin.yml');
  await writeFile(f, Buffer.concat([Buffer.from('a: 1\nbé: '), Buffer.from([0, 1, 2])]));
  const e = await rejection(readInputFile(f, 'template'));
  assert.equal(e.code, 'E_VALIDATION');
  assert.match(e.message, /binary/);
  assert.deepEqual(e.location, { file: f, line: 2, col: 5 });
});

test('non-UTF-8 files are refused with the position of the first bad byte', async () => {
  const f = join(dir, 'latin1.yml');
  await writeFile(f, Buffer.concat([Buffer.from('a: 1\nb: 2\nname: caf'), Buffer.from([0xe9]), Buffer.from('\n')]));
  const e = await rejection(readInputFile(f, 'inventory'));
  assert.equal(e.code, 'E_VALIDATION');
  assert.match(e.message, /not valid UTF-8/);
  assert.deepEqual(e.location, { file: f, line: 3, col: 10 });
});

test('firstInvalidUtf8 finds bad sequences and accepts good ones', () => {
  const good = Buffer.from('aé☃𝄞z');
  assert.equal(firstInvalidUtf8(good), -1);
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xc0, 0x80])), 1); // overlong
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0xe2, 0x98])), 1); // truncated
  assert.equal(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80])), 0); // surrogate
  assert.equal(firstInvalidUtf8(Buffer.from([0x61, 0x62, 0xf5, 0x80, 0x80, 0x80])), 2); // > U+10FFFF
  assert.equal(firstInvalidUtf8(Buffer.from([0xe0, 0x80, 0x80])), 0); // overlong 3-byte
  assert.equal(firstInvalidUtf8(Buffer.from([0xc3, 0x41])), 0); // bad continuation
  // agrees with the platform decoder on random bytes
  for (let n = 0; n < 2000; n++) {
    const b = Buffer.from(Array.from({ length: 1 + (n % 7) }, () => Math.floor(Math.random() * 256)));
    let ok = true;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      ok = false;
    }
    assert.equal(firstInvalidUtf8(b) === -1, ok, b.toString('hex'));
  }
});
