"""The typed hand-off from the infrastructure layer to the layers above it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_kubernetes as k8s

from .service_facts import (
    AzureDnsZone as AzureDnsZone,
)
from .service_facts import (
    ControlPlaneMetrics as ControlPlaneMetrics,
)
from .service_facts import (
    DnsZoneFact as DnsZoneFact,
)
from .service_facts import (
    ObjectStore as ObjectStore,
)
from .service_facts import (
    Rfc2136Server as Rfc2136Server,
)
from .service_facts import (
    Route53Zone as Route53Zone,
)
from .service_facts import (
    SecretStoreFacts as SecretStoreFacts,
)
from .service_facts import (
    SecretWriter as SecretWriter,
)
from .service_facts import (
    StorageClassFacts as StorageClassFacts,
)
from .service_facts import (
    StorageDriver as StorageDriver,
)
from .service_facts import (
    StorageFacts as StorageFacts,
)
from .service_facts import (
    StoreCredentials as StoreCredentials,
)
from .service_facts import (
    StoredSecret as StoredSecret,
)
from .service_facts import (
    WorkloadIdentity as WorkloadIdentity,
)
from .service_facts import (
    json_secret as json_secret,
)

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
    wait_for_pods: bool = True
    """Whether the release waits for Cilium's pods: not where the nodes are created after Cilium (EKS), since
    its pods (hubble-relay, the operator) cannot run before them."""


@dataclass(frozen=True)
class PlatformFacts:
    """Per-cloud facts the agnostics layer consumes instead of branching on the cloud."""

    storage: StorageFacts
    """The cloud's storage classes and drivers."""
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
    control_plane_metrics: ControlPlaneMetrics = field(default_factory=lambda: ControlPlaneMetrics())
    """Which control-plane components Prometheus can scrape (a managed control plane hides them)."""
    host_audit_log: str = ""
    """Path of the API server's audit log on the cluster's own control-plane nodes (K3s), which the log
    collector ships to the log store; empty where the cloud keeps the audit log itself (AKS, EKS)."""
    public_dns: DnsZoneFact | None = None
    """The public zone cert-manager answers ACME DNS-01 challenges in (for the wildcard certificate); none: HTTP-01 only."""
    private_dns: DnsZoneFact | None = None
    """The zone external-dns publishes the Gateway's routes in, resolved inside the network; none: no external-dns."""
    pod_identity_agent: str | None = None
    """Address of a node-local credential agent pods with a cloud identity call (EKS Pod Identity), if any."""
    object_store: ObjectStore | None = None
    """The cloud's object store for backups; None where the cloud has none (K3s), so the platform runs SeaweedFS."""
    secret_store: SecretStoreFacts | None = None
    """Where generated passwords are kept and how External Secrets reads them; every cloud fills it."""


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
    after_cni: Callable[[Sequence[pulumi.Resource]], Sequence[pulumi.Resource]] | None = None
    """Builds what must follow the CNI (EKS node groups and their add-ons) given the CNI release; what it returns
    joins ``Cluster.ready``. None where the nodes exist first (AKS, K3s)."""


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
    secret_store_ready: Sequence[pulumi.Resource] = ()
    """What an ``ExternalSecret`` waits for: the operator's CRDs and the ClusterSecretStore. Empty until the
    agnostics layer has installed External Secrets (it hands a copy of the cluster with these set to the services
    after it), so only what reads a store waits for it."""

    def opts(self, parent: pulumi.Resource, *, depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        """Options for a Kubernetes resource: this cluster's provider, after the cluster is ready."""
        return pulumi.ResourceOptions(parent=parent, provider=self.provider, depends_on=[*self.ready, *depends_on])
