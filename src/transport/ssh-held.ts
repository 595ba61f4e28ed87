/**
 * The controller's side of a held read (remote-scripts.ts heldReadScript):
 * the read's output up to the pause line is the path's state; then the
 * session waits until fleet either runs one script in it (the script's lines,
 * the marker line, the script's stdin, then EOF) or releases it. What the script prints
 * after the pause, and the session's exit status, are that script's result.
 */
import { randomBytes } from 'node:crypto';
import { FleetError } from '../errors/fleet-error.ts';
import { pauseWatch, type ChannelRunResult } from './ssh-channel.ts';
import { HELD_STOP, heldRunPayload } from './remote-scripts.ts';
import type { HeldSession, PauseSpec, PauseStdin, ReadOptions } from './types.ts';

interface RunShape {
  become?: boolean;
  becomeUser?: string;
  timeoutMs?: number;
}

/** What a command run in the held session does with its output. */
export interface HeldRunOutput {
  /** Its stdout goes here instead of into the result. */
  onStdout?: (chunk: Buffer) => void;
  /** It pauses in turn (e.g. backup-and-remove): watched as a command of its own would be. */
  pause?: PauseSpec;
}

const userOf = (o: { become?: boolean; becomeUser?: string }): string | null => (o.become ? o.becomeUser ?? 'root' : null);

export class SshHeld implements HeldSession {
  readonly marker = `fleet-held-${randomBytes(12).toString('hex')}`;
  private readonly before: Buffer[] = [];
  private readonly after: Buffer[] = [];
  private sink: (chunk: Buffer) => void = (chunk) => void this.before.push(chunk);
  private stdin: PauseStdin | undefined;
  private state: 'reading' | 'open' | 'used' | 'released' = 'reading';
  private answer!: (payload: string | Buffer | null) => void;
  private readonly answered = new Promise<string | Buffer | null>((resolve) => {
    this.answer = resolve;
  });
  private paused!: () => void;
  private readonly pausedAt = new Promise<void>((resolve) => {
    this.paused = resolve;
  });
  private done: Promise<ChannelRunResult> | undefined;

  constructor(
    private readonly owner: object,
    private readonly options: ReadOptions,
  ) {}

  readonly onStdout = (chunk: Buffer): void => {
    this.sink(chunk);
  };

  readonly pause: PauseSpec = {
    marker: this.marker,
    resume: (_status, stdin) => {
      this.stdin = stdin;
      this.sink = (chunk) => void this.after.push(chunk);
      this.state = 'open';
      this.paused();
      return this.answered;
    },
  };

  /** The read's output once the host paused, or null when the session ended before that. */
  async start(done: Promise<ChannelRunResult>): Promise<Buffer | null> {
    this.done = done;
    // Nobody may be waiting on the session when it fails later (released, connection lost).
    done.catch(() => undefined);
    const first = await Promise.race([this.pausedAt.then(() => true), done.then(() => false)]);
    if (!first) {
      this.state = 'released';
      return null;
    }
    return Buffer.concat(this.before);
  }

  /** Can `run` go into this session (of transport `owner`)? */
  canRun(owner: object, run: RunShape): boolean {
    return owner === this.owner && this.state === 'open' && run.timeoutMs === undefined && userOf(run) === userOf(this.options);
  }

  /** Run a script in the held shell; resolves when the session ends, with the script's output and exit status. */
  async run(script: string, stdin: Buffer | undefined, maxOutputBytes: number, output: HeldRunOutput = {}): Promise<ChannelRunResult> {
    this.state = 'used';
    const payload = Buffer.concat([heldRunPayload(script, this.marker), stdin ?? Buffer.alloc(0)]);
    const emit = output.onStdout ?? ((chunk: Buffer) => void this.after.push(chunk));
    let resumeError: FleetError | undefined;
    if (output.pause) {
      // The script pauses in turn: stdin stays open for its answer.
      this.sink = pauseWatch(output.pause, this.stdin!, emit, (e) => {
        resumeError = e;
      });
      this.stdin!.write(payload);
      this.answer(null);
    } else {
      this.sink = emit;
      this.answer(payload);
    }
    const r = await this.done!;
    if (resumeError) throw resumeError;
    const stdout = Buffer.concat(this.after);
    const truncated = r.truncated || stdout.length > maxOutputBytes || r.stderr.length > maxOutputBytes;
    return {
      ...r,
      stdout: stdout.subarray(0, maxOutputBytes),
      stderr: r.stderr.subarray(0, maxOutputBytes),
      truncated,
    };
  }

  release(): void {
    if (this.state === 'used' || this.state === 'released') return;
    this.state = 'released';
    this.answer(HELD_STOP);
  }
}
