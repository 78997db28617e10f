#!/bin/sh
# Run on the first server, about one agent: an agent holds no cluster credentials, so the server
# (whose admin kubeconfig `k3s kubectl` reads locally) moves the agent's workloads for it.
# Pulumi prepends:
#   ACTION      drain   before the agent's install: drain it if it runs another release than K3S_VERSION
#               uncordon  after the install: let workloads back
#               remove  when the agent leaves the stack: drain it and delete its Node, before it is uninstalled
#   NODE_NAME   the agent's node name
#   K3S_VERSION the release the agent is being brought to (drain only)
# A node that does not exist yet (a first install) is left alone.
set -eu

: "${ACTION:?}" "${NODE_NAME:?}"
if ! k3s kubectl get node "$NODE_NAME" >/dev/null 2>&1; then
    echo "node $NODE_NAME is not in the cluster: nothing to $ACTION"
    exit 0
fi
case "$ACTION" in
    drain)
        : "${K3S_VERSION:?}"
        running=$(k3s kubectl get node "$NODE_NAME" -o 'jsonpath={.status.nodeInfo.kubeletVersion}')
        if [ "$running" = "$K3S_VERSION" ]; then
            echo "node $NODE_NAME already runs $K3S_VERSION: not drained"
            exit 0
        fi
        k3s kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout=10m
        ;;
    uncordon)
        k3s kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=10m
        k3s kubectl uncordon "$NODE_NAME"
        ;;
    remove)
        k3s kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout=10m
        k3s kubectl delete node "$NODE_NAME" --wait=true
        ;;
    *)
        echo "unknown action $ACTION" >&2
        exit 1
        ;;
esac
