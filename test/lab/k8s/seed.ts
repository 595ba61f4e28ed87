/**
 * Seed one lab node like a binary-installed Kubernetes node: the units of
 * units.ts, the stand-in binaries of node-files/, certificates, environment.sh,
 * leftovers of Flannel's CNI state. Files are written from the host straight into
 * the node's overlay root, then systemd inside the node enables and starts them.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  dockerUnit, environmentSh, etcdDefaults, flanneldUnit, kubeApiserverUnit, kubeletUnit, type ClusterFacts,
} from './units.ts';

export interface SeedNode {
  name: string;
  address: string;
  master: boolean;
  /** Host path of the node's / (its overlay mount). */
  root: string;
}

export interface SeedOptions {
  /** kube-apiserver runs with --allow-privileged=true (default true). */
  allowPrivileged?: boolean;
  /** docker.service says `EnvironmentFile=-/run/flannel/docker` (default) or without the '-'. */
  optionalDockerEnvFile?: boolean;
  /** Leave a cni0 bridge behind on this node (as an earlier flannel CNI setup would). */
  cni0?: boolean;
}

const NODE_FILES = new URL('./node-files/', import.meta.url);

interface FileSpec {
  content: string;
  mode: number;
}

function standIn(name: string): FileSpec {
  return { content: readFileSync(new URL(name, NODE_FILES), 'utf8'), mode: 0o755 };
}

/** A PEM-looking placeholder: the stand-ins only check that certificate files exist. */
function pem(kind: 'CERTIFICATE' | 'RSA PRIVATE KEY', seed: string): string {
  const body = createHash('sha512').update(seed).digest('base64').repeat(6).match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN ${kind}-----\n${body}\n-----END ${kind}-----\n`;
}

export function nodeFiles(node: SeedNode, cluster: ClusterFacts, options: SeedOptions = {}): Map<string, FileSpec> {
  const f = new Map<string, FileSpec>();
  const text = (path: string, content: string, mode = 0o644) => f.set(path, { content, mode });
  text('/opt/k8s/bin/environment.sh', environmentSh(cluster), 0o755);
  text('/etc/systemd/system/flanneld.service', flanneldUnit(cluster));
  text('/etc/systemd/system/docker.service', dockerUnit(options.optionalDockerEnvFile ?? true));
  text('/etc/systemd/system/kubelet.service', kubeletUnit(node.name));
  for (const bin of ['flanneld', 'mk-docker-opts.sh', 'dockerd', 'kubelet']) f.set(`/opt/k8s/bin/${bin}`, standIn(bin));
  f.set('/usr/local/lib/fake-k8s/fakek8s.py', { ...standIn('fakek8s.py'), mode: 0o644 });
  f.set('/usr/local/lib/fake-k8s/calico-node', standIn('calico-node'));
  f.set('/usr/local/bin/calicoctl', standIn('calicoctl'));
  text('/etc/kubernetes/cert/ca.pem', pem('CERTIFICATE', 'lab-ca'));
  text('/etc/kubernetes/cert/ca-key.pem', pem('RSA PRIVATE KEY', 'lab-ca-key'), 0o600);
  text('/etc/flanneld/cert/flanneld.pem', pem('CERTIFICATE', `flanneld-${node.name}`));
  text('/etc/flanneld/cert/flanneld-key.pem', pem('RSA PRIVATE KEY', `flanneld-key-${node.name}`), 0o600);
  const kubeconfig = `apiVersion: v1\nkind: Config\nclusters:\n- name: kubernetes\n  cluster:\n` +
    `    certificate-authority: /etc/kubernetes/cert/ca.pem\n    server: https://${cluster.masterAddress}:6443\n` +
    `contexts:\n- name: default\n  context:\n    cluster: kubernetes\n    user: system:node:${node.name}\n` +
    `current-context: default\nusers:\n- name: system:node:${node.name}\n  user:\n` +
    `    client-certificate: /etc/kubernetes/cert/kubelet-client-current.pem\n`;
  text('/etc/kubernetes/kubelet.kubeconfig', kubeconfig, 0o600);
  text('/etc/kubernetes/kubelet-bootstrap.kubeconfig', kubeconfig.replace(/system:node:/g, 'kubelet-bootstrap-'), 0o600);
  text('/etc/kubernetes/kubelet-config.yaml',
    `kind: KubeletConfiguration\napiVersion: kubelet.config.k8s.io/v1beta1\naddress: "${node.address}"\n` +
    `clusterDomain: "cluster.local"\nclusterDNS:\n  - "10.254.0.2"\npodCIDR: "${cluster.clusterCidr}"\n`);
  // What Flannel's CNI plugin left behind on a node that once ran pods through it.
  const id = createHash('sha256').update(`pause-${node.name}`).digest('hex');
  text(`/var/lib/cni/flannel/${id}`, `{"cniVersion":"0.3.1","name":"cbr0","type":"flannel","delegate":{"isDefaultGateway":true}}`);
  const octet = Number(node.address.split('.').at(-1));
  text(`/var/lib/cni/networks/cbr0/172.30.${octet}.2`, id);
  text('/var/lib/cni/networks/cbr0/last_reserved_ip.0', `172.30.${octet}.2`);
  text('/etc/fake-k8s/README', 'Files of the fleet k8s lab (test/lab/k8s/README.md). ' +
    'Create /etc/fake-k8s/break-bird to make the calico-node stand-in write a broken bird.cfg.\n');
  if (node.master) {
    text('/etc/systemd/system/kube-apiserver.service', kubeApiserverUnit(node.address, options.allowPrivileged ?? true));
    text('/etc/default/etcd', etcdDefaults(node.address));
    f.set('/opt/k8s/bin/kube-apiserver', standIn('kube-apiserver'));
    f.set('/opt/k8s/bin/kubectl', standIn('kubectl'));
    text('/root/.kube/config', kubeconfig.replace(/system:node:[\w-]+/g, 'admin'), 0o600);
  }
  return f;
}

/** Directories the units need (WorkingDirectory=...) and the migration's work dir. */
export function nodeDirs(node: SeedNode): string[] {
  const dirs = ['/data/k8s/docker', '/data/k8s/k8s/kubelet', '/etc/cni/net.d', '/opt/cni/bin'];
  if (node.master) dirs.push('/data/k8s/k8s/kube-apiserver', '/opt/k8s/work', '/var/lib/fake-k8s');
  return dirs;
}

export function writeNodeFiles(node: SeedNode, files: Map<string, FileSpec>): void {
  for (const d of nodeDirs(node)) mkdirSync(join(node.root, d), { recursive: true });
  for (const [path, spec] of files) {
    const target = join(node.root, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, spec.content);
    chmodSync(target, spec.mode);
  }
}

/** Run inside the node once its files are written: enable and start the units. */
export function startScript(node: SeedNode, options: SeedOptions = {}): string {
  const units = ['flanneld', 'docker', 'kubelet', ...(node.master ? ['etcd', 'kube-apiserver'] : [])];
  return [
    'set -e',
    'systemctl daemon-reload',
    `systemctl enable --quiet ${units.join(' ')}`,
    ...(node.master ? ['systemctl start etcd kube-apiserver'] : []),
    'systemctl start flanneld docker kubelet',
    ...(options.cni0 ? ['ip link add cni0 type bridge', `ip addr add 172.30.${node.address.split('.').at(-1)}.1/24 dev cni0`,
      'ip link set cni0 up'] : []),
  ].join('\n');
}
