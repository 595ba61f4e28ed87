/**
 * Address plan. 198.18.0.0/15 is cut into 128 slices of /22; a lab owns one
 * slice: the bridge has .1 of the slice, host hN has base + 1 + N. The slice
 * is reserved by creating the bridge `flab<slice>` (the kernel refuses a second
 * link of the same name), so labs started at the same time never collide.
 */
export const SLICES = 128;
export const PREFIX = 22;
export const MAX_HOSTS = 1021;
const NET_BASE = (198 << 24) + (18 << 16);

export const NAME_RE = /^[a-z][a-z0-9-]{0,31}$/;

function ipv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

function sliceBase(slice: number): number {
  return NET_BASE + slice * 2 ** (32 - PREFIX);
}

export function subnetOf(slice: number): string {
  return `${ipv4(sliceBase(slice))}/${PREFIX}`;
}

export function bridgeAddressOf(slice: number): string {
  return ipv4(sliceBase(slice) + 1);
}

/** Address of host number `index` (1-based). */
export function hostAddressOf(slice: number, index: number): string {
  return ipv4(sliceBase(slice) + 1 + index);
}

/** Interface names stay within 15 characters: flab127, fl127v1021. */
export function bridgeNameOf(slice: number): string {
  return `flab${slice}`;
}

export function vethNameOf(slice: number, index: number): string {
  return `fl${slice}v${index}`;
}

export function netnsNameOf(lab: string, index: number): string {
  return `${lab}-h${index}`;
}

/** Slices in the order a lab tries them: from a hash of its name, wrapping around. */
export function sliceOrder(name: string): number[] {
  let h = 0x811c9dc5;
  for (const c of Buffer.from(name)) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  const first = h % SLICES;
  return Array.from({ length: SLICES }, (_, i) => (first + i) % SLICES);
}
