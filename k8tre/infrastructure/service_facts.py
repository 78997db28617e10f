"""Facts a cloud hands the platform services: identities, storage, DNS zones, object and secret stores.

Split from ``cluster`` (which re-exports them) to keep each module small; every fact is a frozen
dataclass the agnostics layer reads instead of branching on the cloud.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import pulumi

from ..versions import ChartName


@dataclass(frozen=True)
class WorkloadIdentity:
    """How a platform service's pods get its cloud identity (no stored credential)."""

    service_account_annotations: Mapping[str, pulumi.Input[str]]
    """Annotations on the service's Kubernetes service account."""
    pod_labels: Mapping[str, str]
    """Labels on the service's pods."""


@dataclass(frozen=True)
class StorageClassFacts:
    """How one of the platform's storage classes is provisioned on this cloud."""

    provisioner: str
    """The CSI driver's name (``disk.csi.azure.com``, ``efs.csi.aws.com``, ``driver.longhorn.io``)."""
    parameters: Mapping[str, pulumi.Input[str]]
    """The class's driver parameters: disk kind, redundancy, the encryption switch and key where the driver has one."""
    zonal: bool
    """Volumes live in one zone, so binding waits for the pod's node (``WaitForFirstConsumer``)."""
    key_secret: bool = False
    """Volumes are encrypted with a key the platform generates and hands to the driver as a CSI secret."""
    mount_options: Sequence[str] = ()
    """Mount options of the class's volumes (e.g. NFS version)."""


@dataclass(frozen=True)
class StorageDriver:
    """A CSI driver chart the agnostics layer installs (none where the cloud runs its drivers itself)."""

    chart: ChartName
    """The chart's name in the chart lock (``longhorn``, ``aws-ebs-csi-driver``, ``aws-efs-csi-driver``)."""
    namespace: str
    """Where it runs: the cloud's identity for it (e.g. a pod identity association) names this namespace."""
    service_account: str
    """The controller's service account, as the cloud's identity for it names it (empty: no cloud identity)."""
    values: Mapping[str, Any] = field(default_factory=dict)
    """Chart values only this cloud knows (its region, say); the agnostics layer adds the production values."""


@dataclass(frozen=True)
class StorageFacts:
    """The cloud's storage: the two classes every cluster offers, the drivers to install, the defaults to demote."""

    rwo: StorageClassFacts
    """``rwo-default``: block storage for one pod at a time (databases, workspaces' home volumes)."""
    rwx: StorageClassFacts
    """``rwx-default``: shared file storage many pods mount at once (project data)."""
    drivers: Sequence[StorageDriver] = ()
    """CSI drivers the agnostics layer installs from the vendored charts."""
    cloud_default_classes: Sequence[str] = ()
    """Classes the cloud marks default, which must stop being the default."""


@dataclass(frozen=True)
class ControlPlaneMetrics:
    """Control-plane components whose metrics endpoints Prometheus can reach on this cloud.

    Each is off by default: a scrape target that cannot answer only raises a ``TargetDown``
    alert forever, which teaches operators to ignore alerts.
    """

    controller_manager: bool = False
    """kube-controller-manager's ``/metrics`` on port 10257 of the control-plane nodes."""
    scheduler: bool = False
    """kube-scheduler's ``/metrics`` on port 10259 of the control-plane nodes."""
    etcd: bool = False
    """etcd's metrics listener (port 2381) on the control-plane nodes."""
    why: str = ""
    """Why the components that are off cannot be scraped here (written into the docs)."""


@dataclass(frozen=True)
class AzureDnsZone:
    """An Azure DNS zone (public or private) a platform service writes records into with its workload identity."""

    zone: str
    """The zone's name (the environment's domain)."""
    subscription_id: pulumi.Input[str]
    """Subscription holding the zone."""
    tenant_id: pulumi.Input[str]
    """Entra ID tenant of the identity."""
    resource_group: pulumi.Input[str]
    """Resource group holding the zone."""
    client_id: pulumi.Input[str]
    """Client ID of the managed identity that holds a role on this zone alone."""
    private: bool
    """A private DNS zone (resolved only inside linked VNets) rather than a public one."""
    endpoints: Sequence[str] = ("management.azure.com", "login.microsoftonline.com")
    """What a writer calls over HTTPS: Azure Resource Manager and the Entra ID token endpoint (public cloud)."""


@dataclass(frozen=True)
class Route53Zone:
    """A Route 53 hosted zone a platform service writes with EKS Pod Identity (ambient credentials)."""

    zone: str
    """The zone's name (the environment's domain)."""
    zone_id: pulumi.Input[str]
    """The hosted zone's ID."""
    region: str
    """The AWS region the SDK signs for (Route 53 itself is global)."""
    private: bool
    """A private hosted zone (associated with the VPC) rather than a public one."""
    endpoints: Sequence[str] = ("route53.amazonaws.com",)
    """What a writer calls over HTTPS: Route 53's one global API endpoint (https://docs.aws.amazon.com/general/latest/gr/r53.html)."""


