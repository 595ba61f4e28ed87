/** Turning ssh2 connection errors into FleetErrors. */
import { FleetError } from '../errors/fleet-error.ts';
import type { ConnectionSpec } from './types.ts';

interface Ssh2Error extends Error {
  level?: string;
  code?: string | number;
}

const SOCKET_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed',
  ENOTFOUND: 'host name not found',
  EAI_AGAIN: 'host name lookup failed',
};

export function describeTarget(spec: ConnectionSpec): string {
  return `${spec.name} (${spec.address}:${spec.port})`;
}

/** `10s`, `1.5s`: a duration in messages. */
export function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

/**
 * True for failures sshd produces when it drops connections under a burst
 * (MaxStartups): the TCP connection is accepted, then reset or closed before
 * the SSH banner.
 */
export function isRetryableConnectError(e: unknown): boolean {
  const err = e as Ssh2Error;
  if (!err || typeof err !== 'object') return false;
  if (err.code === 'ECONNRESET' || err.code === 'EPIPE') return true;
  return /Connection lost before handshake/.test(String(err.message));
}

/** Map a connect failure to E_UNREACHABLE / E_AUTH with the host and the reason. */
export function connectError(spec: ConnectionSpec, e: unknown, authMethods: string[]): FleetError {
  if (e instanceof FleetError) return e;
  const err = (e ?? {}) as Ssh2Error;
  const where = describeTarget(spec);
  const opts = { cause: e, host: spec.name };
  const message = String(err.message ?? e);
  if (err.level === 'client-timeout') {
    return new FleetError('E_UNREACHABLE', `${where}: connection timed out after ${seconds(spec.connectTimeoutMs)}`, opts);
  }
  if (err.level === 'client-authentication') {
    return new FleetError(
      'E_AUTH',
      `${where}: authentication failed for user ${spec.user} (tried: ${authMethods.join(', ') || 'none'})`,
      opts,
    );
  }
  if (/No response from server/.test(message)) {
    return new FleetError('E_UNREACHABLE', `${where}: connection closed during the SSH handshake`, opts);
  }
  if (typeof err.code === 'string' && SOCKET_REASONS[err.code]) {
    return new FleetError('E_UNREACHABLE', `${where}: ${SOCKET_REASONS[err.code]}`, opts);
  }
  if (/Connection lost before handshake/.test(message)) {
    return new FleetError('E_UNREACHABLE', `${where}: connection closed before the SSH handshake (sshd busy or not an SSH server)`, opts);
  }
  return new FleetError('E_UNREACHABLE', `${where}: ${message}`, opts);
}
