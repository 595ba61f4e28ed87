/**
 * Reading user input files (inventories, playbooks, templates): at most
 * MAX_INPUT_BYTES, UTF-8 text only. Everything that goes wrong is a FleetError:
 * E_FILE_NOT_FOUND, E_INPUT_TOO_LARGE, E_VALIDATION (binary or not UTF-8, with
 * the line and column of the first bad byte) or E_USAGE (a directory, no
 * permission).
 */
import { open } from 'node:fs/promises';
import { FleetError, type SourceLocation } from '../errors/fleet-error.ts';

export const MAX_INPUT_BYTES = 16 * 1024 * 1024;

export type InputKind = 'inventory' | 'playbook' | 'template';

function errnoCode(e: unknown): string | undefined {
  return e && typeof e === 'object' && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/** Line/col (1-based, col in characters) of a byte offset in a buffer that is valid UTF-8 before it. */
function byteLocation(file: string, buf: Buffer, offset: number): SourceLocation {
  const before = buf.subarray(0, offset);
  const lastNl = before.lastIndexOf(0x0a);
  let line = 1;
  for (let i = before.indexOf(0x0a); i !== -1; i = before.indexOf(0x0a, i + 1)) line++;
  const col = before.subarray(lastNl + 1).toString('utf8').length + 1;
  return { file, line, col };
}

/** Offset of the first byte that is not part of a valid UTF-8 sequence, or -1. */
export function firstInvalidUtf8(buf: Uint8Array): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i];
    let need: number;
    let min: number;
    if (b < 0x80) { i++; continue; }
    else if (b >= 0xc2 && b <= 0xdf) { need = 1; min = 0x80; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; min = 0x800; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; min = 0x10000; }
    else return i;
    if (i + need >= buf.length) return i; // truncated sequence at the end
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = buf[i + k];
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Read a user input file as UTF-8 text, refusing huge, binary and non-UTF-8 files. */
export async function readInputFile(path: string, what: InputKind): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new FleetError('E_FILE_NOT_FOUND', `${what} file not found: ${path}`, { cause: e });
    }
    throw new FleetError('E_USAGE', `cannot open ${what} file ${path}: ${code ?? String(e)}`, { cause: e });
  }
  let buf: Buffer;
  try {
    const st = await handle.stat();
    if (st.isDirectory()) {
      throw new FleetError('E_USAGE', `${what} path ${path} is a directory, expected a file`);
    }
    if (st.isFile() && st.size > MAX_INPUT_BYTES) throw tooLarge(path, what, st.size);
    // Read at most one byte past the limit: sizes can change, and devices/FIFOs have none.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(Math.min(1024 * 1024, MAX_INPUT_BYTES + 1 - total));
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > MAX_INPUT_BYTES) throw tooLarge(path, what, total);
    }
    buf = Buffer.concat(chunks, total);
  } catch (e) {
    if (e instanceof FleetError) throw e;
    throw new FleetError('E_USAGE', `cannot read ${what} file ${path}: ${errnoCode(e) ?? String(e)}`, {
      cause: e,
    });
  } finally {
    await handle.close();
  }
  return decodeInput(buf, path, what);
}

function tooLarge(path: string, what: InputKind, size: number): FleetError {
  const mib = MAX_INPUT_BYTES / (1024 * 1024);
  return new FleetError(
    'E_INPUT_TOO_LARGE',
    `${what} file ${path} is larger than ${mib} MiB (${size > MAX_INPUT_BYTES ? 'at least ' : ''}${size} bytes)`,
  );
}

/** Decode bytes of an input file: no NUL bytes, strict UTF-8, BOM dropped. */
export function decodeInput(buf: Buffer, path: string, what: InputKind): string {
  const nul = buf.indexOf(0);
  if (nul !== -1) {
    throw new FleetError('E_VALIDATION', `${what} file ${path} looks binary (it contains a NUL byte)`, {
      location: byteLocation(path, buf, nul),
      hint: `expected a UTF-8 text file`,
    });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(buf);
  } catch (e) {
    const bad = firstInvalidUtf8(buf);
    throw new FleetError('E_VALIDATION', `${what} file ${path} is not valid UTF-8`, {
      location: byteLocation(path, buf, bad === -1 ? 0 : bad),
      hint: 'save the file as UTF-8',
      cause: e,
    });
  }
}
