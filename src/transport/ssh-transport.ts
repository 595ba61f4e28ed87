/**
 * Transport over one established ssh2 connection. Every command is
 * `/bin/sh -c <script>` with the script as one quoted word (the caller's stdin
 * stays free for data); become wraps it in sudo; timeouts are enforced on the
 * host by coreutils `timeout` (whole process group) plus a controller deadline.
 */
import type { Client } from 'ssh2';
import { FleetError } from '../errors/fleet-error.ts';
import type { FileMeta, PathState } from '../modules/types.ts';
import type {
  ConnectionSpec, ExecOptions, ExecResult, HeldReadResult, HeldSession, PauseSpec, ReadOptions, ReadResult, Transport, WriteOptions,
} from './types.ts';
import { hostAnswers, runChannel, type ChannelRunResult } from './ssh-channel.ts';
import { SshHeld } from './ssh-held.ts';
import {
  KILL_AFTER_SECONDS,
  ancestorsOf,
  buildCommand,
  heldReadScript,
  parseReadOutput,
  parseReadWithAbove,
  parseStatHeader,
  readScript,
  sudoProbeScript,
  writeScript,
  type SudoSpec,
} from './remote-scripts.ts';

export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
/** Below sshd's MaxSessions (10 by default): more channels at once would be refused. */
const MAX_CHANNELS = 8;
/** Linux MAX_ARG_STRLEN is 128 KiB: the command line is one argument of the login shell. */
const MAX_COMMAND_BYTES = 128 * 1024 - 1024;
/** Controller deadline beyond the host-side timeout and its kill grace period. */
const DEADLINE_MARGIN_MS = 3000;
/**
 * A command still running this long after its timeout makes fleet ask whether
 * the host still answers at all; silence for LIVENESS_PROBE_MS means the
 * network or the host is gone: the connection is dropped (E_UNREACHABLE) at
 * about timeout + 4 s instead of waiting for the ssh keepalive (30-40 s).
 */
const LIVENESS_AFTER_MS = 1000;
const LIVENESS_PROBE_MS = 3000;

class Slots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(private readonly max: number) {}
  async acquire(): Promise<void> {
    if (this.active < this.max) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}

interface Run {
  script: string;
  stdin?: Buffer;
  become?: boolean;
  becomeUser?: string;
  timeoutMs?: number;
  maxOutputBytes: number;
  pause?: PauseSpec;
  onStdout?: (chunk: Buffer) => void;
  held?: HeldSession;
  simple?: boolean;
}

export class SshTransport implements Transport {
  readonly name: string;
  private trips = 0;
  private dead: string | undefined;
  /** Why the liveness check dropped the connection (reported instead of the generic "connection lost"). */
  private silent: string | undefined;
  private readonly slots = new Slots(MAX_CHANNELS);
  private readonly sudoModes = new Map<string, Promise<SudoSpec | null>>();

  constructor(
    private readonly spec: ConnectionSpec,
    private readonly client: Client,
    private readonly release: () => Promise<void>,
  ) {
    this.name = spec.name;
    client.on('error', (e: Error) => this.markDead(`connection lost: ${e.message}`));
    client.on('end', () => this.markDead('connection closed by the host'));
    client.on('close', () => this.markDead('connection lost'));
  }

  get roundTrips(): number {
    return this.trips;
  }

  /** False once the connection is lost or closed; later calls fail with E_UNREACHABLE. */
  get isOpen(): boolean {
    return this.dead === undefined;
  }

  private where(): string {
    return `${this.name} (${this.spec.address}:${this.spec.port})`;
  }

  private lost(reason: string): FleetError {
    return new FleetError('E_UNREACHABLE', `${this.where()}: ${reason}`, { host: this.name });
  }

  private markDead(reason: string): void {
    if (this.dead !== undefined) return;
    this.dead = reason;
    void this.release().catch(() => undefined);
  }

