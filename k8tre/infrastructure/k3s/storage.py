"""K3s storage: Longhorn, replicated across the machines, for both of the platform's classes.

K3s ships only ``local-path`` (a directory on one machine, no replication, no encryption, lost with
the machine), so the agnostics layer installs Longhorn from the vendored chart because these facts
name it. The machines need Longhorn's host prerequisites (open-iscsi, nfs-common for RWX, dm_crypt
and cryptsetup for encryption): docs/k3s.md lists them.
"""

from __future__ import annotations

from ..cluster import StorageClassFacts, StorageDriver, StorageFacts

LONGHORN = "driver.longhorn.io"
"""Longhorn's CSI driver name (Longhorn docs, "Storage Class Parameters")."""
K3S_DEFAULT_CLASSES = ("local-path",)
"""K3s's local-path provisioner marks its class default (K3s docs, "Volumes and Storage")."""


def longhorn_storage(machines: int) -> StorageFacts:
    """Longhorn classes with as many replicas as the cluster has machines, up to three.

    Every volume is encrypted with dm-crypt (LUKS) under a key the platform generates
    (``encrypted: "true"`` and the CSI secret parameters; Longhorn docs, "Volume Encryption").
    Longhorn places replicas on distinct nodes by default, so a replica count above the machine
    count would leave volumes degraded forever. ``rwx-default`` is the same engine exported over
    NFS by Longhorn's share manager (Longhorn docs, "ReadWriteMany (RWX) Volume").
    """
    replicas = str(max(1, min(3, machines)))
    common = {
        "numberOfReplicas": replicas,
        "staleReplicaTimeout": "30",
        "dataLocality": "best-effort",
        "fsType": "ext4",
        "encrypted": "true",
    }
    return StorageFacts(
        rwo=StorageClassFacts(provisioner=LONGHORN, parameters=common, zonal=False, key_secret=True),
        rwx=StorageClassFacts(
            provisioner=LONGHORN,
            parameters={**common, "nfsOptions": "vers=4.1,noresvport,softerr,timeo=600,retrans=5"},
            zonal=False,
            key_secret=True,
        ),
        drivers=(StorageDriver(chart="longhorn", namespace="longhorn-system", service_account=""),),
        cloud_default_classes=K3S_DEFAULT_CLASSES,
    )
