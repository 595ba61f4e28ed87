/**
 * Run the CLI's `main(argv)` in this process with stdout and stderr captured,
 * for suites that push hundreds of inputs through the real command line
 * (yargs, handlers, error printing, exit codes) without a child process each.
 */
import { main } from '../../src/cli/main.ts';

export interface CapturedRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

type Write = typeof process.stdout.write;

let running = false;

/** `fleet ARGV` in-process. Calls must not overlap (the streams are shared). */
export async function fleetInProcess(argv: string[], env: Record<string, string> = {}): Promise<CapturedRun> {
  if (running) throw new Error('fleetInProcess: calls must not overlap');
  running = true;
  const out: string[] = [];
  const err: string[] = [];
  const original = { stdout: process.stdout.write, stderr: process.stderr.write };
  const saved = Object.fromEntries(Object.keys({ CI: '', ...env }).map((k) => [k, process.env[k]]));
  // fleet writes strings; node:test's child-process reporter writes serialized Buffers
  // to stdout at any time, and those must reach the runner.
  const capture = (sink: string[], write: Write, stream: NodeJS.WriteStream): Write =>
    ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (typeof chunk !== 'string') return (write as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
      sink.push(chunk);
      const cb = rest.find((r): r is () => void => typeof r === 'function');
      cb?.();
      return true;
    }) as Write;
  const previousExit = process.exitCode;
  process.exitCode = undefined;
  Object.assign(process.env, { CI: '1', ...env });
  const started = Date.now();
  process.stdout.write = capture(out, original.stdout, process.stdout);
  process.stderr.write = capture(err, original.stderr, process.stderr);
  let code: number;
  try {
    code = await main(argv);
  } finally {
    process.stdout.write = original.stdout;
    process.stderr.write = original.stderr;
    process.exitCode = previousExit;
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    running = false;
  }
  return { code, stdout: out.join(''), stderr: err.join(''), ms: Date.now() - started };
}
