#!/usr/bin/env bash
# npm run demo [-- --keep]
#
# The Flannel -> Calico migration on a lab of real-systemd nodes (test/lab/k8s):
# 1 master + 3 workers seeded as a binary-installed Kubernetes cluster on Flannel.
#   1. fleet run playbooks/migrate-flannel-to-calico.yaml --check   (exact diffs, nothing changed)
#   2. fleet run playbooks/migrate-flannel-to-calico.yaml           (node by node, verified)
#   3. fleet runs                                                   (the journal)
#   4. fleet rollback RUN --host worker2                            (worker2 back on Flannel)
# The lab is taken down at the end, unless --keep (then it says how).
# Root only (network namespaces, systemd-nspawn). The first run builds the
# nodes' Debian root file system (about 1.5 minutes, cached in /var/cache/fleet-lab).
set -euo pipefail
cd "$(dirname "$0")/.."
export LANG=C.UTF-8 LC_ALL=C.UTF-8

keep=0
for arg in "$@"; do
  case "$arg" in
    --keep) keep=1 ;;
    *) echo "usage: npm run demo [-- --keep]" >&2; exit 4 ;;
  esac
done

bash scripts/ensure-host.sh

LAB=fleet-demo
tsx=(node --import tsx)
bold() { if [ -t 1 ]; then printf '\n\033[1m== %s\033[0m\n' "$*"; else printf '\n== %s\n' "$*"; fi; }
show() { printf '$ %s\n' "$*"; "$@"; }

down() { "${tsx[@]}" test/lab/k8s/cli.ts down --name "$LAB" >/dev/null 2>&1 || true; }
if [ "$keep" = 0 ]; then trap down EXIT; fi

bold "Lab: 1 master + 3 workers booting real systemd, on Flannel"
eval "$("${tsx[@]}" test/lab/k8s/cli.ts up --name "$LAB")"
fleet() { node bin/fleet.js "$@"; }
on() { ssh -q -i "$LAB_KEY" -o UserKnownHostsFile="$LAB_KNOWN_HOSTS" -o StrictHostKeyChecking=yes -o BatchMode=yes "root@$1" "$2"; }
addr() { awk -v h="$1" '$1 == h":" { getline; print $2; exit }' "$LAB_INVENTORY"; }
W2=$(addr worker2)
echo "inventory:   $LAB_INVENTORY"
echo "known_hosts: $LAB_KNOWN_HOSTS"
printf 'worker2 (%s): flanneld %s, flannel.1 %s\n' "$W2" "$(on "$W2" 'systemctl is-active flanneld')" \
  "$(on "$W2" 'ip -br link show flannel.1 >/dev/null 2>&1 && echo present || echo absent')"

PB=playbooks/migrate-flannel-to-calico.yaml
COMMON=(-i "$LAB_INVENTORY" --known-hosts "$LAB_KNOWN_HOSTS")

bold "1. Dry run: what would change, per node (nothing is touched)"
show fleet run "$PB" "${COMMON[@]}" --check

bold "2. The migration, one node at a time (each verified: BGP on TCP 179, calicoctl node status, etcd)"
show fleet run "$PB" "${COMMON[@]}"

printf '\nworker2 after the migration:\n'
on "$W2" 'echo "flanneld $(systemctl is-active flanneld)/$(systemctl is-enabled flanneld)"; calicoctl node status; netstat -antp 2>/dev/null | grep ESTABLISHED | grep ":179 "'

bold "3. The runs fleet journaled"
show fleet runs -i "$LAB_INVENTORY"
RUN=$(fleet runs -i "$LAB_INVENTORY" --output json |
  node -e 'const runs = JSON.parse(require("fs").readFileSync(0, "utf8")); const r = runs.find((x) => !x.check && x.result === "ok"); if (!r) process.exit(1); console.log(r.id)')

bold "4. Put worker2 back on Flannel"
show fleet rollback "$RUN" --host worker2 "${COMMON[@]}"

printf '\nworker2 after the rollback:\n'
on "$W2" 'echo "flanneld $(systemctl is-active flanneld)/$(systemctl is-enabled flanneld)"; ip -br addr show flannel.1; echo "docker options: $(cat /run/docker-standin/options)"; calicoctl node status || true'

if [ "$keep" = 1 ]; then
  bold "The lab is still up"
  echo "  npx fleet runs -i $LAB_INVENTORY"
  echo "  ssh -i $LAB_KEY -o UserKnownHostsFile=$LAB_KNOWN_HOSTS root@$LAB_MASTER"
  echo "Take it down with: node --import tsx test/lab/k8s/cli.ts down --name $LAB"
else
  bold "Taking the lab down"
fi
