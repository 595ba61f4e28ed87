/**
 * The k8s lab: nspawn nodes (real systemd) seeded as a binary-installed
 * Kubernetes cluster running Flannel, ready for the Flannel → Calico migration.
 * See README.md beside this file for what is real and what is a stand-in.
 */
import { rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { FleetError } from '../../../src/errors/fleet-error.ts';
import { createSystemdLab, defaultLabDir, downSystemdLab, type SystemdLab, type SystemdLabNode } from '../nspawn/index.ts';
import type { RunResult } from '../nspawn/index.ts';
import { nodeFiles, startScript, writeNodeFiles, type SeedNode, type SeedOptions } from './seed.ts';
import type { ClusterFacts } from './units.ts';

export interface K8sLabOptions {
  /** Lab name (default 'k8s'); part of machine, bridge and cgroup names. */
  name?: string;
  /** Number of masters (default 1) and workers (default 3). */
  masters?: number;
  workers?: number;
  /** Pod network of the cluster (environment.sh CLUSTER_CIDR, Flannel's network). */
  clusterCidr?: string;
  /** Lab directory; default /var/tmp/fleet-nspawn-lab/<name>. */
  dir?: string;
  /** Nodes that keep a leftover cni0 bridge (default: worker2, else the first worker). */
  cni0Nodes?: string[];
  /**
   * Nodes whose docker.service says `EnvironmentFile=/run/flannel/docker` without the '-'
   * (Docker then cannot start once Flannel's file is gone), default: worker3.
   */
  requiredDockerEnvFileNodes?: string[];
  /** Per-master kube-apiserver --allow-privileged=true (default true). */
  allowPrivileged?: boolean;
  log?: (line: string) => void;
}

export interface K8sLab {
  name: string;
  dir: string;
  systemd: SystemdLab;
  nodes: SystemdLabNode[];
  masters: SystemdLabNode[];
  workers: SystemdLabNode[];
  /** Inventory with groups masters/workers and the cluster's settings (etcd endpoints). */
  inventoryPath: string;
  knownHostsPath: string;
  clusterCidr: string;
  etcdEndpoints: string;
  exec(node: string, script: string, options?: { timeoutMs?: number }): Promise<RunResult>;
  /** exec that throws unless the script exits 0; returns stdout. */
  sh(node: string, script: string, options?: { timeoutMs?: number }): Promise<string>;
  down(): Promise<void>;
}

export function clusterInventory(lab: { keyPath: string }, masters: SystemdLabNode[], workers: SystemdLabNode[],
  vars: Record<string, unknown>): string {
  const hosts: Record<string, { ansible_host: string }> = {};
  for (const n of [...masters, ...workers]) hosts[n.name] = { ansible_host: n.address };
  const group = (nodes: SystemdLabNode[]) => ({ hosts: Object.fromEntries(nodes.map((n) => [n.name, null])) });
  const doc = {
    all: {
      vars: { ansible_user: 'root', ansible_ssh_private_key_file: lab.keyPath, ...vars },
      hosts,
      children: { masters: group(masters), workers: group(workers) },
    },
  };
  return '# The k8s lab cluster (test/lab/k8s): masters run etcd, kube-apiserver and kubectl.\n' +
    stringify(doc, { nullStr: '', lineWidth: 0 });
}

export async function createK8sLab(options: K8sLabOptions = {}): Promise<K8sLab> {
  const name = options.name ?? 'k8s';
  const nMasters = options.masters ?? 1;
  const nWorkers = options.workers ?? 3;
  if (nMasters < 1) throw new FleetError('E_USAGE', 'k8s lab: at least one master');
  const names = [
    ...Array.from({ length: nMasters }, (_, i) => ({ name: `master${i + 1}`, groups: ['masters'] })),
    ...Array.from({ length: nWorkers }, (_, i) => ({ name: `worker${i + 1}`, groups: ['workers'] })),
  ];
  const systemd = await createSystemdLab({
    name, nodes: names, ...(options.dir ? { dir: options.dir } : {}), ...(options.log ? { log: options.log } : {}),
  });
  try {
    const masters = systemd.nodes.filter((n) => n.groups.includes('masters'));
    const workers = systemd.nodes.filter((n) => n.groups.includes('workers'));
    const clusterCidr = options.clusterCidr ?? '172.30.0.0/16';
    const cluster: ClusterFacts = {
      nodes: systemd.nodes.map((n) => ({ name: n.name, address: n.address, master: masters.includes(n) })),
      masterAddress: masters[0]!.address,
      clusterCidr,
    };
    const cni0 = new Set(options.cni0Nodes ?? [(workers[1] ?? workers[0])?.name].filter((n): n is string => !!n));
    const requiredEnv = new Set(options.requiredDockerEnvFileNodes ?? ['worker3']);
    const seed = async (n: SystemdLabNode): Promise<void> => {
      const node: SeedNode = { name: n.name, address: n.address, master: masters.includes(n), root: n.root };
      const seedOptions: SeedOptions = {
        allowPrivileged: options.allowPrivileged ?? true,
        cni0: cni0.has(n.name),
        optionalDockerEnvFile: !requiredEnv.has(n.name),
      };
      writeNodeFiles(node, nodeFiles(node, cluster, seedOptions));
      const r = await systemd.exec(n, startScript(node, seedOptions), { timeoutMs: 120_000 });
      if (r.code !== 0) {
        const status = await systemd.exec(n, 'systemctl --no-pager status flanneld docker kubelet etcd kube-apiserver 2>&1 | tail -n 60');
        throw new FleetError('E_INTERNAL', `k8s lab: starting the units on ${n.name} failed: ${r.stderr.trim()}`, {
          hint: status.stdout,
        });
      }
    };
    // Masters first: etcd (the lab's API store) must be up before kubelets register.
    for (const m of masters) await seed(m);
    await Promise.all(workers.map(seed));
    const etcdEndpoints = `http://${masters[0]!.address}:2379`;
    const inventoryPath = join(systemd.dir, 'cluster-inventory.yaml');
    writeFileSync(inventoryPath, clusterInventory(systemd, masters, workers, {
      calico_datastore: 'etcdv3',
      etcd_endpoints: etcdEndpoints,
    }));
    const exec = (node: string, script: string, o: { timeoutMs?: number } = {}) => systemd.exec(node, script, o);
    return {
      name, dir: systemd.dir, systemd, nodes: systemd.nodes, masters, workers, inventoryPath,
      knownHostsPath: systemd.knownHostsPath, clusterCidr, etcdEndpoints, exec,
      sh: async (node, script, o = {}) => {
        const r = await exec(node, script, o);
        if (r.code !== 0) throw new FleetError('E_INTERNAL', `${node}: '${script}' exited ${r.code}: ${r.stderr.trim()}`);
        return r.stdout;
      },
      down: async () => {
        removeK8sFiles(systemd.dir);
        await systemd.down();
      },
    };
  } catch (e) {
    removeK8sFiles(systemd.dir);
    await systemd.down();
    throw e;
  }
}

/** What this lab adds to the nspawn lab's dir: its inventory, and fleet's journal beside it (the demo's). */
function removeK8sFiles(dir: string): void {
  rmSync(join(dir, 'cluster-inventory.yaml'), { force: true });
  rmSync(join(dir, '.fleet'), { recursive: true, force: true });
}

/** Take down the k8s lab named `name` (also one left by a crashed process). */
export async function downK8sLab(name: string, dir?: string): Promise<boolean> {
  const d = resolve(dir ?? defaultLabDir(name));
  removeK8sFiles(d);
  const found = await downSystemdLab({ dir: d });
  try {
    rmdirSync(d);
  } catch {
    /* gone already, or not empty: not ours */
  }
  return found;
}

export async function withK8sLab<T>(options: K8sLabOptions, fn: (lab: K8sLab) => Promise<T>): Promise<T> {
  const lab = await createK8sLab(options);
  try {
    return await fn(lab);
  } finally {
    await lab.down();
  }
}
