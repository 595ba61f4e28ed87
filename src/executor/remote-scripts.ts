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

/** mkdir (with its missing parents when `parents`), then its attributes. */
export function mkdirScript(op: Extract<Op, { op: 'mkdir' }>): string {
  // The mode comes with mkdir -m (one process less) unless a chown follows that could drop set-id bits.
  const chowns = op.owner !== undefined || op.group !== undefined;
  const withMode = op.mode !== undefined && !(chowns && op.mode > 0o777);
  const parts = [`mkdir ${op.parents ? '-p ' : ''}${withMode ? `-m ${formatMode(op.mode!)} ` : ''}-- ${shq(op.path)}`];
  const attrs = attrsScript(op.path, withMode ? undefined : op.mode, op.owner, op.group);
  if (attrs) parts.push(attrs);
  return parts.join(' && ');
}

export function removeScript(path: string): string {
  return `rm -rf -- ${shq(path)}`;
}

/**
 * Back up a tree and remove it in one round trip: its tar on stdout, the pause
 * line `<marker> <tar status>`, then `rm -rf` only once the controller answers
 * `go` (it journals the backup first). No answer (controller gone) or any
 * other answer: nothing is removed, exit 3.
 */
export function backupAndRemoveScript(path: string, marker: string): string {
  if (!/^[A-Za-z0-9-]{8,64}$/.test(marker)) throw new Error(`bad pause marker ${marker}`);
  return [
    `${tarScript(path)}; s=$?`,
    `printf '\\n%s %s\\n' ${marker} "$s"`,
    'IFS= read -r answer || exit 3',
    '[ "$s" = 0 ] && [ "$answer" = go ] || exit 3',
    `exec ${removeScript(path)}`,
  ].join('\n');
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
