#!/bin/sh
# Write the object store's credentials for etcd snapshots, read from standard input (access key on
# the first line, secret key on the second), into a K3s drop-in configuration file of mode 0600:
# K3s merges /etc/rancher/k3s/config.yaml.d/*.yaml into its configuration. Restarts a running K3s
# server when the file changed, so rotated keys take effect. Prints nothing about the keys.
#   K3S_ROOT   tests only: a directory standing in for / (empty on real machines)
set -eu
umask 077
root="${K3S_ROOT:-}"
dir="$root/etc/rancher/k3s/config.yaml.d"
mkdir -p "$dir"
IFS= read -r access_key
IFS= read -r secret_key
if [ -z "$access_key" ] || [ -z "$secret_key" ]; then
    echo "expected the access key and the secret key on standard input" >&2
    exit 1
fi
# quote TEXT: TEXT as a single-quoted YAML scalar (a quote inside is doubled).
quote() {
    printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"
}
{
    printf 'etcd-s3-access-key: %s\n' "$(quote "$access_key")"
    printf 'etcd-s3-secret-key: %s\n' "$(quote "$secret_key")"
} >"$dir/90-etcd-s3.yaml.new"
if [ -f "$dir/90-etcd-s3.yaml" ] && cmp -s "$dir/90-etcd-s3.yaml.new" "$dir/90-etcd-s3.yaml"; then
    rm -f "$dir/90-etcd-s3.yaml.new"
    exit 0
fi
mv -f "$dir/90-etcd-s3.yaml.new" "$dir/90-etcd-s3.yaml"
if systemctl is-active --quiet k3s 2>/dev/null; then
    systemctl restart k3s
fi
