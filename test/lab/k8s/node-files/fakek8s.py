"""Shared helpers of the k8s lab's stand-ins (installed as /usr/local/lib/fake-k8s/fakek8s.py).

- Etcd: a small etcd v3 client over etcd's JSON gateway (/v3/kv/*), the same
  etcd-server the lab master runs for Calico.
- The "API server" of the lab: Kubernetes objects are kept in that etcd under
  /registry/..., where kube-apiserver keeps them (as JSON instead of protobuf).
  kubectl writes them, kubelet reads them.
"""
import base64
import json
import os
import re
import urllib.error
import urllib.request

ENV_SH = "/opt/k8s/bin/environment.sh"


def log(prog, msg):
    print(f"{prog}: {msg}", flush=True)


def read_env_sh(path=ENV_SH):
    """KEY="value" lines of environment.sh (what `source environment.sh` would set)."""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                m = re.match(r'^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$', line.rstrip("\n"))
                if m:
                    v = m.group(2).strip()
                    if len(v) >= 2 and v[0] == v[-1] and v[0] in "\"'":
                        v = v[1:-1]
                    out[m.group(1)] = v
    except FileNotFoundError:
        pass
    return out


def _b64(s):
    return base64.b64encode(s.encode()).decode()


def _unb64(s):
    return base64.b64decode(s).decode()


def prefix_end(prefix):
    """range_end for a prefix query: the prefix with its last byte incremented."""
    b = bytearray(prefix.encode())
    b[-1] += 1
    return b.decode()


class EtcdError(Exception):
    pass


class Etcd:
    def __init__(self, endpoints, timeout=3.0):
        self.endpoints = [e.strip().rstrip("/") for e in endpoints.split(",") if e.strip()]
        if not self.endpoints:
            raise EtcdError("no etcd endpoints")
        self.timeout = timeout

    def _post(self, path, body):
        last = None
        for ep in self.endpoints:
            req = urllib.request.Request(ep + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as r:
                    return json.loads(r.read())
            except (urllib.error.URLError, OSError, ValueError) as e:
                last = e
        raise EtcdError(f"etcd {','.join(self.endpoints)}: {last}")

    def get(self, key):
        r = self._post("/v3/kv/range", {"key": _b64(key)})
        kvs = r.get("kvs") or []
        return _unb64(kvs[0].get("value", "")) if kvs else None

    def get_prefix(self, prefix):
        r = self._post("/v3/kv/range", {"key": _b64(prefix), "range_end": _b64(prefix_end(prefix))})
        return {_unb64(kv["key"]): _unb64(kv.get("value", "")) for kv in (r.get("kvs") or [])}

    def put(self, key, value):
        self._post("/v3/kv/put", {"key": _b64(key), "value": _b64(value)})

    def create(self, key, value):
        """Put only when the key does not exist yet; True when this call created it."""
        r = self._post("/v3/kv/txn", {
            "compare": [{"key": _b64(key), "result": "EQUAL", "target": "CREATE", "create_revision": "0"}],
            "success": [{"request_put": {"key": _b64(key), "value": _b64(value)}}],
        })
        return bool(r.get("succeeded"))

    def delete(self, key):
        r = self._post("/v3/kv/deleterange", {"key": _b64(key)})
        return int(r.get("deleted", "0")) > 0

    def delete_prefix(self, prefix):
        r = self._post("/v3/kv/deleterange", {"key": _b64(prefix), "range_end": _b64(prefix_end(prefix))})
        return int(r.get("deleted", "0"))


def api_etcd():
    """The etcd that backs the lab's Kubernetes API (ETCD_ENDPOINTS of environment.sh)."""
    env = read_env_sh()
    return Etcd(os.environ.get("FAKE_K8S_ETCD", env.get("ETCD_ENDPOINTS", "http://127.0.0.1:2379")))


# kind -> (resource path, printed name prefix, namespaced)
KINDS = {
    "ConfigMap": ("configmaps", "configmap", True),
    "Secret": ("secrets", "secret", True),
    "ServiceAccount": ("serviceaccounts", "serviceaccount", True),
    "Service": ("services/specs", "service", True),
    "DaemonSet": ("daemonsets", "daemonset.apps", True),
    "Deployment": ("deployments", "deployment.apps", True),
    "PodDisruptionBudget": ("poddisruptionbudgets", "poddisruptionbudget.policy", True),
    "ClusterRole": ("clusterroles", "clusterrole.rbac.authorization.k8s.io", False),
    "ClusterRoleBinding": ("clusterrolebindings", "clusterrolebinding.rbac.authorization.k8s.io", False),
    "CustomResourceDefinition": ("apiextensions.k8s.io/customresourcedefinitions",
                                 "customresourcedefinition.apiextensions.k8s.io", False),
    "Node": ("minions", "node", False),
}

# what `kubectl get/delete TYPE` accepts -> kind
TYPE_ALIASES = {
    "configmap": "ConfigMap", "configmaps": "ConfigMap", "cm": "ConfigMap",
    "secret": "Secret", "secrets": "Secret",
    "serviceaccount": "ServiceAccount", "serviceaccounts": "ServiceAccount", "sa": "ServiceAccount",
    "service": "Service", "services": "Service", "svc": "Service",
    "daemonset": "DaemonSet", "daemonsets": "DaemonSet", "ds": "DaemonSet",
    "deployment": "Deployment", "deployments": "Deployment", "deploy": "Deployment",
    "poddisruptionbudget": "PodDisruptionBudget", "pdb": "PodDisruptionBudget",
    "clusterrole": "ClusterRole", "clusterroles": "ClusterRole",
    "clusterrolebinding": "ClusterRoleBinding", "clusterrolebindings": "ClusterRoleBinding",
    "customresourcedefinition": "CustomResourceDefinition", "crd": "CustomResourceDefinition",
    "crds": "CustomResourceDefinition",
    "node": "Node", "nodes": "Node", "no": "Node",
}


def object_key(kind, name, namespace=None):
    resource, _, namespaced = KINDS[kind]
    if namespaced:
        return f"/registry/{resource}/{namespace or 'default'}/{name}"
    return f"/registry/{resource}/{name}"


def get_object(etcd, kind, name, namespace=None):
    raw = etcd.get(object_key(kind, name, namespace))
    return json.loads(raw) if raw is not None else None
