#!/bin/sh
# Install K3s on this machine, or bring an installed one to the rendered configuration.
# Pulumi prepends the settings below as plain shell variables (never exported, so the installer
# and the K3s service environment do not see them) and pipes this to `sudo sh -s`. It holds no
# secret: the join tokens are already in their files (write-tokens.sh runs first), so this
# script and the configuration it writes can be shown in the render and judged by the checks.
#   K3S_ROLE         server | agent
#   K3S_VERSION      exact K3s release, e.g. v1.35.9+k3s1
#   NODE_NAME        node name in Kubernetes
#   K3S_CONFIG_B64   /etc/rancher/k3s/config.yaml, base64 (rendered by node_config.py)
#   K3S_SYSCTL_B64   the kernel settings the kubelet protects (protect-kernel-defaults), base64
#   K3S_ADMISSION_B64  servers only: the API server's admission configuration, base64
#   K3S_DEPLOYER_B64   servers only: Pulumi's deploy identity, manifests for K3s's auto-deploy directory, base64
#   K3S_KUBEVIP_B64    servers only, optional: kube-vip announcing the API's virtual IP (kube_vip.py), base64
#   K3S_INSTALL_MODE download | airgap
#   K3S_BUNDLE_DIR   airgap: the directory holding the release's files on this machine
#   K3S_BINARY_SHA256, K3S_INSTALLER_SHA256   optional digests the binary and install.sh must match
#   K3S_ROOT         tests only: a directory standing in for / (empty on real machines)
# Idempotent: an unchanged configuration and version is a no-op; a changed file restarts K3s;
# a different version reinstalls (an exact match, not a substring: +k3s1 is not +k3s12).
set -eu

: "${K3S_ROLE:?}" "${K3S_VERSION:?}" "${NODE_NAME:?}" "${K3S_CONFIG_B64:?}" "${K3S_SYSCTL_B64:?}" "${K3S_INSTALL_MODE:?}"
root="${K3S_ROOT:-}"
config_dir="$root/etc/rancher/k3s"
audit_dir="$root/var/lib/rancher/k3s/server/audit"
changed=0
umask 077

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# install_file SOURCE TARGET: put SOURCE in place (mode 0600) unless TARGET already has the same bytes.
install_file() {
    if [ -f "$2" ] && cmp -s "$1" "$2"; then
        return 0
    fi
    cp "$1" "$2.new"
    chmod 0600 "$2.new"
    mv -f "$2.new" "$2"
    changed=1
}

mkdir -p "$config_dir"
printf '%s' "$K3S_CONFIG_B64" | base64 -d >"$work/config.yaml"
install_file "$work/config.yaml" "$config_dir/config.yaml"
# With protect-kernel-defaults the kubelet refuses to start on other values: set them first, every run.
mkdir -p "$root/etc/sysctl.d"
printf '%s' "$K3S_SYSCTL_B64" | base64 -d >"$work/sysctl.conf"
install_file "$work/sysctl.conf" "$root/etc/sysctl.d/90-k8tre-kubelet.conf"
sysctl -p "$root/etc/sysctl.d/90-k8tre-kubelet.conf" >/dev/null
if [ ! -s "$config_dir/token" ]; then
    echo "no join token in $config_dir/token: write-tokens.sh must run first" >&2
    exit 1
fi

if [ "$K3S_ROLE" = "server" ]; then
    : "${K3S_ADMISSION_B64:?}"
    printf '%s' "$K3S_ADMISSION_B64" | base64 -d >"$work/admission.yaml"
    mkdir -p "$root/var/lib/rancher/k3s/server"
    install_file "$work/admission.yaml" "$root/var/lib/rancher/k3s/server/admission.yaml"
    mkdir -p "$audit_dir"
    chmod 0700 "$audit_dir"
    # Requests whose bodies carry credentials are logged at Metadata (who, what, when; no body):
    # Secrets and ConfigMaps with all their subresources, the TokenRequest subresource that returns
    # service-account tokens, and TokenReviews whose request is a bearer token. A plain resource name
    # matches no subresource, hence the "/*" forms (Kubernetes docs, "Auditing": audit policy).
    cat >"$work/policy.yaml" <<'POLICY'
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
    install_file "$work/policy.yaml" "$audit_dir/policy.yaml"
    # Pulumi's deploy identity (deploy_identity.py): K3s applies what is in this directory, and again when a
    # file changes, so a changed manifest needs no restart.
    : "${K3S_DEPLOYER_B64:?}"
    mkdir -p "$root/var/lib/rancher/k3s/server/manifests"
    printf '%s' "$K3S_DEPLOYER_B64" | base64 -d >"$work/k8tre-deployer.yaml"
    before=$changed
    install_file "$work/k8tre-deployer.yaml" "$root/var/lib/rancher/k3s/server/manifests/k8tre-deployer.yaml"
    if [ -n "${K3S_KUBEVIP_B64:-}" ]; then
        printf '%s' "$K3S_KUBEVIP_B64" | base64 -d >"$work/k8tre-kube-vip.yaml"
        install_file "$work/k8tre-kube-vip.yaml" "$root/var/lib/rancher/k3s/server/manifests/k8tre-kube-vip.yaml"
    fi
    changed=$before
    service=k3s
else
    service=k3s-agent
fi

installed=""
if command -v k3s >/dev/null 2>&1; then
    # First line: "k3s version v1.34.2+k3s1 (<commit>)".
    installed=$(k3s --version 2>/dev/null | awk 'NR == 1 { print $3 }')
fi

