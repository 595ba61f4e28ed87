/**
 * The shell scripts fleet runs on hosts for ops that have no transport call of
 * their own. Every piece of data goes through `shq`.
 */
import type { Op } from '../modules/types.ts';
import { shq } from '../core/shell.ts';
import { formatMode } from './describe.ts';

export function attrsScript(path: string, mode?: number, owner?: string, group?: string): string {
  const parts: string[] = [];
  if (owner !== undefined || group !== undefined) {
    const spec = `${owner ?? ''}${group !== undefined ? ':' + group : ''}`;
    parts.push(`chown -h -- ${shq(spec)} ${shq(path)}`);
  }
  if (mode !== undefined) parts.push(`chmod -- ${formatMode(mode)} ${shq(path)}`);
  return parts.join(' && ');
}

export function mkdirScript(op: Extract<Op, { op: 'mkdir' }>): string {
  const mk = `mkdir ${op.parents ? '-p ' : ''}-- ${shq(op.path)}`;
  const attrs = attrsScript(op.path, op.mode, op.owner, op.group);
  return attrs ? `${mk} && ${attrs}` : mk;
}

export function removeScript(path: string): string {
  return `rm -rf -- ${shq(path)}`;
}

/** tar of one path (file, directory or symlink), numeric owners, to stdout. */
export function tarScript(path: string): string {
  const rel = path.replace(/^\/+/, '');
  return `tar -C / --numeric-owner -cpf - -- ${shq(rel)}`;
}

/** Restore a tar made by tarScript: remove what is there now, then unpack. */
export function untarScript(path: string): string {
  return `rm -rf -- ${shq(path)} && tar -C / --numeric-owner -xpf -`;
}

export function systemctlScript(action: string, unit: string): string {
  return `systemctl ${action} -- ${shq(unit)}`;
}

/**
 * Poll a TCP port on the host in one round trip. Exit 0 when the condition
 * holds, 3 on timeout; prints the last count seen.
 */
export function waitForScript(op: Extract<Op, { op: 'wait_for' }>): string {
  const port = Math.trunc(op.port);
  const local = ['127.0.0.1', 'localhost', '0.0.0.0', '::1', '::'].includes(op.host);
  const listen = local
    ? `ss -Htln 2>/dev/null | awk '{print $4}' | grep -Ec '[:.]${port}$' || true`
    : `if timeout 2 bash -c ${shq(`</dev/tcp/${op.host}/${port}`)} 2>/dev/null; then echo 1; else echo 0; fi`;
  const established =
    `if command -v ss >/dev/null 2>&1; then ss -Htn state established 2>/dev/null | awk '{print $3" "$4}' | grep -Ec '[:.]${port}( |$)' || true; ` +
    `else netstat -ant 2>/dev/null | grep ESTABLISHED | awk '{print $4" "$5}' | grep -Ec '[:.]${port}( |$)' || true; fi`;
  let probe: string;
  let ok: string;
  switch (op.state) {
    case 'started': probe = listen; ok = '[ "$n" -ge 1 ]'; break;
    case 'stopped': probe = listen; ok = '[ "$n" -eq 0 ]'; break;
    case 'established': probe = established; ok = `[ "$n" -ge ${Math.max(1, Math.trunc(op.minCount))} ]`; break;
    case 'drained': probe = established; ok = '[ "$n" -eq 0 ]'; break;
  }
  return [
    `sleep ${Math.max(0, op.delaySec)}`,
    `end=$(( $(date +%s) + ${Math.max(0, Math.trunc(op.timeoutSec))} ))`,
    `while :; do n=$( ${probe} ); n=\${n:-0}`,
    `  if ${ok}; then echo "$n"; exit 0; fi`,
    `  if [ "$(date +%s)" -ge "$end" ]; then echo "$n"; exit 3; fi`,
    `  sleep ${Math.max(0.1, op.sleepSec)}`,
    'done',
  ].join('\n');
}
