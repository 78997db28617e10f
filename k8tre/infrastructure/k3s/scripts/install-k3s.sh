#!/bin/sh
# Install (or confirm) K3s on this machine, as a server or an agent.
# Pulumi prepends the settings below as exported variables and pipes this to `sudo sh -s`,
# so that the join token never appears on a command line or in the process list.
#   K3S_ROLE       server | agent
#   K3S_VERSION    exact K3s release, e.g. v1.33.5+k3s1
#   K3S_TOKEN      cluster join secret
#   K3S_URL        https://<api host>:6443 of an existing server (empty on the first server)
#   NODE_NAME      node name in Kubernetes
#   API_HOST       address clients use for the API (added to the serving certificate)
#   POD_CIDR       pod range (Cilium cluster-pool IPAM uses the same)
#   SERVICE_CIDR   service range
#   AUDIT_LOG_MAXAGE  days the API server keeps audit logs
set -eu

: "${K3S_ROLE:?}" "${K3S_VERSION:?}" "${K3S_TOKEN:?}" "${NODE_NAME:?}"

if command -v k3s >/dev/null 2>&1 && k3s --version | grep -qF "$K3S_VERSION"; then
    echo "k3s $K3S_VERSION already installed on $NODE_NAME"
    exit 0
fi

installer=$(mktemp)
trap 'rm -f "$installer"' EXIT
curl -sfL --retry 3 https://get.k3s.io -o "$installer"

export INSTALL_K3S_VERSION="$K3S_VERSION"
export K3S_TOKEN

if [ "$K3S_ROLE" = "server" ]; then
    : "${API_HOST:?}" "${POD_CIDR:?}" "${SERVICE_CIDR:?}" "${AUDIT_LOG_MAXAGE:?}"
    # The API server's audit trail (SATRE 2.5.03): who did what, kept for AUDIT_LOG_MAXAGE days.
    audit_dir=/var/lib/rancher/k3s/server/audit
    mkdir -p "$audit_dir"
    chmod 0700 "$audit_dir"
    # Requests whose bodies carry credentials are logged at Metadata (who, what, when; no body):
    # Secrets and ConfigMaps with all their subresources, the TokenRequest subresource that returns
    # service-account tokens, and TokenReviews whose request is a bearer token. A plain resource name
    # matches no subresource, hence the "/*" forms (Kubernetes docs, "Auditing": audit policy).
    cat >"$audit_dir/policy.yaml" <<'POLICY'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
    resources:
      - group: ""
        resources: [secrets, "secrets/*", configmaps, "configmaps/*", serviceaccounts/token]
      - group: authentication.k8s.io
        resources: [tokenreviews]
      - group: certificates.k8s.io
        resources: [certificatesigningrequests, "certificatesigningrequests/*"]
  - level: RequestResponse
    verbs: [create, update, patch, delete]
  - level: Metadata
POLICY
    # Cilium is the CNI, network-policy engine and service proxy; K3s must not start its own.
    set -- server \
        --node-name "$NODE_NAME" \
        --flannel-backend=none \
        --disable-network-policy \
        --disable-kube-proxy \
        --disable=traefik \
        --disable=servicelb \
        --cluster-cidr "$POD_CIDR" \
        --service-cidr "$SERVICE_CIDR" \
        --tls-san "$API_HOST" \
        --secrets-encryption \
        --write-kubeconfig-mode 0600 \
        --kube-apiserver-arg "audit-policy-file=$audit_dir/policy.yaml" \
        --kube-apiserver-arg "audit-log-path=$audit_dir/audit.log" \
        --kube-apiserver-arg "audit-log-maxage=$AUDIT_LOG_MAXAGE" \
        --kube-apiserver-arg "audit-log-maxbackup=10" \
        --kube-apiserver-arg "audit-log-maxsize=100" \
        --kube-apiserver-arg "service-account-extend-token-expiration=false"
    if [ -z "${K3S_URL:-}" ]; then
        set -- "$@" --cluster-init
    else
        set -- "$@" --server "$K3S_URL"
    fi
else
    : "${K3S_URL:?}"
    set -- agent --node-name "$NODE_NAME" --server "$K3S_URL"
fi

sh "$installer" "$@"
echo "k3s $K3S_VERSION installed on $NODE_NAME as $K3S_ROLE"