@dataclass(frozen=True)
class Rfc2136Server:
    """A DNS server that takes TSIG-signed dynamic updates (RFC 2136), e.g. BIND on the site's network."""

    zone: str
    """The zone it is authoritative for (the environment's domain)."""
    address: str
    """The server's IP address (a policy allows exactly this address)."""
    port: int
    """Its DNS port."""
    tsig_key_name: str
    """Name of the TSIG key the server accepts updates signed with."""
    tsig_algorithm: str
    """The TSIG HMAC algorithm, as in RFC 8945 (e.g. ``hmac-sha256``)."""
    tsig_secret: pulumi.Output[str]
    """The TSIG key's base64 secret: a Pulumi secret."""


DnsZoneFact = AzureDnsZone | Route53Zone | Rfc2136Server
"""Where a platform service writes DNS records, and how it authenticates there."""


@dataclass(frozen=True)
class StoreCredentials:
    """An S3 access key pair in a Kubernetes Secret: the only way in where no cloud identity exists."""

    secret_name: str
    """The Secret's name (each consumer holds a copy in its own namespace)."""
    access_key_key: str
    """The key holding the access key id."""
    secret_key_key: str
    """The key holding the secret access key."""


@dataclass(frozen=True)
class ObjectStore:
    """Where backups go: one bucket (or Blob container) and how pods authenticate to it.

    Consumers (Velero, the CloudNativePG Barman Cloud plugin) read these facts instead of branching
    on the cloud. Exactly one of ``identity`` and ``credentials`` is set.
    """

    api: Literal["azure-blob", "s3"]
    """The protocol: Azure Blob Storage, or the S3 API (AWS S3 or an S3-compatible store)."""
    bucket: pulumi.Input[str]
    """The S3 bucket or Azure Blob container."""
    endpoint: pulumi.Input[str]
    """The service URL: the storage account's blob endpoint, the S3 URL of an in-cluster store, or "" for AWS S3."""
    region: str
    """The bucket's region (S3 signs requests for it; an in-cluster store accepts any)."""
    hosts: Sequence[pulumi.Input[str]] = ()
    """Host names pods connect to for this store (egress allowlist); empty for an in-cluster store."""
    identity: WorkloadIdentity | None = None
    """The cloud identity pods use (no stored key); set for cloud stores."""
    identity_hosts: Sequence[str] = ()
    """Host names the identity's token exchange needs (Entra ID); none where the node's agent serves them."""
    identity_cidrs: Sequence[str] = ()
    """Link-local addresses of a node agent handing out credentials (EKS Pod Identity)."""
    credentials: StoreCredentials | None = None
    """An access key pair instead of an identity (in-cluster store)."""
    settings: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Store-specific settings clients need (Azure: storage account, resource group, subscription)."""


@dataclass(frozen=True)
class StoredSecret:
    """A value the platform wrote into the cloud's secret store, as an ``ExternalSecret`` names it."""

    key: pulumi.Input[str]
    """``remoteRef.key``: the entry's name in the store (each password is a ``property`` of it)."""
    written: pulumi.Resource
    """The resource that writes the entry: what reading it must wait for."""


def json_secret(values: Mapping[str, pulumi.Input[str]]) -> pulumi.Output[str]:
    """``values`` as one JSON object, a Pulumi secret (each value becomes a ``property`` of a store entry)."""
    document: pulumi.Output[str] = pulumi.Output.all(**values).apply(lambda v: json.dumps(v, sort_keys=True))
    return pulumi.Output.secret(document)


class SecretWriter(Protocol):
    """Writes one entry of named generated values into the cloud's secret store (no cloud SDK in the caller)."""

    def __call__(
        self,
        name: str,
        entry: str,
        values: Mapping[str, pulumi.Input[str]],
        parent: pulumi.Resource,
        depends_on: Sequence[pulumi.Resource] = (),
    ) -> StoredSecret:
        """Write ``values`` (each a Pulumi secret) as the entry ``entry``; ``name`` is the Pulumi resource name."""
        ...


@dataclass(frozen=True)
class SecretStoreFacts:
    """The secret store External Secrets reads on this cloud, and how the platform writes into it."""

    kind: Literal["azurekv", "aws", "kubernetes"]
    """The External Secrets provider (the one key of the ClusterSecretStore's ``spec.provider``)."""
    provider: Mapping[str, pulumi.Input[Any]]
    """That provider's settings (``spec.provider.<kind>``), as the ClusterSecretStore CRD defines them."""
    write: SecretWriter
    """Writes generated values into the store (the infrastructure's own SDK, called by the agnostics layer)."""
    endpoint_fqdns: Sequence[pulumi.Input[str]] = ()
    """Names the controller calls over HTTPS to read the store (the vault, the Secrets Manager endpoint)."""
    extra_egress: Sequence[Mapping[str, Any]] = ()
    """Further Cilium egress rules the controller needs for its credentials (e.g. the EKS Pod Identity Agent)."""
    remote_namespace: str | None = None
    """Kubernetes provider only: the namespace that holds the store's Secrets (the agnostics layer creates it)."""
    reader: str | None = None
    """Kubernetes provider only: the service account that may read that namespace's Secrets."""


DATABASE_SERVICE_ACCOUNTS: tuple[tuple[str, str], ...] = (("keycloak", "keycloak-db"),)
"""(namespace, service account) of each CloudNativePG cluster that backs up to the platform's object store with
the store's cloud identity: CloudNativePG runs a cluster's instances as a service account named after the
cluster. The cloud modules federate (Azure) or associate (AWS) the backup identity with each."""
