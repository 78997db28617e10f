"""The typed hand-off from the infrastructure layer to the layers above it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

Cloud = Literal["azure", "aws", "k3s"]


@dataclass(frozen=True)
class CiliumFacts:
    """What the Cilium chart needs to know about the cluster it runs in."""

    api_server_host: pulumi.Input[str]
    """Host of the Kubernetes API: Cilium replaces kube-proxy, so it cannot use the Service IP."""
    api_server_port: int
    """Port of the Kubernetes API."""
    cloud_values: Mapping[str, Any] = field(default_factory=dict)
    """Chart values only this cloud needs (e.g. ``aksbyocni``)."""


@dataclass(frozen=True)
class WorkloadIdentity:
    """How a platform service's pods get its cloud identity (no stored credential)."""

    service_account_annotations: Mapping[str, pulumi.Input[str]]
    """Annotations on the service's Kubernetes service account."""
    pod_labels: Mapping[str, str]
    """Labels on the service's pods."""


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
class PlatformFacts:
    """Per-cloud facts the agnostics layer consumes instead of branching on the cloud."""

    storage_provisioner: str
    """CSI provisioner of the default block storage class."""
    storage_parameters: Mapping[str, str]
    """Parameters of that storage class (encryption, disk kind)."""
    internal_lb_annotations: Mapping[str, str]
    """Service annotations that keep a LoadBalancer on the private network."""
    lb_ip_pool: Sequence[str] = ()
    """Address ranges Cilium hands to LoadBalancer services itself (no cloud load balancer)."""
    workload_identities: Mapping[str, WorkloadIdentity] = field(default_factory=dict)
    """Cloud identity per platform service (``cert-manager``, ``external-dns``, ``external-secrets``)."""
    cloud_api_fqdns: Sequence[str] = ()
    """Cloud endpoints platform services call with their workload identity (token and management APIs)."""
    dns_server_fqdns: Sequence[str] = ()
    """Authoritative name servers of the environment's public DNS zone (cert-manager checks DNS-01 there)."""
    dns01_solver: Mapping[str, Any] | None = None
    """cert-manager ACME DNS-01 solver for the environment's DNS zone; needed for the wildcard certificate."""
    object_store: ObjectStore | None = None
    """The cloud's object store for backups; None where the cloud has none (K3s), so the platform runs SeaweedFS."""


@dataclass(frozen=True)
class ProvisionedCluster:
    """A cluster as a cloud component leaves it: API reachable, no CNI yet."""

    name: pulumi.Output[str]
    """The cluster's name in its cloud."""
    kubeconfig: pulumi.Output[str]
    """Credentials to reach the API: always a secret Output."""
    provider: k8s.Provider
    """The Kubernetes provider every Kubernetes resource must use."""
    ready: Sequence[pulumi.Resource]
    """Resources that must exist before anything is installed in the cluster."""
    cilium: CiliumFacts
    """What Cilium needs."""
    platform: PlatformFacts
    """What the agnostics layer needs."""
    exports: Mapping[str, pulumi.Input[Any]] = field(default_factory=dict)
    """Stack outputs other stacks read (e.g. ``hub`` for spokes in ``hub.mode: stack``)."""


@dataclass(frozen=True)
class Cluster:
    """A running cluster with its CNI: what agnostics and applications build on."""

    cloud: Cloud
    """Which cloud built it (for labels and outputs, not for branching)."""
    environment: str
    """The environment (dev, stg, prod) the cluster serves; labelled on every namespace."""
    name: pulumi.Output[str]
    """The cluster's name in its cloud."""
    kubernetes_version: str
    """Kubernetes version, as configured."""
    kubeconfig: pulumi.Output[str]
    """Credentials to reach the API: always a secret Output."""
    provider: k8s.Provider
    """The Kubernetes provider every Kubernetes resource must use."""
    ready: Sequence[pulumi.Resource]
    """Resources later layers depend on: the cluster, its nodes and its CNI."""
    platform: PlatformFacts
    """Per-cloud facts for the agnostics layer."""
    exports: Mapping[str, pulumi.Input[Any]] = field(default_factory=dict)
    """Stack outputs the cloud component publishes for other stacks."""

    def opts(self, parent: pulumi.Resource, *, depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        """Options for a Kubernetes resource: this cluster's provider, after the cluster is ready."""
        return pulumi.ResourceOptions(parent=parent, provider=self.provider, depends_on=[*self.ready, *depends_on])