if [ "$installed" = "$K3S_VERSION" ]; then
    if [ "$changed" = 1 ]; then
        systemctl restart "$service"
        echo "k3s $K3S_VERSION on $NODE_NAME: configuration changed, $service restarted"
    else
        echo "k3s $K3S_VERSION on $NODE_NAME: unchanged"
    fi
    exit 0
fi

# minor VERSION: the Kubernetes minor version of a K3s release (v1.34.2+k3s1 -> 34).
minor() {
    echo "$1" | sed -n 's/^v1\.\([0-9][0-9]*\)\..*/\1/p'
}

drained=0
if [ -n "$installed" ]; then
    from=$(minor "$installed")
    to=$(minor "$K3S_VERSION")
    # K3s docs, "Manual Upgrades": upgrade one minor version at a time, servers first; never downgrade.
    if [ "$to" -gt $((from + 1)) ] || [ "$to" -lt "$from" ]; then
        echo "refusing to go from $installed to $K3S_VERSION on $NODE_NAME: K3s moves one minor version at a time, upwards" >&2
        exit 1
    fi
    if [ "$K3S_ROLE" = "server" ]; then
        # Move workloads away before the restart; servers carry the admin kubeconfig to do it themselves.
        k3s kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout=10m
        drained=1
    fi
fi

# The release's files for this machine, named as on K3s's release page: the binary, the checksum
# list and the image archive, each per architecture.
case "$(uname -m)" in
    x86_64 | amd64) arch=amd64 binary=k3s ;;
    aarch64 | arm64) arch=arm64 binary=k3s-arm64 ;;
    *)
        echo "$NODE_NAME is $(uname -m): only amd64 and arm64 K3s releases are supported" >&2
        exit 1
        ;;
esac
sums="sha256sum-$arch.txt"
images="k3s-airgap-images-$arch.tar.zst"

if [ "$K3S_INSTALL_MODE" = airgap ]; then
    # K3s docs, "Air-Gap Install": binary, installer and image archive already on the machine.
    bundle="$root$K3S_BUNDLE_DIR"
    for file in "$binary" install.sh "$sums" "$images"; do
        if [ ! -f "$bundle/$file" ]; then
            echo "air gap: $bundle/$file is missing on $NODE_NAME (docs/k3s.md, air-gapped install)" >&2
            exit 1
        fi
        cp "$bundle/$file" "$work/$file"
    done
else
    # Exactly this release, never the moving get.k3s.io: the installer from the release's tag, the binary
    # and its checksum file from the release page ("+" in the tag is %2B in the download URL).
    release="https://github.com/k3s-io/k3s/releases/download/$(printf '%s' "$K3S_VERSION" | sed 's/+/%2B/g')"
    curl -sfL --retry 3 "$release/$binary" -o "$work/$binary"
    curl -sfL --retry 3 "$release/$sums" -o "$work/$sums"
    curl -sfL --retry 3 "https://raw.githubusercontent.com/k3s-io/k3s/$K3S_VERSION/install.sh" -o "$work/install.sh"
fi

# digest FILE: its SHA-256.
digest() {
    sha256sum "$1" | awk '{ print $1 }'
}
# verify FILE EXPECTED WHAT: stop unless FILE's digest is EXPECTED (an empty expectation is a failure too).
verify() {
    if [ -z "$2" ] || [ "$(digest "$1")" != "$2" ]; then
        echo "refusing to install on $NODE_NAME: $3 does not match its SHA-256 (${2:-none published})" >&2
        exit 1
    fi
}
verify "$work/$binary" "$(awk -v f="$binary" '$2 == f { print $1 }' "$work/$sums")" "$binary of $K3S_VERSION ($sums)"
if [ -n "${K3S_BINARY_SHA256:-}" ]; then
    verify "$work/$binary" "$K3S_BINARY_SHA256" "$binary (the digest pinned in the stack file)"
fi
if [ -n "${K3S_INSTALLER_SHA256:-}" ]; then
    verify "$work/install.sh" "$K3S_INSTALLER_SHA256" "install.sh (the digest pinned in the stack file)"
fi
if [ "$K3S_INSTALL_MODE" = airgap ]; then
    verify "$work/$images" "$(awk -v f="$images" '$2 == f { print $1 }' "$work/$sums")" "$images ($sums)"
    mkdir -p "$root/var/lib/rancher/k3s/agent/images"
    cp "$work/$images" "$root/var/lib/rancher/k3s/agent/images/$images.new"
    mv -f "$root/var/lib/rancher/k3s/agent/images/$images.new" "$root/var/lib/rancher/k3s/agent/images/$images"
fi
# A rename, not a write into the running binary; the installer then only writes the service (SKIP_DOWNLOAD).
mkdir -p "$root/usr/local/bin"
cp "$work/$binary" "$root/usr/local/bin/k3s.new"
chmod 0755 "$root/usr/local/bin/k3s.new"
mv -f "$root/usr/local/bin/k3s.new" "$root/usr/local/bin/k3s"
# The installer starts K3s, which reads config.yaml; only the version reaches it from here.
INSTALL_K3S_SKIP_DOWNLOAD=true INSTALL_K3S_VERSION="$K3S_VERSION" sh "$work/install.sh" "$K3S_ROLE"
if [ "$drained" = 1 ]; then
    k3s kubectl wait --for=condition=Ready "node/$NODE_NAME" --timeout=10m
    k3s kubectl uncordon "$NODE_NAME"
fi
echo "k3s $K3S_VERSION installed on $NODE_NAME as $K3S_ROLE (was: ${installed:-none})"
