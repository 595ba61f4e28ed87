/** The system OpenSSH client against a lab, for tests that must not go through fleet's own transport. */
import { Client } from 'ssh2';
import { run } from './run.ts';
import type { Lab } from './lab.ts';
import type { ExecResult, LabHost } from './types.ts';

/** `ssh` with the lab key, strict host key checking against the lab's known_hosts, no user config. */
export function ssh(lab: Lab, user: string, host: LabHost, command: string, extra: string[] = []): Promise<ExecResult> {
  return run('ssh', [
    '-F', '/dev/null',
    '-i', lab.keyPath,
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${lab.knownHostsPath}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'ConnectTimeout=5',
    '-o', 'LogLevel=ERROR',
    ...extra,
    `${user}@${host.address}`,
    command,
  ], { timeoutMs: 30_000 });
}

/** Log in with a password (ssh2: the system client cannot take one non-interactively) and run a command. */
export function sshPassword(host: LabHost, user: string, password: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = new Client();
    c.once('error', reject);
    c.once('ready', () => {
      c.exec(command, (err, stream) => {
        if (err) {
          c.end();
          reject(err);
          return;
        }
        let out = '';
        stream.on('data', (b: Buffer) => {
          out += b.toString('utf8');
        });
        stream.stderr.on('data', () => undefined);
        stream.once('close', () => {
          c.end();
          resolve(out);
        });
      });
    });
    c.connect({ host: host.address, port: 22, username: user, password, tryKeyboard: false, readyTimeout: 10_000 });
  });
}
