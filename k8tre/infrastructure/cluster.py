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
    public_dns: DnsZoneFact | None = None
    """The public zone cert-manager answers ACME DNS-01 challenges in (for the wildcard certificate); none: HTTP-01 only."""
    private_dns: DnsZoneFact | None = None
    """The zone external-dns publishes the Gateway's routes in, resolved inside the network; none: no external-dns."""
    pod_identity_agent: str | None = None
    """Address of a node-local credential agent pods with a cloud identity call (EKS Pod Identity), if any."""


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
