"""Azure cluster configuration: the hub it joins, its spoke network, AKS and its API server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Literal

from pydantic import Field

from .base import K8treModel
from .common import ClusterBase
from .types import AzureLocation, Cidr, Fqdn, Ipv4Address

_UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_ARM_ID = r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/.+$"
ArmId = Annotated[str, Field(pattern=_ARM_ID)]
"""A full Azure resource ID."""


class AzureNodePool(K8treModel):
    """An AKS agent pool."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9]{0,11}$")]
    """AKS pool name: lower-case letters and digits, at most 12 characters."""
    mode: Literal["System", "User"] = "User"
    """System pools run cluster add-ons; user pools run workloads."""
    vm_size: str = "Standard_D4ds_v5"
    """Azure VM size of each node; a ``d`` size (local temporary disk) can hold an ephemeral OS disk."""
    count: Annotated[int, Field(ge=1, le=1000)] = 3
    """Node count (the minimum when autoscaling)."""
    max_count: Annotated[int, Field(ge=1, le=1000)] | None = None
    """Upper bound; setting it turns on the cluster autoscaler."""
    zones: tuple[Literal["1", "2", "3"], ...] = ("1", "2", "3")
    """Availability zones the pool spreads across."""
    os_disk_type: Literal["Managed", "Ephemeral"] = "Ephemeral"
    """``Ephemeral``: the OS disk on the host's local storage (faster, nothing to pay, reimaged on upgrade), which the VM
    size must have room for (preflight ``azure-aks-ephemeral-os-disk-fits``); ``Managed``: a network disk."""
    os_disk_size_gb: Annotated[int, Field(ge=30, le=2048)] = 128
    """OS disk size in GiB; ephemeral, it must fit the VM size's cache or temporary disk (150 GiB on D4ds_v5)."""


class CreatedHub(K8treModel):
    """A hub created by this stack: a standalone TRE, or the management stack others share."""

    mode: Literal["create"]
    """Selects a hub created here."""
    vnet_cidr: Cidr = "10.0.0.0/22"
    """Hub VNet range."""
    firewall_subnet_cidr: Cidr = "10.0.0.0/26"
    """``AzureFirewallSubnet``: at least a /26, inside the hub range."""
    firewall_sku: Literal["Standard", "Premium"] = "Standard"
    """Azure Firewall tier; Premium adds TLS inspection and IDPS."""
    firewall_public_ips: Annotated[int, Field(ge=1, le=250)] = 1
    """Public IPs the firewall SNATs egress behind: 2,496 ports each per instance, up to 250; >= 20 in production."""


class PrivateDnsZoneIds(K8treModel):
    """IDs of the hub's private DNS zones for the private endpoints the TRE uses."""

    key_vault: ArmId
    """``privatelink.vaultcore.azure.net``."""
    blob: ArmId
    """``privatelink.blob.core.windows.net``."""
    file: ArmId
    """``privatelink.file.core.windows.net``."""
    dfs: ArmId
    """``privatelink.dfs.core.windows.net`` (Data Lake endpoints of the workspace storage)."""
    aks: ArmId
    """``privatelink.<region>.azmk8s.io``: where a private cluster's API name is registered."""


class ExistingHub(K8treModel):
    """An existing landing-zone hub, referenced by the IDs its owner provides."""

    mode: Literal["existing"]
    """Selects a hub referenced by ID."""
    vnet_id: ArmId
    """Hub VNet resource ID (this stack peers with it)."""
    address_space: tuple[Cidr, ...] = Field(min_length=1)
    """The hub VNet's address prefixes, as its owner gives them: checked against the spoke, pod and service ranges."""
    firewall_private_ip: Ipv4Address
    """Private address of the hub firewall (inside ``addressSpace``): the next hop for the spoke's default route."""
    private_dns_zone_ids: PrivateDnsZoneIds
    """The hub's private DNS zones."""
    log_analytics_workspace_id: ArmId
    """Workspace that keeps the cluster's audit logs."""


class StackHub(K8treModel):
    """A hub created by another stack of this project (e.g. the management stack), read by StackReference."""

    mode: Literal["stack"]
    """Selects a hub read from another stack's outputs."""
    stack: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")]
    """``<organisation>/<project>/<stack>`` whose outputs include ``hub``."""


HubConfig = Annotated[CreatedHub | ExistingHub | StackHub, Field(discriminator="mode")]
"""Where the hub comes from."""


