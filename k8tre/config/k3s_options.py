"""K3s settings beyond the machines themselves: how K3s is obtained, and the API's virtual IP."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import K8treModel

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
"""A SHA-256 digest, 64 lowercase hex characters (what ``sha256sum`` prints)."""


class K3sInstall(K8treModel):
    """Where each machine gets the K3s release from, and the digests it must match.

    ``download``: the release's binary and checksum file from GitHub's release page for exactly
    ``k3sVersion``, and K3s's installer from the same release's tag (never the moving
    ``get.k3s.io``). ``airgap``: the same files already on every machine in ``bundleDir``,
    nothing downloaded (K3s docs, "Air-Gap Install", manually deployed images:
    https://docs.k3s.io/installation/airgap). Either way the binary must match the release's
    published checksum, and the digests below when they are set.
    """

    mode: Literal["download", "airgap"] = "download"
    """``download`` from the pinned release, or ``airgap``: use the files in ``bundleDir``."""
    bundle_dir: Annotated[str, Field(pattern=r"^/[A-Za-z0-9._/-]+$")] = "/opt/k8tre/k3s"
    """Air gap: the directory on every machine holding ``k3s`` (or ``k3s-arm64``), ``install.sh``,
    ``sha256sum-<arch>.txt`` and ``k3s-airgap-images-<arch>.tar.zst`` of the release."""
    binary_sha256: Sha256 | None = None
    """SHA-256 of the K3s binary for the machines' architecture, from the release's ``sha256sum-<arch>.txt``
    as you verified it: pins the binary even against a changed release page."""
    installer_sha256: Sha256 | None = None
    """SHA-256 of the release's ``install.sh``: pins the installer script the same way."""


class K3sKubeVip(K8treModel):
    """kube-vip on the servers announcing ``apiHost`` by ARP: an API address that survives any one server.

    kube-vip runs on every server (a DaemonSet from K3s's auto-deploy directory, as kube-vip's K3s
    guide does: https://kube-vip.io/docs/usage/k3s/); the elected leader answers ARP for the address,
    and another server takes over within seconds when it fails. ``apiHost`` must then be a free IPv4
    address on the machines' network.
    """

    interface: Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,15}$")]
    """The servers' network interface on ``nodeCidr`` (the same name on every server), e.g. ``eth0``."""


class K3sEtcdS3(K8treModel):
    """An S3-compatible object store off the cluster's machines that receives every etcd snapshot.

    The access and secret keys are the stack's ``k8tre:etcdS3AccessKey`` and ``k8tre:etcdS3SecretKey``
    (``secure:`` values), never keys of this section. TLS is always verified.
    """

    endpoint: Annotated[str, Field(pattern=r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$")] = "s3.amazonaws.com"
    """The store's host (and port), without a scheme, e.g. ``objects.example.ac.uk:9000``."""
    bucket: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")]
    """The bucket (it must exist; versioning or object lock on it keeps snapshots from being overwritten)."""
    folder: Annotated[str, Field(pattern=r"^[A-Za-z0-9._/-]{0,200}$")] = "k3s-etcd"
    """Prefix of the snapshots in the bucket."""
    region: Annotated[str, Field(pattern=r"^[a-z0-9-]{1,40}$")] = "us-east-1"
    """The bucket's region (any value the store accepts)."""


class K3sEtcdSnapshots(K8treModel):
    """etcd snapshots every server takes (K3s docs, "k3s etcd-snapshot": https://docs.k3s.io/cli/etcd-snapshot)."""

    schedule: Annotated[str, Field(pattern=r"^\S+ \S+ \S+ \S+ \S+$")] = "0 */6 * * *"
    """Cron schedule (five fields, the servers' local time)."""
    retention: Annotated[int, Field(ge=1, le=1_000)] = 28
    """Snapshots kept on each server's disk (and in the bucket), at the schedule's rate: 28 every 6 h is a week."""
    s3: K3sEtcdS3 | None = None
    """Where snapshots are copied off the machines; none: only on the servers' own disks (lost with them)."""
