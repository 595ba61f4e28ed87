/**
 * ssh2 writes every SSH packet to its socket with its own write(): one system
 * call and one TCP segment each, and on the host one wake-up of sshd each.
 * A session costs several packets sent back to back (channel request, stdin,
 * EOF, the close after exit), so the controller's CPU went mostly into socket
 * writes (measured with --cpu-prof at 50 hosts: 37% of its samples in
 * writeBuffer). Corking the stream on the first write and uncorking it once
 * the current turn of the event loop has run sends what one turn produced in
 * one writev: same bytes, same order, fewer segments. Nothing waits for a
 * timer: setImmediate runs right after the I/O callbacks of this turn.
 * fleet's own output (the JSON and plain reporters, an event per host and
 * task) goes the same way: one write to the pipe per turn, not per line.
 */
import type { Writable } from 'node:stream';

const coalesced = new WeakSet<Writable>();

export function coalesceWrites<T extends Writable>(stream: T): T {
  if (coalesced.has(stream)) return stream;
  coalesced.add(stream);
  const write = stream.write;
  let corked = false;
  const flush = () => {
    corked = false;
    if (!stream.destroyed) stream.uncork();
  };
  stream.write = function coalescedWrite(this: T, ...args: Parameters<T['write']>) {
    if (!corked && !stream.destroyed) {
      corked = true;
      stream.cork();
      setImmediate(flush);
    }
    return (write as (...a: unknown[]) => boolean).apply(this, args);
  } as T['write'];
  return stream;
}

/**
 * coalesceWrites for fleet's stdout: what the last turn wrote is handed to
 * the pipe at once if the process exits before that turn's flush (a second
 * Ctrl-C exits at once), so no line is held back.
 */
export function coalesceStdout(): NodeJS.WriteStream {
  const out = process.stdout;
  if (coalesced.has(out)) return out;
  coalesceWrites(out);
  process.once('exit', () => {
    while (out.writableCorked > 0 && !out.destroyed) out.uncork();
  });
  return out;
}