class ApiServerSettings(K8treModel):
    """How the Kubernetes API is reached."""

    private: bool | None = None
    """Private cluster (API only on the VNet); default on in prod."""
    authorized_ip_ranges: tuple[Cidr, ...] = ()
    """For a public API: the only ranges allowed to reach it."""
    admin_group_object_ids: tuple[Annotated[str, Field(pattern=_UUID)], ...] = ()
    """Entra ID groups that are cluster administrators."""


class MaintenanceWindow(K8treModel):
    """When AKS may upgrade the cluster and its nodes."""

    day: Literal["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] = "Sunday"
    """Day of the week."""
    start_hour: Annotated[int, Field(ge=0, le=23)] = 2
    """Start hour, UTC."""
    duration_hours: Annotated[int, Field(ge=4, le=24)] = 4
    """Length; AKS needs at least four hours."""


class AzureClusterConfig(ClusterBase):
    """An AKS cluster in its own spoke network, egressing through the hub firewall."""

    provider: Literal["azure"]
    """Selects Azure."""
    location: AzureLocation
    """Azure region."""
    hub: HubConfig = CreatedHub(mode="create")
    """The hub network this spoke peers with."""
    vnet_cidr: Cidr = "10.10.0.0/16"
    """The environment's spoke VNet address space."""
    node_subnet_cidr: Cidr = "10.10.0.0/22"
    """Subnet the nodes live in (inside ``vnetCidr``)."""
    ingress_subnet_cidr: Cidr = "10.10.8.0/24"
    """Subnet of the internal load balancer in front of the Gateway (inside ``vnetCidr``)."""
    endpoints_subnet_cidr: Cidr = "10.10.9.0/24"
    """Subnet of the private endpoints (Key Vault, storage) (inside ``vnetCidr``)."""
    client_ranges: tuple[Cidr, ...] = Field(default=("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"), min_length=1)
    """Where the TRE's users and operators are (hub, organisation network): the only sources the Gateway (80, 443)
    and a private API server (443) accept; the node and ingress NSGs deny everything else, peers included."""
    kube_proxy: Literal["disabled", "cilium-alongside"] = "disabled"
    """``disabled``: the AKS preview API turns kube-proxy off (needs a subscription feature); ``cilium-alongside``:
    AKS's kube-proxy is kept next to Cilium's replacement."""
    api_server: ApiServerSettings = ApiServerSettings()
    """API server access."""
    deployer_principal_type: Literal["User", "ServicePrincipal"] = "ServicePrincipal"
    """What runs ``pulumi up``: a CI identity (the workflows) or a person; its role assignment must say which."""
    rbac_propagation_seconds: Annotated[int, Field(ge=0, le=1800)] = 300
    """How long a first ``pulumi up`` waits after creating role assignments before AKS, the etcd key or the first
    Kubernetes call relies on them (Azure caches assignments for minutes); 0 turns the waits off."""
    upgrade_channel: Literal["patch", "stable", "rapid", "node-image", "none"] = "patch"
    """Automatic Kubernetes upgrades."""
    maintenance_window: MaintenanceWindow = MaintenanceWindow()
    """When upgrades may happen."""
    egress_allowlist: tuple[Fqdn, ...] = ()
    """Extra internet names the nodes may reach through the firewall (e.g. package mirrors)."""
    storage_infrastructure_encryption: bool = True
    """Encrypt the storage accounts' data a second time at the infrastructure layer (a second key and algorithm).
    Create-only: Azure cannot turn it on or off for an existing account. Set ``false`` only for accounts that already
    exist without it, as a recorded decision (the preflight warns); changing it plans a replacement, which prod's
    protection refuses."""
    node_pools: tuple[AzureNodePool, ...] = Field(min_length=1)
    """Agent pools; at least one must be a System pool."""


def api_exposure_issues(cluster: AzureClusterConfig, environment: str) -> Iterator[tuple[str, str]]:
    """Outside dev, a public API server names the only ranges that may reach it (stg is production-shaped).

    AKS's own guidance for a public API is to limit it with authorised IP ranges
    (https://learn.microsoft.com/azure/aks/api-server-authorized-ip-ranges); prod goes
    further and is private (a rule of its own).
    """
    api = cluster.api_server
    private = api.private if api.private is not None else environment == "prod"
    if environment != "dev" and not private and not api.authorized_ip_ranges:
        yield (
            "cluster.apiServer.authorizedIpRanges",
            f"is required for a public API server in {environment}: set k8tre:cluster.apiServer.private: true (as prod "
            "does), or list the only ranges that may reach the API (the organisation's and the deploying runner's)",
        )
