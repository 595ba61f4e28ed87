/** Serial batches: `serial: 1`, `serial: "30%"`, `serial: [1, 5, "50%"]` (the last size repeats). */
import { FleetError } from '../errors/fleet-error.ts';

function size(spec: number | string, total: number): number {
  if (typeof spec === 'number') {
    if (!Number.isFinite(spec) || spec < 1) throw new FleetError('E_VALIDATION', `serial: ${spec} is not a positive number of hosts`);
    return Math.trunc(spec);
  }
  if (typeof spec !== 'string') throw new FleetError('E_VALIDATION', `serial: expected a number or a percentage, got ${typeof spec}`);
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(spec);
  if (m) return Math.max(1, Math.floor((Number(m[1]) / 100) * total));
  if (/^\s*\d+\s*$/.test(spec)) return Math.max(1, Number(spec));
  throw new FleetError('E_VALIDATION', `serial: '${spec}' is not a number or a percentage`);
}

/** Batch sizes that add up to `total` hosts. */
export function batchSizes(serial: Array<number | string>, total: number): number[] {
  if (total === 0) return [];
  if (serial.length === 0) return [total];
  const out: number[] = [];
  let left = total;
  let i = 0;
  while (left > 0) {
    const s = Math.min(left, size(serial[Math.min(i, serial.length - 1)]!, total));
    out.push(s);
    left -= s;
    i++;
  }
  return out;
}
