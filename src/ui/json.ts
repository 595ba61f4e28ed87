/** `--output json`: one JSON object per event per line (diffs and all, as data). */
import type { RunEvent } from '../events/types.ts';

export function jsonReporter(out: NodeJS.WritableStream = process.stdout): (e: RunEvent) => void {
  return (e) => {
    out.write(JSON.stringify(e) + '\n');
  };
}
