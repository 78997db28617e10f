#!/bin/sh
# Prepare this machine for K3s and Longhorn before K3s is installed: runs ahead of install-k3s.sh
# in the same session. What Longhorn needs on every node (Longhorn docs, "Installation
# Requirements"): an iSCSI initiator with iscsid running, an NFSv4 client for RWX volumes,
# cryptsetup with dm_crypt for encrypted volumes; and the inotify limits that many pods watching
# files exhaust at the kernel's defaults.
#   K3S_INSTALL_MODE  download: missing packages come from the distribution's repositories;
#                     airgap: they must already be installed (nothing is fetched)
#   K3S_ROOT          tests only: a directory standing in for / (empty on real machines)
set -eu

: "${K3S_INSTALL_MODE:?}"
root="${K3S_ROOT:-}"

if [ ! -r "$root/etc/os-release" ]; then
    echo "cannot tell which Linux distribution this is: $root/etc/os-release is missing" >&2
    exit 1
fi
os_id=$(sed -n 's/^ID=//p' "$root/etc/os-release" | tr -d '"')
os_like=$(sed -n 's/^ID_LIKE=//p' "$root/etc/os-release" | tr -d '"')
case " $os_id $os_like " in
    *" debian "* | *" ubuntu "*)
        family=debian
        packages="open-iscsi nfs-common cryptsetup"
        ;;
    *" rhel "* | *" fedora "* | *" centos "*)
        family=rhel
        packages="iscsi-initiator-utils nfs-utils cryptsetup"
        ;;
    *" suse "* | *" sles "* | *" opensuse "*)
        family=suse
        packages="open-iscsi nfs-client cryptsetup"
        ;;
    *)
        echo "unsupported distribution '$os_id' (like '$os_like'): K8TRE prepares Debian/Ubuntu, RHEL-family and SUSE" \
            "machines; install an iSCSI initiator, an NFSv4 client and cryptsetup yourself, then use one of those" >&2
        exit 1
        ;;
esac

missing=""
for tool in iscsiadm mount.nfs4 cryptsetup; do
    command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
    if [ "$K3S_INSTALL_MODE" = airgap ]; then
        echo "air gap: missing on this machine:$missing; install the packages $packages ($family) first" >&2
        exit 1
    fi
    case "$family" in
        debian)
            apt-get update -q
            # shellcheck disable=SC2086 # one word per package
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $packages
            ;;
        rhel)
            # shellcheck disable=SC2086
            dnf install -y -q $packages
            ;;
        suse)
            # shellcheck disable=SC2086
            zypper --non-interactive install $packages
            ;;
    esac
fi
systemctl enable --now iscsid

# Kernel modules Longhorn attaches and encrypts volumes with, now and at every boot.
mkdir -p "$root/etc/modules-load.d"
printf '%s\n' iscsi_tcp dm_crypt >"$root/etc/modules-load.d/90-k8tre-longhorn.conf"
for module in iscsi_tcp dm_crypt; do
    modprobe "$module"
done

# inotify: every pod that watches files (config reloaders, log shippers, notebooks) takes instances and watches
# from per-user pools whose defaults (128 instances) run out on a busy node.
mkdir -p "$root/etc/sysctl.d"
printf '%s\n' "fs.inotify.max_user_instances = 8192" "fs.inotify.max_user_watches = 524288" \
    >"$root/etc/sysctl.d/90-k8tre-limits.conf"
sysctl -p "$root/etc/sysctl.d/90-k8tre-limits.conf" >/dev/null
