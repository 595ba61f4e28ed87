#!/usr/bin/env bash
# Installs the Debian packages fleet's labs and tests need, if any is missing.
# Safe to run again (fast when all is there). Needs root; run by `npm test`
# (pretest), `npm run demo` and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
  echo "fleet: the test lab needs root (network and mount namespaces, systemd-nspawn); run as root" >&2
  exit 1
fi

# The light lab (test/lab), the real-systemd lab (test/lab/nspawn), the k8s lab (test/lab/k8s).
packages=(openssh-server openssh-client openssh-sftp-server iproute2 sudo procps coreutils
  util-linux mount findutils openssl passwd bash
  ansible-core)  # the benchmark and its equivalence test compare fleet with ansible-playbook
for list in test/lab/nspawn/apt-packages.txt test/lab/k8s/apt-packages.txt; do
  [ -f "$list" ] && while read -r p; do
    case "$p" in ''|'#'*) ;; *) packages+=("$p") ;; esac
  done < "$list"
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

echo "fleet: installing ${missing[*]}" >&2
# Keep maintainer scripts from starting sshd (or anything) on this machine.
policy=/usr/sbin/policy-rc.d
saved=""
if [ -e "$policy" ]; then saved=$(mktemp); cp -p "$policy" "$saved"; fi
restore() { if [ -n "$saved" ]; then mv -f "$saved" "$policy"; else rm -f "$policy"; fi; }
trap restore EXIT
printf '#!/bin/sh\nexit 101\n' > "$policy"
chmod 0755 "$policy"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
