/** For the migration e2e test: run the fleet CLI, read its JSON events, look at lab nodes. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { RunEvent, EventOf } from '../../src/events/types.ts';
import type { K8sLab } from '../lab/k8s/index.ts';
import { diffSnapshots, snapshotFiles } from '../support/node-snapshot.ts';

export const REPO = new URL('../../', import.meta.url).pathname;
export const PLAYBOOK = join(REPO, 'playbooks/migrate-flannel-to-calico.yaml');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  events: RunEvent[];
  ms: number;
}

/** `node bin/fleet.js ARGS --output json`, asynchronously (the test's timers keep running). */
export function fleet(args: string[], timeoutMs = 240_000): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO, 'bin/fleet.js'), ...args], {
      cwd: REPO, env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const events: RunEvent[] = [];
      for (const line of stdout.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          events.push(JSON.parse(line) as RunEvent);
        } catch {
          /* not an event */
        }
      }
      resolve({ code, stdout, stderr: Buffer.concat(err).toString('utf8'), events, ms: Date.now() - started });
    });
  });
}

export function runArgs(lab: K8sLab, stateDir: string, extra: string[] = []): string[] {
  return ['run', PLAYBOOK, '-i', lab.inventoryPath, '--known-hosts', lab.knownHostsPath, '--state-dir', stateDir,
    '--output', 'json', ...extra];
}

export function ofKind<K extends RunEvent['kind']>(events: RunEvent[], kind: K): EventOf<K>[] {
  return events.filter((e): e is EventOf<K> => e.kind === kind);
}

export function runEnd(r: CliResult): EventOf<'run-end'> {
  const e = ofKind(r.events, 'run-end')[0];
  if (!e) throw new Error(`no run-end event (exit ${r.code})\n${r.stderr}\n${r.stdout.slice(-4000)}`);
  return e;
}

/** What went wrong in a run, for assertion messages. */
export function failures(r: CliResult): string {
  const lines = ofKind(r.events, 'host-task').filter((e) => e.status === 'failed').map((e) => `${e.host} ${e.task}: ${e.msg}`);
  return `exit ${r.code}\n${lines.join('\n')}\n${r.stderr.slice(-3000)}`;
}

/** Directories a node's migration touches (the drop-ins, Flannel's files, calicoctl.cfg) and its settings. */
export const MIGRATION_DIRS = ['/etc/systemd/system', '/etc/flanneld', '/etc/calico', '/etc/kubernetes', '/opt/k8s',
  '/run/flannel', '/var/lib/cni'];

/**
 * What changes on an idle node without anyone doing anything (or through a
 * read-only SSH session): sshd, logins, the journal, etcd's own files.
 */
export const NOISE = [
  /^\/run\/(systemd|user|sshd|log|utmp|credentials|dbus|lock|mount)(\/|$)/,
  /^\/var\/lib\/(systemd|etcd|private|dbus)(\/|$)/,
  /^\/var\/log(\/|$)/,
  /^\/run\/motd\.dynamic$/,
];

export async function snapshot(lab: K8sLab, node: string, dirs: string[], exclude: RegExp[] = []): Promise<Map<string, string>> {
  return snapshotFiles((script) => lab.exec(node, script, { timeoutMs: 60_000 }), dirs, exclude);
}

export { diffSnapshots };

export async function isActive(lab: K8sLab, node: string, unit: string): Promise<string> {
  return (await lab.exec(node, `systemctl is-active ${unit}`)).stdout.trim();
}

export async function isEnabled(lab: K8sLab, node: string, unit: string): Promise<string> {
  return (await lab.exec(node, `systemctl is-enabled ${unit}`)).stdout.trim();
}

/** Peer addresses of the node's ESTABLISHED connections on TCP 179, as ss reports them. */
export async function bgpPeers(lab: K8sLab, node: string): Promise<string[]> {
  const out = await lab.sh(node, "ss -Htn state established '( sport = :179 or dport = :179 )'");
  return out.split('\n').filter(Boolean).map((l) => l.trim().split(/\s+/)[3]!.replace(/:\d+$/, '')).sort();
}

export async function etcdKeys(lab: K8sLab, prefix: string): Promise<string[]> {
  const out = await lab.sh(lab.masters[0]!.name,
    `ETCDCTL_API=3 etcdctl --endpoints=${lab.etcdEndpoints} get --prefix --keys-only ${prefix}`);
  return out.split('\n').filter(Boolean);
}

export async function etcdJson(lab: K8sLab, key: string): Promise<Record<string, unknown>> {
  const out = await lab.sh(lab.masters[0]!.name, `ETCDCTL_API=3 etcdctl --endpoints=${lab.etcdEndpoints} get --print-value-only ${key}`);
  return JSON.parse(out) as Record<string, unknown>;
}
