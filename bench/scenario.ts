/**
 * The benchmark's scenario: what every lab host holds before a run (seeded by
 * `seedScript`, outside the timed region), the 12 steps as plain shell commands
 * for the floor (the same remote work as bench/playbooks/bench.yaml and
 * bench/ansible/bench.yaml), and the state a host must be in after an apply
 * run (or still be in after a check run), checked by `fingerprintScript`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { shq } from '../src/core/shell.ts';

export const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url)).replace(/\/$/, '');
export const REPO_DIR = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
export const FLEET_PLAYBOOK = `${BENCH_DIR}/playbooks/bench.yaml`;
export const ANSIBLE_PLAYBOOK = `${BENCH_DIR}/ansible/bench.yaml`;
export const ANSIBLE_CFG = `${BENCH_DIR}/ansible/ansible.cfg`;
export const TEMPLATE_FILE = `${BENCH_DIR}/templates/calico.conflist.hbs`;
export const COPY_FILE = `${BENCH_DIR}/files/calicoctl.cfg`;

/** The play's vars (the same in both playbooks; a test checks). */
export const BENCH_VARS = { calico_mtu: 1440, etcd_endpoints: 'http://198.18.0.1:2379' } as const;

/** Task names in order; the playbooks tag them t01..t12. */
export const TASKS = [
  'probe flannel subnet',
  'stat flannel CNI config',
  'drop flannel settings from kubelet.env',
  'add the calico backend to kubelet.env',
  'CNI binary directory',
  'calico config directory',
  'calico CNI config',
  'calicoctl config',
  'remove flannel',
  'probe eth0 address',
  'probe CNI configs',
  'grep kubelet args',
] as const;

export function taskTag(i: number): string {
  return `t${String(i + 1).padStart(2, '0')}`;
}

/** Seeded file contents (also written by bench/scale/seed.ts). */
export const KUBELET_ENV = 'KUBELET_ARGS="--network-plugin=cni"\nFLANNEL_ETCD_PREFIX=/coreos.com/network\nFLANNEL_IFACE=eth0\n';
const KUBELET_ENV_AFTER = 'KUBELET_ARGS="--network-plugin=cni"\nCALICO_NETWORKING_BACKEND=bird\n';
export const SUBNET_ENV = 'FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n';
export const FLANNEL_CONF = '{"name":"cbr0","cniVersion":"0.3.1","plugins":[{"type":"flannel","delegate":{"isDefaultGateway":true}}]}\n';
/** Size of the stand-in flanneld binary under /opt/flannel (removed by task 9; fleet backs it up first). */
export const FLANNELD_BYTES = 256 * 1024;

/** What a host holds before every run (bash, run as root inside the host). Also removes what earlier runs left. */
export function seedScript(): string {
  return `set -eu
rm -rf /opt/flannel /opt/cni /etc/calico /etc/cni /etc/kubernetes /root/.ansible
umask 022
mkdir -p /opt/flannel/bin /etc/cni/net.d /etc/kubernetes
printf '%s' ${shq(SUBNET_ENV)} > /opt/flannel/subnet.env
yes flanneld | head -c ${FLANNELD_BYTES} > /opt/flannel/bin/flanneld
chmod 0755 /opt/flannel/bin/flanneld
printf '%s' ${shq(FLANNEL_CONF)} > /etc/cni/net.d/10-flannel.conflist
printf '%s' ${shq(KUBELET_ENV)} > /etc/kubernetes/kubelet.env
`;
}

/** Paths whose state decides whether a run did the work. */
export const CHECKED_PATHS = [
  '/etc/kubernetes/kubelet.env',
  '/etc/cni/net.d/10-flannel.conflist',
  '/etc/cni/net.d/10-calico.conflist',
  '/etc/calico',
  '/etc/calico/calicoctl.cfg',
  '/opt/cni/bin',
  '/opt/flannel',
  '/opt/flannel/subnet.env',
  '/opt/flannel/bin/flanneld',
] as const;

/** Prints one line per checked path: `<path> file <mode> <sha256>`, `<path> dir <mode>`, `<path> other` or `<path> absent`. */
export function fingerprintScript(): string {
  return `for p in ${CHECKED_PATHS.join(' ')}; do
  if [ -L "$p" ]; then echo "$p other"
  elif [ -f "$p" ]; then echo "$p file $(stat -c %a "$p") $(sha256sum < "$p" | cut -d' ' -f1)"
  elif [ -d "$p" ]; then echo "$p dir $(stat -c %a "$p")"
  elif [ -e "$p" ]; then echo "$p other"
  else echo "$p absent"; fi
done
`;
}

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

