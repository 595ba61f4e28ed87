/** Running commands for the lab (argv only, never a shell built from data). */
import { spawn, spawnSync } from 'node:child_process';
import { FleetError } from '../../src/errors/fleet-error.ts';
import type { ExecResult } from './types.ts';

export const LAB_ENV: NodeJS.ProcessEnv = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  USER: 'root',
  LOGNAME: 'root',
  LANG: 'C.UTF-8',
};

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
}

export function run(cmd: string, args: string[], options: RunOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: LAB_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new FleetError('E_INTERNAL', `lab: cannot run ${cmd}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        code: code ?? 128,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: timedOut ? `${stderr}lab: killed after ${options.timeoutMs ?? 60_000} ms\n` : signal ? `${stderr}lab: killed by ${signal}\n` : stderr,
      });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** Run and throw a FleetError (E_INTERNAL) with stderr when the exit code is not 0. */
export async function must(cmd: string, args: string[], options: RunOptions = {}): Promise<ExecResult> {
  const r = await run(cmd, args, options);
  if (r.code !== 0) throw commandFailed(cmd, args, r);
  return r;
}

export function runSync(cmd: string, args: string[], input?: string): ExecResult {
  const r = spawnSync(cmd, args, { env: LAB_ENV, input: input ?? '', encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? 128, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

export function commandFailed(cmd: string, args: string[], r: ExecResult): FleetError {
  return new FleetError('E_INTERNAL', `lab: ${cmd} ${args.join(' ')} exited with ${r.code}`, {
    hint: r.stderr.trim() || undefined,
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
/** Blocking sleep, for teardown from an 'exit' handler. */
export function sleepSync(ms: number): void {
  Atomics.wait(sleepCell, 0, 0, ms);
}