  async exec(script: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (options.pause && options.stdin !== undefined) throw new FleetError('E_INTERNAL', 'a paused command takes no stdin');
    const r = await this.run({
      script,
      stdin: typeof options.stdin === 'string' ? Buffer.from(options.stdin) : options.stdin,
      become: options.become,
      becomeUser: options.becomeUser,
      timeoutMs: options.timeoutMs,
      maxOutputBytes: options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES,
      ...(options.pause ? { pause: options.pause } : {}),
      ...(options.onStdout ? { onStdout: options.onStdout } : {}),
      ...(options.held ? { held: options.held } : {}),
      ...(options.simple ? { simple: true } : {}),
    });
    // timeout(1) exits 124 after TERM; when KILL was needed it kills its own
    // process group, itself included (exit signal KILL, or 137 through a shell).
    const byTimeout = r.code === 124 || r.code === 137 || r.signal === 'SIGKILL';
    const timedOut = r.deadlineHit || (options.timeoutMs !== undefined && byTimeout && r.elapsedMs >= options.timeoutMs);
    return {
      code: timedOut ? null : r.code,
      ...(r.signal !== undefined && !timedOut ? { signal: r.signal } : {}),
      stdout: r.stdout,
      stderr: r.stderr,
      timedOut,
      truncated: r.truncated,
    };
  }

  async read(path: string, options: ReadOptions = {}): Promise<PathState> {
    const r = await this.run({ script: readScript(path), ...options, maxOutputBytes: Infinity });
    if (r.code !== 0) throw this.remoteError(`cannot read ${path}`, r);
    return parseReadOutput(r.stdout);
  }

  async readWithAncestors(path: string, options: ReadOptions = {}): Promise<ReadResult> {
    const above = ancestorsOf(path);
    const r = await this.run({ script: readScript(path, above), ...options, maxOutputBytes: Infinity });
    if (r.code !== 0) throw this.remoteError(`cannot read ${path}`, r);
    return parseReadWithAbove(r.stdout, above);
  }

  async readHeld(path: string, options: ReadOptions = {}): Promise<HeldReadResult> {
    const above = ancestorsOf(path);
    const held = new SshHeld(this, options);
    const done = this.run({
      script: heldReadScript(path, above, held.marker),
      become: options.become,
      becomeUser: options.becomeUser,
      maxOutputBytes: Infinity,
      onStdout: held.onStdout,
      pause: held.pause,
    });
    const output = await held.start(done);
    if (!output) {
      const r = await done;
      if (r.code !== 0) throw this.remoteError(`cannot read ${path}`, r);
      throw new FleetError('E_REMOTE', `${this.name}: cannot read ${path}: the read ended before its pause line`, { host: this.name });
    }
    try {
      return { ...parseReadWithAbove(output, above), held };
    } catch (e) {
      held.release();
      throw e;
    }
  }

  async write(path: string, content: Buffer, options: WriteOptions = {}): Promise<FileMeta> {
    const script = writeScript({ path, size: content.length, mode: options.mode, owner: options.owner, group: options.group });
    const r = await this.run({
      script,
      stdin: content,
      become: options.become,
      becomeUser: options.becomeUser,
      maxOutputBytes: 64 * 1024,
      ...(options.held ? { held: options.held } : {}),
    });
    // The script's stderr says what went wrong (e.g. "directory /x does not exist").
    if (r.code !== 0) throw this.remoteError(`cannot write ${path}`, r);
    const lines = r.stdout.toString('utf8').trim().split('\n');
    return parseStatHeader(lines[lines.length - 1]).meta;
  }

  async close(): Promise<void> {
    if (this.dead === undefined) this.dead = 'connection already closed by fleet';
    await this.release();
  }

  private remoteError(what: string, r: ChannelRunResult): FleetError {
    const detail = r.stderr.toString('utf8').trim() || `exit code ${r.code ?? r.signal ?? 'unknown'}`;
    return new FleetError('E_REMOTE', `${this.name}: ${what}: ${detail}`, { host: this.name });
  }

