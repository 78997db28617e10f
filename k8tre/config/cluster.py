"""Cluster configuration: one model per cloud, chosen by ``cluster.provider``.

A discriminated union, so a stack file names its cloud once and gets exactly
that cloud's keys; a new cloud is a new model plus one union member.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import K8treModel
from .types import AwsRegion, AzureLocation, Cidr, DnsLabel, Host, KubernetesVersion, Port


class PodNetwork(K8treModel):
    """Address ranges Cilium and Kubernetes hand out inside the cluster."""

    pod_cidrs: tuple[Cidr, ...] = Field(default=("10.244.0.0/16",), min_length=1)
    """Cilium cluster-pool IPAM ranges for pods."""
    service_cidr: Cidr = "10.96.0.0/16"
    """Kubernetes Service ClusterIP range."""


class CiliumSettings(K8treModel):
    """Choices about the CNI that differ between environments."""

    encryption: Literal["wireguard", "none"] | None = None
    """Transparent node-to-node encryption; default WireGuard in stg and prod."""
    hubble_ui: bool = True
    """Install the Hubble UI for flow visibility."""


class _ClusterBase(K8treModel):
    kubernetes_version: KubernetesVersion
    """Kubernetes minor or patch version, pinned per stack."""
    network: PodNetwork = PodNetwork()
    """Pod and service address ranges."""
    cilium: CiliumSettings = CiliumSettings()
    """CNI settings."""


class AzureNodePool(K8treModel):
    """An AKS agent pool."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9]{0,11}$")]
    """AKS pool name: lower-case letters and digits, at most 12 characters."""
    mode: Literal["System", "User"] = "User"
    """System pools run cluster add-ons; user pools run workloads."""
    vm_size: str = "Standard_D4s_v5"
    """Azure VM size of each node."""
    count: Annotated[int, Field(ge=1, le=1000)] = 3
    """Node count (the minimum when autoscaling)."""
    max_count: Annotated[int, Field(ge=1, le=1000)] | None = None
    """Upper bound; setting it turns on the cluster autoscaler."""
    zones: tuple[Literal["1", "2", "3"], ...] = ("1", "2", "3")
    """Availability zones the pool spreads across."""
    os_disk_type: Literal["Managed", "Ephemeral"] = "Managed"
    """OS disk kind."""


class AzureClusterConfig(_ClusterBase):
    """An AKS cluster in its own spoke network."""

    provider: Literal["azure"]
    """Selects Azure."""
    location: AzureLocation
    """Azure region."""
    vnet_cidr: Cidr = "10.10.0.0/16"
    """The environment's spoke VNet address space."""
    node_subnet_cidr: Cidr = "10.10.0.0/22"
    """Subnet the nodes live in (inside ``vnetCidr``)."""
    ingress_subnet_cidr: Cidr = "10.10.8.0/24"
    """Subnet of the internal load balancer in front of the Gateway (inside ``vnetCidr``)."""
    node_pools: tuple[AzureNodePool, ...] = Field(min_length=1)
    """Agent pools; at least one must be a System pool."""


class AwsNodeGroup(K8treModel):
    """An EKS managed node group."""

    name: DnsLabel
    """Node group name."""
    instance_types: tuple[str, ...] = Field(default=("m6i.xlarge",), min_length=1)
    """EC2 instance types."""
    min_size: Annotated[int, Field(ge=0)] = 2
    """Fewest nodes."""
    desired_size: Annotated[int, Field(ge=0)] = 3
    """Nodes at creation."""
    max_size: Annotated[int, Field(ge=1)] = 6
    """Most nodes."""
    disk_size_gib: Annotated[int, Field(ge=20)] = 100
    """Root volume size."""


class AwsClusterConfig(_ClusterBase):
    """An EKS cluster in its own VPC."""

    provider: Literal["aws"]
    """Selects AWS."""
    region: AwsRegion
    """AWS region."""
    vpc_cidr: Cidr = "10.20.0.0/16"
    """The environment's VPC range."""
    availability_zones: Annotated[int, Field(ge=2, le=6)] = 3
    """How many zones the VPC and node groups span."""
    node_groups: tuple[AwsNodeGroup, ...] = Field(min_length=1)
    """Managed node groups."""


class K3sHost(K8treModel):
    """An existing machine reached over SSH."""

    name: DnsLabel
    """Node name in Kubernetes."""
    address: Host
    """Address Pulumi connects to over SSH."""
    user: str = "k8tre"
    """SSH user with passwordless sudo."""
    port: Port = 22
    """SSH port."""


class K3sClusterConfig(_ClusterBase):
    """K3s installed on existing machines over SSH."""

    provider: Literal["k3s"]
    """Selects K3s."""
    k3s_version: Annotated[str, Field(pattern=r"^v1\.[0-9]+\.[0-9]+\+k3s[0-9]+$")] | None = Field(
        default=None, alias="k3sVersion"
    )
    """K3s release, e.g. ``v1.33.5+k3s1``; must match ``kubernetesVersion``."""
    api_host: Host
    """Address of the Kubernetes API (first server or a virtual IP)."""
    node_cidr: Cidr
    """The machines' own network."""
    load_balancer_cidrs: tuple[Cidr, ...] = Field(min_length=1)
    """Addresses on the machines' network that Cilium announces (L2) for LoadBalancer services."""
    servers: tuple[K3sHost, ...] = Field(min_length=1)
    """Control-plane machines (1, or 3 or more for HA)."""
    agents: tuple[K3sHost, ...] = ()
    """Worker machines."""


ClusterConfig = Annotated[
    AzureClusterConfig | AwsClusterConfig | K3sClusterConfig,
    Field(discriminator="provider"),
]
"""The cluster section: exactly one cloud's model, chosen by ``provider``."""
