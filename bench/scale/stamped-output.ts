/**
 * fleet's JSON events with the time each one arrived. fleet's events carry no
 * timestamps (run-start aside), so the command's stdout goes to a file this
 * process follows (inotify, and a 50 ms poll as a fallback): every line is
 * stamped when it shows up (ms since `t0`). The follower lives in this process,
 * outside the measured cgroup.
 *
 * A file, not a pipe: bin/fleet.js calls process.exit() right after the run,
 * and a JSON line longer than what a pipe can take at once (64 KiB; the
 * run-end event of 500 hosts is about 100 KB) is cut short there, since Node
 * writes to a full pipe asynchronously. Writes to a file are synchronous.
 */
import { closeSync, openSync, readSync, watch, type FSWatcher } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';

export interface StampedLine {
  /** ms since the collector's t0 when the line was complete. */
  atMs: number;
  line: string;
}

export interface StampedCollector {
  /** argv that runs `argv` with its stdout on the followed file. */
  wrap(argv: string[]): string[];
  /** Call once the command (and everything it started) has exited: every line, in order. */
  finish(): StampedLine[];
}

/** Follow file `path` (created empty now); times are ms since `t0()` (performance.now()). */
export function collectStamped(path: string, t0: () => number): StampedCollector {
  closeSync(openSync(path, 'w', 0o600));
  const fd = openSync(path, 'r');
  const lines: StampedLine[] = [];
  const buf = Buffer.alloc(1 << 20);
  let offset = 0;
  let partial = '';
  const decoder = new StringDecoder('utf8');
  const drain = (): void => {
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, offset);
      if (n <= 0) return;
      offset += n;
      const at = performance.now() - t0();
      const parts = (partial + decoder.write(buf.subarray(0, n))).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) lines.push({ atMs: at, line });
    }
  };
  let watcher: FSWatcher | null = watch(path, drain);
  const poll = setInterval(drain, 50);
  return {
    wrap: (argv) => ['/bin/sh', '-c', 'exec "$@" > "$0"', path, ...argv],
    finish() {
      clearInterval(poll);
      watcher?.close();
      watcher = null;
      drain();
      closeSync(fd);
      partial += decoder.end();
      if (partial) lines.push({ atMs: performance.now() - t0(), line: partial });
      partial = '';
      return lines;
    },
  };
}
