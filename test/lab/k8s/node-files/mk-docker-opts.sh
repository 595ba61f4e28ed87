#!/bin/sh
# mk-docker-opts.sh (as shipped with flannel, reduced): turn /run/flannel/subnet.env
# into Docker options. Used as: mk-docker-opts.sh -k DOCKER_NETWORK_OPTIONS -d /run/flannel/docker
set -e
key=DOCKER_OPTS
out=/run/docker_opts.env
env=/run/flannel/subnet.env
while getopts "f:d:k:ci" opt; do
  case $opt in
    f) env=$OPTARG ;;
    d) out=$OPTARG ;;
    k) key=$OPTARG ;;
    *) ;;
  esac
done
. "$env"
ipmasq=true
[ "$FLANNEL_IPMASQ" = true ] && ipmasq=false
mkdir -p "$(dirname "$out")"
cat > "$out" <<EOT
DOCKER_OPT_BIP="--bip=$FLANNEL_SUBNET"
DOCKER_OPT_IPMASQ="--ip-masq=$ipmasq"
DOCKER_OPT_MTU="--mtu=$FLANNEL_MTU"
$key=" --bip=$FLANNEL_SUBNET --ip-masq=$ipmasq --mtu=$FLANNEL_MTU"
EOT
