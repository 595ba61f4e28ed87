/**
 * The systemd units and configuration of a binary-installed Kubernetes node, as
 * the install guide the migration notes follow writes them (units under
 * /etc/systemd/system, binaries under /opt/k8s/bin, settings in
 * /opt/k8s/bin/environment.sh). The binaries are the lab's stand-ins (node-files/).
 */

export interface ClusterFacts {
  /** Every node, masters first: name and address. */
  nodes: Array<{ name: string; address: string; master: boolean }>;
  masterAddress: string;
  clusterCidr: string;
}

export function environmentSh(c: ClusterFacts): string {
  return `#!/usr/bin/bash
# Cluster settings of the binary install (sourced by the install scripts).
export ENCRYPTION_KEY="Y2FsaWNvLWxhYi1rZXktbm90LWEtc2VjcmV0LWF0LWFsbA=="
export NODE_IPS=(${c.nodes.map((n) => n.address).join(' ')})
export NODE_NAMES=(${c.nodes.map((n) => n.name).join(' ')})
export ETCD_ENDPOINTS="http://${c.masterAddress}:2379"
export FLANNEL_ETCD_PREFIX="/kubernetes/network"
export IFACE="host0"
export KUBE_APISERVER="https://${c.masterAddress}:6443"
export SERVICE_CIDR="10.254.0.0/16"
export CLUSTER_CIDR="${c.clusterCidr}"
export NODE_PORT_RANGE="30000-32767"
export CLUSTER_KUBERNETES_SVC_IP="10.254.0.1"
export CLUSTER_DNS_SVC_IP="10.254.0.2"
export CLUSTER_DNS_DOMAIN="cluster.local"
export PATH=/opt/k8s/bin:$PATH
`;
}

export function flanneldUnit(c: ClusterFacts): string {
  return `[Unit]
Description=Flanneld overlay address etcd agent
After=network.target
After=network-online.target
Wants=network-online.target
After=etcd.service
Before=docker.service

[Service]
Type=notify
ExecStart=/opt/k8s/bin/flanneld \\
  -etcd-cafile=/etc/kubernetes/cert/ca.pem \\
  -etcd-certfile=/etc/flanneld/cert/flanneld.pem \\
  -etcd-keyfile=/etc/flanneld/cert/flanneld-key.pem \\
  -etcd-endpoints=http://${c.masterAddress}:2379 \\
  -etcd-prefix=/kubernetes/network \\
  -iface=host0 \\
  -ip-masq
ExecStartPost=/opt/k8s/bin/mk-docker-opts.sh -k DOCKER_NETWORK_OPTIONS -d /run/flannel/docker
Restart=always
RestartSec=5
StartLimitInterval=0

[Install]
WantedBy=multi-user.target
RequiredBy=docker.service
`;
}

/** `optionalEnvFile: false` writes `EnvironmentFile=/run/flannel/docker` (no '-'): Docker then needs the file. */
export function dockerUnit(optionalEnvFile = true): string {
  return `[Unit]
Description=Docker Application Container Engine
Documentation=http://docs.docker.io

[Service]
WorkingDirectory=/data/k8s/docker
Environment="PATH=/opt/k8s/bin:/bin:/sbin:/usr/bin:/usr/sbin"
EnvironmentFile=${optionalEnvFile ? '-' : ''}/run/flannel/docker
ExecStart=/opt/k8s/bin/dockerd $DOCKER_NETWORK_OPTIONS
ExecReload=/bin/kill -s HUP $MAINPID
Restart=on-failure
RestartSec=5
LimitNOFILE=infinity
LimitNPROC=infinity
LimitCORE=infinity
Delegate=yes
KillMode=process

[Install]
WantedBy=multi-user.target
`;
}

export function kubeletUnit(node: string): string {
  return `[Unit]
Description=Kubernetes Kubelet
Documentation=https://github.com/GoogleCloudPlatform/kubernetes
After=docker.service
Requires=docker.service

[Service]
WorkingDirectory=/data/k8s/k8s/kubelet
ExecStart=/opt/k8s/bin/kubelet \\
  --allow-privileged=true \\
  --bootstrap-kubeconfig=/etc/kubernetes/kubelet-bootstrap.kubeconfig \\
  --cert-dir=/etc/kubernetes/cert \\
  --cni-conf-dir=/etc/cni/net.d \\
  --container-runtime=docker \\
  --container-runtime-endpoint=unix:///var/run/dockershim.sock \\
  --root-dir=/data/k8s/k8s/kubelet \\
  --kubeconfig=/etc/kubernetes/kubelet.kubeconfig \\
  --config=/etc/kubernetes/kubelet-config.yaml \\
  --hostname-override=${node} \\
  --pod-infra-container-image=registry.cn-beijing.aliyuncs.com/images_k8s/pause-amd64:3.1 \\
  --image-pull-progress-deadline=15m \\
  --volume-plugin-dir=/data/k8s/k8s/kubelet/kubelet-plugins/volume/exec/ \\
  --logtostderr=true \\
  --v=2
Restart=always
RestartSec=5
StartLimitInterval=0

[Install]
WantedBy=multi-user.target
`;
}

export function kubeApiserverUnit(address: string, allowPrivileged: boolean): string {
  return `[Unit]
Description=Kubernetes API Server
Documentation=https://github.com/GoogleCloudPlatform/kubernetes
After=network.target etcd.service

[Service]
WorkingDirectory=/data/k8s/k8s/kube-apiserver
ExecStart=/opt/k8s/bin/kube-apiserver \\
  --advertise-address=${address} \\
  --default-not-ready-toleration-seconds=360 \\
  --default-unreachable-toleration-seconds=360 \\
  --max-mutating-requests-inflight=2000 \\
  --max-requests-inflight=4000 \\
  --etcd-servers=http://${address}:2379 \\
  --bind-address=${address} \\
  --secure-port=6443 \\
${allowPrivileged ? '  --allow-privileged=true \\\n' : ''}  --apiserver-count=1 \\
  --service-cluster-ip-range=10.254.0.0/16 \\
  --service-node-port-range=30000-32767 \\
  --logtostderr=true \\
  --v=2
Restart=on-failure
RestartSec=10
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`;
}

/** Debian's etcd.service reads /etc/default/etcd: one member, clients on every address. */
export function etcdDefaults(address: string): string {
  return `ETCD_LISTEN_CLIENT_URLS="http://0.0.0.0:2379"
ETCD_ADVERTISE_CLIENT_URLS="http://${address}:2379"
`;
}
