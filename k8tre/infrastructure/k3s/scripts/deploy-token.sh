#!/bin/sh
# Print a new token of Pulumi's deploy identity, then the cluster CA (base64 of the PEM file), one per
# line: what Pulumi builds its kubeconfig from. Runs on the first server, which holds the admin
# kubeconfig that `k3s kubectl` uses; that credential never leaves the machine. Pulumi prepends:
#   DEPLOY_NAMESPACE  DEPLOY_ACCOUNT  DEPLOY_HOURS   (deploy_identity.py)
#   K3S_ROOT          tests only: a directory standing in for / (empty on real machines)
# Its output is secret: Pulumi logs nothing of this command.
set -eu

: "${DEPLOY_NAMESPACE:?}" "${DEPLOY_ACCOUNT:?}" "${DEPLOY_HOURS:?}"
ca="${K3S_ROOT:-}/var/lib/rancher/k3s/server/tls/server-ca.crt"

# K3s applies the identity's manifest from its auto-deploy directory shortly after it starts.
tries=0
until k3s kubectl -n "$DEPLOY_NAMESPACE" get serviceaccount "$DEPLOY_ACCOUNT" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -ge 60 ]; then
        echo "service account $DEPLOY_NAMESPACE/$DEPLOY_ACCOUNT did not appear: is the k8tre-deployer manifest in place?" >&2
        exit 1
    fi
    sleep 5
done
# TokenRequest: a token bound to this account's UID, valid for DEPLOY_HOURS (Kubernetes docs, "kubectl create token").
k3s kubectl -n "$DEPLOY_NAMESPACE" create token "$DEPLOY_ACCOUNT" --duration="${DEPLOY_HOURS}h"
base64 <"$ca" | tr -d '\n'
echo
