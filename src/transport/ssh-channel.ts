/**
 * One command on an ssh2 exec channel: Buffers in and out, output capped per
 * stream, a controller-side deadline, and a lost connection reported as such.
 */
import type { Client, ClientChannel } from 'ssh2';
import { FleetError } from '../errors/fleet-error.ts';
import type { PauseSpec, PauseStdin } from './types.ts';

export interface ChannelRunOptions {
  /** Written to stdin in order, then stdin is closed. */
  stdin: Buffer[];
  /** Keep at most this many bytes per stream; Infinity keeps all. */
  maxOutputBytes: number;
  /** Close the channel and report a timeout after this long (controller side). */
  deadlineMs?: number;
  /** Keep stdin open until the command prints the pause line; then write resume's answer and close it. */
  pause?: PauseSpec;
  /** Stdout goes here as it arrives, not into the result. */
  onStdout?: (chunk: Buffer) => void;
}

export interface ChannelRunResult {
  code: number | null;
  signal?: string;
  stdout: Buffer;
  stderr: Buffer;
  truncated: boolean;
  /** The controller-side deadline fired and the channel was closed. */
  deadlineHit: boolean;
  elapsedMs: number;
}

/** Collects a stream up to a byte limit, counting the rest. */
class Capped {
  private chunks: Buffer[] = [];
  private kept = 0;
  total = 0;
  constructor(private readonly limit: number) {}
  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = this.limit - this.kept;
    if (room <= 0) return;
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    this.chunks.push(part);
    this.kept += part.length;
  }
  get truncated(): boolean {
    return this.total > this.kept;
  }
  buffer(): Buffer {
    return Buffer.concat(this.chunks, this.kept);
  }
}

/**
 * Run `command` on a new exec channel. `isDead()` tells whether the
 * connection is gone; a channel that ends while it is gone rejects with
 * E_UNREACHABLE (`lost` builds that error).
 */
export function runChannel(
  client: Client,
  command: string,
  options: ChannelRunOptions,
  lost: (reason: string) => FleetError,
  isDead: () => boolean,
): Promise<ChannelRunResult> {
  const started = Date.now();
  return new Promise<ChannelRunResult>((resolve, reject) => {
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const out = new Capped(options.maxOutputBytes);
    const err = new Capped(options.maxOutputBytes);
    let code: number | null = null;
    let signal: string | undefined;
    let resumeError: FleetError | undefined;

    const finish = (deadlineHit: boolean): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      resolve({
        code: deadlineHit ? null : code,
        ...(signal && !deadlineHit ? { signal } : {}),
        stdout: out.buffer(),
        stderr: err.buffer(),
        truncated: out.truncated || err.truncated,
        deadlineHit,
        elapsedMs: Date.now() - started,
      });
    };
    const fail = (e: FleetError): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      reject(e);
    };

    let open: ClientChannel | undefined;
    const closeChannel = (channel: ClientChannel | undefined): void => {
      try {
        channel?.close();
      } catch {
        /* already closed */
      }
    };
    // The deadline runs from the request, not from the channel's opening: on a
    // silent network the host never answers the open request at all.
    if (options.deadlineMs !== undefined) {
      timer = setTimeout(() => {
        closeChannel(open);
        finish(true);
      }, options.deadlineMs);
    }

    const onChannel = (e: Error | undefined, channel: ClientChannel): void => {
      if (settled) {
        // opened after the deadline: nobody waits for it any more
        if (!e) closeChannel(channel);
        return;
      }
      if (e) {
        fail(isDead() ? lost(`connection lost: ${e.message}`) : new FleetError('E_REMOTE', `cannot start a command: ${e.message}`, { cause: e }));
        return;
      }
      open = channel;
      const emit = options.onStdout ?? ((chunk: Buffer) => out.push(chunk));
      const stdin: PauseStdin = { write: (b) => void channel.write(b), end: (b) => void channel.end(b) };
      const onData = options.pause ? pauseWatch(options.pause, stdin, emit, (e) => { resumeError = e; }) : emit;
      channel.on('data', (chunk: Buffer) => onData(chunk));
      channel.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      channel.on('exit', (c: number | null, s?: string) => {
        code = typeof c === 'number' ? c : null;
        if (typeof s === 'string') signal = s;
      });
      // Errors on a live connection (e.g. stdin not read by a finished command) end with 'close'.
      channel.on('error', (e: Error) => {
        if (isDead()) fail(lost(`connection lost: ${e.message}`));
      });
      channel.on('close', () => {
        if (isDead()) fail(lost('connection lost while a command was running'));
        else if (resumeError) fail(resumeError);
        else finish(false);
      });
      let wrote = false;
      for (const chunk of options.stdin) if (chunk.length > 0) wrote = channel.write(chunk) || true;
      // Nothing to send: the SSH EOF alone, leaving the stream's own end to
      // ssh2 when the channel closes (ending it twice costs an Error with its
      // stack trace per command). Data: end() sends EOF once the data is out.
      if (!options.pause) {
        if (wrote) channel.end();
        else channel.eof();
      }
    };

    try {
      client.exec(command, onChannel);
    } catch (e) {
      fail(lost(`connection lost: ${(e as Error).message}`));
    }
  });
}

