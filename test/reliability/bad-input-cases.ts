/**
 * The bad-input corpus (test/fixtures/bad-input/cases.json): loading it, the
 * fleet command lines each case is run through, and what every run must show:
 * exit 4, exactly one `fleet: error [CODE]: file:line:col: ...` line, no stack
 * trace, no run started, nothing contacted.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'bad-input');

export type CaseKind = 'playbook' | 'inventory' | 'template' | 'extra-vars' | 'limit';

export interface BadInputCase {
  kind: CaseKind;
  /** Relative to CORPUS_DIR. */
  file: string;
  code: string;
  /** "line:col" of the error in the file, null when the input is a command-line value. */
  at: string | null;
  message?: string;
  note: string;
}

export function loadCorpus(): BadInputCase[] {
  const manifest = JSON.parse(readFileSync(join(CORPUS_DIR, 'cases.json'), 'utf8')) as { cases: BadInputCase[] };
  return manifest.cases;
}

/** A TCP listener standing in for every host: any connection attempt is counted. */
export class Tripwire {
  connections = 0;
  private server: Server | undefined;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((socket) => {
      this.connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const addr = this.server.address();
    this.port = typeof addr === 'object' && addr ? addr.port : 0;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** The good inventory, playbook and directories every case runs with. */
export interface Workspace {
  dir: string;
  inventory: string;
  playbook: string;
  stateDir: string;
  knownHosts: string;
}

export function makeWorkspace(dir: string, port: number): Workspace {
  const host = (n: number) => `h${n}: { address: 127.0.0.1, port: ${port}, connect_timeout: 2 }`;
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(inventory, [
    'all:',
    '  vars: { known_var: hello, ansible_user: root }',
    '  children:',
    `    web: { hosts: { ${host(1)}, ${host(2)} } }`,
    `    db: { hosts: { ${host(3)} } }`,
    '',
  ].join('\n'));
  const playbook = join(dir, 'site.yaml');
  writeFileSync(playbook, '- hosts: all\n  tasks:\n    - debug: { msg: "{{ known_var }}" }\n');
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, '');
  return { dir, inventory, playbook, stateDir: join(dir, 'state'), knownHosts };
}

/** The command lines a case goes through. */
export function commandsFor(c: BadInputCase, ws: Workspace): string[][] {
  const file = join(CORPUS_DIR, c.file);
  const run = (pb: string, inv: string, ...extra: string[]) => [
    'run', pb, '-i', inv, '--check', '--output', 'json', '--state-dir', ws.stateDir, '--known-hosts', ws.knownHosts, ...extra,
  ];
  switch (c.kind) {
    case 'playbook':
      return [['validate', file, '-i', ws.inventory], run(file, ws.inventory)];
    case 'inventory':
      return [['inventory', '-i', file], ['validate', ws.playbook, '-i', file], run(ws.playbook, file)];
    case 'template': {
      const pb = templatePlaybook(ws, file);
      return [['validate', pb, '-i', ws.inventory], run(pb, ws.inventory)];
    }
    case 'extra-vars':
      return [run(ws.playbook, ws.inventory, '-e', argument(file))];
    case 'limit':
      return [run(ws.playbook, ws.inventory, '--limit', argument(file))];
  }
}

/** A playbook with one template task rendering `file`. */
export function templatePlaybook(ws: Workspace, file: string): string {
  const dir = join(ws.dir, 'template-playbooks');
  mkdirSync(dir, { recursive: true });
  const pb = join(dir, `${file.split('/').pop()}.yaml`);
  writeFileSync(pb, `- hosts: all\n  tasks:\n    - template: { src: ${JSON.stringify(file)}, dest: /opt/bad-input }\n`);
  return pb;
}

/** The one command-line argument an extra-vars or limit file holds. */
function argument(file: string): string {
  return readFileSync(file, 'utf8');
}

export interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Where the input file of a case is, as fleet names it in messages. */
export function inputFile(c: BadInputCase): string | undefined {
  return c.kind === 'extra-vars' || c.kind === 'limit' ? undefined : join(CORPUS_DIR, c.file);
}

/** The exact start of the error line fleet must print. */
export function expectedPrefix(code: string, file: string | undefined, at: string | null): string {
  const head = code === 'E_USAGE' ? 'fleet: error: ' : `fleet: error [${code}]: `;
  return at && file ? `${head}${file}:${at}: ` : head;
}

/** Everything a run of bad input must (not) show. `label` names the case in failures. */
export function checkRefused(
  label: string,
  out: Outcome,
  expect: { code: string; file?: string; at: string | null; message?: string; maxMs?: number },
): void {
  const show = `${label}\nexit ${out.code} in ${out.ms} ms\nstderr:\n${out.stderr}\nstdout:\n${out.stdout.slice(0, 2000)}`;
  assert.equal(out.code, 4, `exit code\n${show}`);
  const lines = out.stderr.split('\n');
  assert.deepEqual(lines.filter((l) => /^\s+at /.test(l)), [], `stack trace\n${show}`);
  assert.doesNotMatch(out.stderr, /internal error|TypeError|RangeError|ReferenceError/, `internal error\n${show}`);
  const errors = lines.filter((l) => l.startsWith('fleet: error'));
  assert.equal(errors.length, 1, `one error line\n${show}`);
  const prefix = expectedPrefix(expect.code, expect.file, expect.at);
  assert.ok(errors[0]!.startsWith(prefix), `expected a line starting with ${JSON.stringify(prefix)}\n${show}`);
  if (expect.file && !expect.at) assert.ok(errors[0]!.includes(expect.file), `the message names ${expect.file}\n${show}`);
  if (expect.message) assert.match(out.stderr, new RegExp(expect.message), show);
  const events = out.stdout.split('\n').filter((l) => l.startsWith('{'));
  assert.deepEqual(events, [], `no run may start\n${show}`);
  assert.ok(out.ms < (expect.maxMs ?? 5000), `took ${out.ms} ms\n${show}`);
}

/** Runs recorded in a state directory (none may appear for bad input). */
export function runsIn(stateDir: string): string[] {
  const runs = join(stateDir, 'runs');
  return existsSync(runs) ? readdirSync(runs) : [];
}
