/**
 * One SSH connection per host for a whole run, jump-host connections shared
 * among the hosts behind them, and one place to close everything at the end.
 */
import PQueue from 'p-queue';
import type { ConnectionSpec, HostKeyPolicy } from './types.ts';
import { JumpConnections, connectSsh } from './ssh.ts';
import type { SshTransport } from './ssh-transport.ts';

export interface SshPoolOptions {
  /** Tries for connections reset before the SSH banner (sshd MaxStartups). Default 5. */
  maxAttempts?: number;
  /**
   * Handshakes in flight at once (default 32): a big fleet connects at a bounded
   * rate, so a shared sshd or bastion (MaxStartups 10:30:100) is not flooded
   * and the controller's CPU goes to finished handshakes first.
   */
  maxConnecting?: number;
}

export const DEFAULT_MAX_CONNECTING = 32;

interface HostEntry {
  state: 'pending' | 'open' | 'failed';
  promise: Promise<SshTransport>;
  transport?: SshTransport;
}

export class SshPool {
  private readonly hosts = new Map<string, HostEntry>();
  private readonly jumps: JumpConnections;
  private readonly maxAttempts: number;
  private readonly connecting: PQueue;

  constructor(private readonly policy: HostKeyPolicy, options: SshPoolOptions = {}) {
    this.maxAttempts = options.maxAttempts ?? 5;
    this.connecting = new PQueue({ concurrency: Math.max(1, options.maxConnecting ?? DEFAULT_MAX_CONNECTING) });
    this.jumps = new JumpConnections(policy, this.maxAttempts);
  }

  /**
   * The host's transport, connecting on first use. Concurrent calls share one
   * connection attempt (and its failure); after a failure, or once the
   * connection is lost, the next call connects again.
   */
  get(spec: ConnectionSpec): Promise<SshTransport> {
    const cached = this.hosts.get(spec.name);
    if (cached && (cached.state === 'pending' || cached.transport?.isOpen)) return cached.promise;
    const entry: HostEntry = {
      state: 'pending',
      promise: this.connecting.add(() => connectSsh(spec, this.policy, { jumps: this.jumps, maxAttempts: this.maxAttempts })) as Promise<SshTransport>,
    };
    entry.promise.then(
      (t) => {
        entry.state = 'open';
        entry.transport = t;
      },
      () => {
        entry.state = 'failed';
      },
    );
    this.hosts.set(spec.name, entry);
    return entry.promise;
  }

  /** Close every host connection, then the jump connections. */
  async closeAll(): Promise<void> {
    const all = [...this.hosts.values()];
    this.hosts.clear();
    await Promise.all(all.map((e) => e.promise.then((t) => t.close(), () => undefined)));
    await this.jumps.closeAll();
  }
}
