"""AKS storage: the built-in Azure Disk and Azure Files CSI drivers, as the platform's two classes use them.

AKS runs both CSI drivers itself (``storageProfile.diskCSIDriver`` and ``fileCSIDriver`` are on
unless switched off: REST ManagedClusterStorageProfile), so the agnostics layer installs no driver
here; it only creates the classes and takes the default away from AKS's own.
"""

from __future__ import annotations

from ..cluster import StorageClassFacts, StorageFacts

AKS_DEFAULT_CLASSES = ("default", "managed-csi")
"""Classes AKS creates with the Azure Disk CSI driver; ``default`` carries the default annotation
(AKS docs, "Storage options for applications in AKS", storage classes). Both are created once and
not reconciled back by AKS's add-on manager, so a patched annotation stays."""


def azure_storage() -> StorageFacts:
    """Azure Disk (ZRS premium SSD) for ``rwo-default``, Azure Files over NFS for ``rwx-default``.

    Both are encrypted at rest by Azure Storage service-side encryption, which cannot be switched
    off ("Server-side encryption of Azure Disk Storage"; "Azure Storage encryption for data at rest").

    Azure Disk ``Premium_ZRS`` replicates a disk across the region's zones, so a pod can move zones
    with its volume; binding still waits for the pod (``WaitForFirstConsumer``) so the disk's zone
    constraint is met (Azure Disk CSI driver docs, ``driver-parameters.md``: ``skuName``).

    Azure Files by NFS 4.1, not SMB: the CSI driver mounts SMB shares only with the storage account
    key (NTLMv2), kept in a Kubernetes Secret, whereas NFS needs no key at all (AKS docs, "Create and
    use a volume with Azure Files": the CSI driver allows only key-based SMB mounts, NFS mounts need
    none). NFS shares exist only on premium (FileStorage) accounts and are reachable only through a
    private endpoint or VNet rules (Azure Files docs, "NFS file shares", prerequisites), so the driver
    creates its account ``Premium_ZRS`` with a private endpoint in the nodes' VNet
    (``networkEndpointType: privateEndpoint``; Azure Files CSI driver docs, ``driver-parameters.md``)
    and no public network access. NFS traffic is not TLS-encrypted by the protocol; it stays on the
    private endpoint inside the VNet (docs/agnostics.md, storage, records this residual).
    """
    return StorageFacts(
        rwo=StorageClassFacts(
            provisioner="disk.csi.azure.com",
            parameters={"skuName": "Premium_ZRS", "cachingMode": "ReadOnly"},
            zonal=True,
        ),
        rwx=StorageClassFacts(
            provisioner="file.csi.azure.com",
            parameters={
                "protocol": "nfs",
                "skuName": "Premium_ZRS",
                "networkEndpointType": "privateEndpoint",
                "publicNetworkAccess": "Disabled",
                "allowBlobPublicAccess": "false",
            },
            zonal=False,
            mount_options=("nconnect=4", "noresvport", "actimeo=30"),
        ),
        cloud_default_classes=AKS_DEFAULT_CLASSES,
    )
