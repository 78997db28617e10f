"""The typed hand-off from the infrastructure layer to the layers above it."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

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
