#!/bin/sh
# Take this machine out of the cluster and uninstall K3s: what Pulumi runs when a machine leaves
# the stack file (or on `pulumi destroy`). Pulumi prepends K3S_ROLE and NODE_NAME.
#   K3S_ROLE   server | agent
#   NODE_NAME  node name in Kubernetes
#   K3S_ROOT   tests only: a directory standing in for / (empty on real machines)
# A server drains itself and deletes its Node, which makes K3s remove its etcd member, so the
# remaining servers keep a correct quorum (K3s docs, "Uninstalling K3s" and "High Availability
# Embedded etcd"). Any failure stops here: nothing is uninstalled from a machine whose workloads
# could not be moved.
set -eu

: "${K3S_ROLE:?}" "${NODE_NAME:?}"
bin="${K3S_ROOT:-}/usr/local/bin"

if [ "$K3S_ROLE" = "server" ]; then
    if command -v k3s >/dev/null 2>&1; then
        k3s kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout=10m
        k3s kubectl delete node "$NODE_NAME" --wait=true
    fi
    uninstall="$bin/k3s-uninstall.sh"
else
    # An agent holds no cluster credentials: the first server has already drained it and deleted its
    # Node before this runs (agent_drain.py, the "-uncordon" command's delete).
    uninstall="$bin/k3s-agent-uninstall.sh"
fi

if [ -x "$uninstall" ]; then
    "$uninstall"
fi

# K3s's uninstaller does not know Cilium: remove the interfaces Cilium's agent created, so a
# reinstall starts clean (K3s docs, "Uninstalling K3s": other CNIs leave their own state behind).
for link in cilium_host cilium_net cilium_vxlan cilium_wg0; do
    if ip link show "$link" >/dev/null 2>&1; then
        ip link delete "$link"
    fi
done
echo "k3s removed from $NODE_NAME ($K3S_ROLE)"