  private async run(run: Run): Promise<ChannelRunResult> {
    if (this.dead !== undefined) {
      run.held?.release();
      throw this.lost(this.dead);
    }
    if (run.held) {
      // A held session runs the script when it can: same transport and user, no timeout.
      const held = run.held;
      if (held instanceof SshHeld && held.canRun(this, run)) {
        return held.run(run.script, run.stdin, run.maxOutputBytes, { ...(run.pause ? { pause: run.pause } : {}), ...(run.onStdout ? { onStdout: run.onStdout } : {}) });
      }
      held.release();
    }
    if (this.dead !== undefined) throw this.lost(this.dead);
    const sudo = run.become ? await this.sudoFor(run.becomeUser ?? 'root') : null;
    const command = buildCommand(run.script, { sudo: sudo ?? undefined, timeoutMs: run.timeoutMs, simple: run.simple });
    if (Buffer.byteLength(command) > MAX_COMMAND_BYTES) {
      throw new FleetError('E_INPUT_TOO_LARGE', `${this.name}: script too large (${Buffer.byteLength(command)} bytes; at most ${MAX_COMMAND_BYTES})`);
    }
    const stdin: Buffer[] = [];
    // The password goes first on stdin, never on a command line.
    if (sudo?.mode === 'password') stdin.push(Buffer.from(`${this.spec.becomePassword ?? ''}\n`));
    if (run.stdin) stdin.push(run.stdin);
    const deadlineMs = run.timeoutMs === undefined ? undefined : run.timeoutMs + KILL_AFTER_SECONDS * 1000 + DEADLINE_MARGIN_MS;
    await this.slots.acquire();
    const watchdog = run.timeoutMs === undefined ? undefined : setTimeout(() => void this.checkAlive(run.timeoutMs!), run.timeoutMs + LIVENESS_AFTER_MS);
    try {
      if (this.dead !== undefined) throw this.lost(this.dead);
      this.trips++;
      const r = await runChannel(
        this.client,
        command,
        { stdin, maxOutputBytes: run.maxOutputBytes, deadlineMs, pause: run.pause, onStdout: run.onStdout },
        (reason) => this.lost(this.silent ?? reason),
        () => this.dead !== undefined,
      );
      // The deadline and a lost connection can race: a dead host is unreachable, not timed out.
      if (r.deadlineHit && this.dead !== undefined) throw this.lost(this.silent ?? this.dead);
      return r;
    } finally {
      clearTimeout(watchdog);
      this.slots.release();
    }
  }

  /** A command outlived its timeout: if the host no longer answers at all, drop the connection. */
  private async checkAlive(timeoutMs: number): Promise<void> {
    if (this.dead !== undefined) return;
    if (await hostAnswers(this.client, LIVENESS_PROBE_MS)) return;
    if (this.dead !== undefined) return;
    this.silent = `no answer from the host for ${LIVENESS_PROBE_MS / 1000}s after a command's ${timeoutMs / 1000}s timeout (network down?)`;
    // Destroy the socket first (which closes every channel): markDead's release ends the
    // connection gracefully, and a socket being ended can no longer be destroyed.
    this.client.destroy();
    this.markDead(this.silent);
  }

  /** How to become `user`: null when already connected as that user. Probed once per user and connection. */
  private sudoFor(user: string): Promise<SudoSpec | null> {
    if (user === this.spec.user) return Promise.resolve(null);
    let mode = this.sudoModes.get(user);
    if (!mode) {
      mode = this.probeSudo(user);
      this.sudoModes.set(user, mode);
      mode.catch((e: unknown) => {
        if (e instanceof FleetError && e.code === 'E_UNREACHABLE') this.sudoModes.delete(user);
      });
    }
    return mode;
  }

  private async probeSudo(user: string): Promise<SudoSpec> {
    const password = this.spec.becomePassword;
    // Counted as a round trip: it is a command started on the host.
    const r = await this.run({
      script: sudoProbeScript(user),
      stdin: password === undefined ? undefined : Buffer.from(`${password}\n`),
      maxOutputBytes: 64 * 1024,
    });
    const answer = r.stdout.toString('utf8').trim();
    if (answer === 'nopasswd') return { user, mode: 'nopasswd' };
    if (answer === 'password') return { user, mode: 'password' };
    const reason = answer.replace(/^none\s*/, '') || r.stderr.toString('utf8').trim();
    throw new FleetError(
      'E_AUTH',
      password === undefined
        ? `${this.name}: cannot become ${user} with sudo (${this.spec.user}): ${reason}`
        : `${this.name}: cannot become ${user} with sudo (${this.spec.user}): the become password was rejected`,
      { host: this.name, ...(password === undefined ? { hint: 'Set a become password, or allow passwordless sudo.' } : {}) },
    );
  }
}