/**
 * Pass stdout on (to `emit`) while watching for the pause line
 * (`\n<marker> <status>\n` at the very end: the script then waits). The last
 * bytes are held back until they cannot be part of that line, so `emit` never
 * sees it. Once seen: run `resume`, answer on stdin and close it. A failing
 * resume answers `stop` and is reported when the channel closes.
 */
export function pauseWatch(
  spec: PauseSpec,
  channel: PauseStdin,
  emit: (chunk: Buffer) => void,
  onError: (e: FleetError) => void,
): (chunk: Buffer) => void {
  if (!/^[A-Za-z0-9-]{8,64}$/.test(spec.marker)) throw new FleetError('E_INTERNAL', `bad pause marker ${spec.marker}`);
  const re = new RegExp(`\n${spec.marker} (\\S{0,16})\n$`);
  const hold = spec.marker.length + 20;
  let held: Buffer = Buffer.alloc(0);
  let fired = false;
  return (chunk) => {
    if (fired) {
      emit(chunk);
      return;
    }
    held = held.length ? Buffer.concat([held, chunk]) : chunk;
    const m = re.exec(held.subarray(-hold).toString('latin1'));
    if (!m) {
      if (held.length > hold) {
        emit(held.subarray(0, held.length - hold));
        held = held.subarray(held.length - hold);
      }
      return;
    }
    fired = true;
    const before = held.subarray(0, held.length - Buffer.byteLength(m[0], 'latin1'));
    if (before.length) emit(before);
    held = Buffer.alloc(0);
    spec.resume(m[1]!, channel).then(
      (answer) => {
        if (answer !== null) channel.end(typeof answer === 'string' ? `${answer}\n` : answer);
      },
      (e: unknown) => {
        onError(e instanceof FleetError ? e : new FleetError('E_INTERNAL', `resuming a command: ${(e as Error).message}`, { cause: e }));
        channel.end('stop\n');
      },
    );
  };
}

/**
 * Does the host still answer on this connection? Resolves true as soon as it
 * answers a channel request (opened or refused), false when it says nothing
 * for `ms`: a silent network (link down, host frozen) rather than a slow command.
 */
export function hostAnswers(client: Client, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    let done = false;
    const settle = (answered: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(answered);
    };
    const timer = setTimeout(() => settle(false), ms);
    try {
      client.exec('true', (e: Error | undefined, channel: ClientChannel) => {
        if (!e) {
          channel.on('error', () => undefined);
          channel.resume();
          channel.stderr.resume();
          channel.end();
        }
        // "No response from server" comes from the connection closing, not from the host.
        settle(!e || !/No response from server/.test(e.message));
      });
    } catch {
      settle(false);
    }
  });
}