function flannelBinary(): Buffer {
  return Buffer.from('flanneld\n'.repeat(Math.ceil(FLANNELD_BYTES / 9))).subarray(0, FLANNELD_BYTES);
}

/** Render the template the way a hand-written script would (plain substitution of `{{ name }}`). */
export function renderPlain(template: string, vars: Record<string, unknown>): string {
  return template.replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, k: string) => {
    if (!(k in vars)) throw new Error(`template variable ${k} is not set`);
    return String(vars[k]);
  });
}

export function hostVars(host: string): Record<string, unknown> {
  return { ...BENCH_VARS, inventory_hostname: host };
}

/** The fingerprint lines of a freshly seeded host (and of a host after a check run). */
export function seededFingerprint(): string[] {
  return [
    `/etc/kubernetes/kubelet.env file 644 ${sha(KUBELET_ENV)}`,
    `/etc/cni/net.d/10-flannel.conflist file 644 ${sha(FLANNEL_CONF)}`,
    '/etc/cni/net.d/10-calico.conflist absent',
    '/etc/calico absent',
    '/etc/calico/calicoctl.cfg absent',
    '/opt/cni/bin absent',
    '/opt/flannel dir 755',
    `/opt/flannel/subnet.env file 644 ${sha(SUBNET_ENV)}`,
    `/opt/flannel/bin/flanneld file 755 ${sha(flannelBinary())}`,
  ];
}

/** The fingerprint lines of host `host` after an apply run. */
export function appliedFingerprint(host: string): string[] {
  const conflist = renderPlain(readFileSync(TEMPLATE_FILE, 'utf8'), hostVars(host));
  return [
    `/etc/kubernetes/kubelet.env file 644 ${sha(KUBELET_ENV_AFTER)}`,
    `/etc/cni/net.d/10-flannel.conflist file 644 ${sha(FLANNEL_CONF)}`,
    `/etc/cni/net.d/10-calico.conflist file 644 ${sha(conflist)}`,
    '/etc/calico dir 755',
    `/etc/calico/calicoctl.cfg file 644 ${sha(readFileSync(COPY_FILE))}`,
    '/opt/cni/bin dir 755',
    '/opt/flannel absent',
    '/opt/flannel/subnet.env absent',
    '/opt/flannel/bin/flanneld absent',
  ];
}

export interface FloorStep {
  cmd: string;
  stdin?: string;
}

const KUBELET = '/etc/kubernetes/kubelet.env';
const CALICO_LINE = 'CALICO_NETWORKING_BACKEND=bird';

/** The 12 tasks as the plain commands a hand-written script would send, one per task, for host `host`. */
export function floorSteps(host: string, template: string, copyContent: string): FloorStep[] {
  return [
    { cmd: 'cat /opt/flannel/subnet.env' },
    { cmd: "stat -c '%F %s' /etc/cni/net.d/10-flannel.conflist" },
    { cmd: `sed -i '/^FLANNEL_/d' ${KUBELET}` },
    { cmd: `grep -qxF '${CALICO_LINE}' ${KUBELET} || sed -i '/^KUBELET_ARGS=/a ${CALICO_LINE}' ${KUBELET}` },
    { cmd: 'mkdir -p -m 0755 /opt/cni/bin' },
    { cmd: 'mkdir -p -m 0755 /etc/calico' },
    {
      cmd: 'cat > /etc/cni/net.d/10-calico.conflist && chmod 0644 /etc/cni/net.d/10-calico.conflist',
      stdin: renderPlain(template, hostVars(host)),
    },
    { cmd: 'cat > /etc/calico/calicoctl.cfg && chmod 0644 /etc/calico/calicoctl.cfg', stdin: copyContent },
    { cmd: 'rm -rf /opt/flannel' },
    { cmd: 'ip -4 -o addr show dev eth0' },
    { cmd: 'ls /etc/cni/net.d' },
    { cmd: `grep -c '^KUBELET_ARGS=' ${KUBELET}` },
  ];
}
