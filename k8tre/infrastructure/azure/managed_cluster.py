"""The AKS ManagedCluster resource, declared with the API version that can switch kube-proxy off.

Why a hand-declared resource: ``networkProfile.kubeProxyConfig`` exists only in AKS
*preview* API versions, and pulumi-azure-native 3.x's ``ManagedCluster`` is generated
for the stable 2025-09-01 API, which lacks it. Versioned SDKs are normally generated
with ``pulumi package add azure-native containerservice <version>``, which needs the
Pulumi CLI; but the provider plugin serves every versioned type token, so this small
``CustomResource`` names the preview token itself and keeps a typed argument model.
The same class with the stable token serves ``kubeProxy: cilium-alongside``, so both
modes share one specification of the cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import pulumi

PREVIEW_API = "2026-05-02-preview"
"""Newest AKS API with ``kubeProxyConfig`` (in every preview since 2022-08-02-preview)."""
PREVIEW_TOKEN = f"azure-native:containerservice/v{PREVIEW_API.replace('-', '')}:ManagedCluster"
STABLE_TOKEN = "azure-native:containerservice:ManagedCluster"  # noqa: S105 - a type token, not a secret
KUBE_PROXY_FEATURE = "KubeProxyConfigurationPreview"
"""Subscription feature the preview field needs (namespace Microsoft.ContainerService)."""


@dataclass(frozen=True)
class AgentPool:
    """One agent pool profile."""

    name: str
    """Pool name."""
    mode: Literal["System", "User"]
    """System or User."""
    vm_size: str
    """VM size."""
    count: int
    """Nodes (the minimum when autoscaling)."""
    max_count: int | None
    """Autoscaler maximum, or None for a fixed size."""
    zones: tuple[str, ...]
    """Availability zones."""
    os_disk_type: str
    """Managed or Ephemeral."""
    subnet_id: pulumi.Input[str]
    """The spoke's node subnet."""
    os_disk_size_gb: int = 128
    """OS disk size: named, so an ephemeral disk does not take the whole temporary disk (AKS's default)."""
    max_pods: int = 110
    """Pods per node: Kubernetes' tested default, well inside the /24 Cilium's cluster pool gives each node."""
    critical_addons_only: bool = False
    """Taint a System pool so only critical add-ons run there (when User pools exist for the rest)."""

    def profile(self) -> dict[str, Any]:
        """The ARM ``agentPoolProfiles`` entry."""
        profile: dict[str, Any] = {
            "name": self.name,
            "mode": self.mode,
            "vmSize": self.vm_size,
            "count": self.count,
            "enableAutoScaling": self.max_count is not None,
            "availabilityZones": list(self.zones),
            "osDiskType": self.os_disk_type,
            "osDiskSizeGB": self.os_disk_size_gb,
            "osType": "Linux",
            "osSKU": "AzureLinux",
            "type": "VirtualMachineScaleSets",
            "vnetSubnetID": self.subnet_id,
            "enableNodePublicIP": False,
            "enableEncryptionAtHost": True,
        }
        # Set, never AKS's plugin-dependent default: Cilium allocates each node's pods from its own /24
        # (https://docs.cilium.io/en/stable/network/concepts/ipam/cluster-pool/).
        profile["maxPods"] = self.max_pods
        if self.critical_addons_only:
            # Microsoft's baseline keeps application pods off the system pool
            # (https://learn.microsoft.com/azure/aks/use-system-pools#system-and-user-node-pools).
            profile["nodeTaints"] = ["CriticalAddonsOnly=true:NoSchedule"]
        if self.max_count is not None:
            profile |= {"minCount": self.count, "maxCount": self.max_count}
        return profile


@dataclass(frozen=True)
class EtcdKms:
    """The customer-managed key that encrypts the cluster's Secrets, in a private vault."""

    key_id: pulumi.Input[str]
    """Versionless key URI: AKS follows the key's rotation by itself."""
    vault_id: pulumi.Input[str]
    """Resource ID of the key's vault."""


@dataclass(frozen=True)
class ManagedClusterArgs:
    """The cluster, in the terms the program decides; :meth:`properties` turns it into the ARM body."""

    resource_group_name: pulumi.Input[str]
    """Resource group."""
    cluster_name: str
    """Azure name of the cluster."""
    location: str
    """Region."""
    kubernetes_version: str
    """Pinned Kubernetes version."""
    pools: tuple[AgentPool, ...]
    """Agent pools."""
    pod_cidr: str
    """Pod range: Cilium's cluster pool, which AKS's control plane routes to pods by (BYO CNI needs it)."""
    service_cidr: str
    """Service range."""
    dns_service_ip: str
    """kube-dns address inside the service range."""
    kube_proxy_disabled: bool
    """Turn kube-proxy off (preview API only)."""
    private_api: bool
    """Private cluster."""
    private_dns_zone_id: pulumi.Input[str] | None
    """Hub zone the private API's name is registered in (private clusters)."""
    identity: pulumi.Input[dict[str, Any]]
    """The control-plane identity block (user-assigned, so its roles exist before the cluster)."""
    authorized_ip_ranges: tuple[str, ...]
    """Public API allow-list."""
    admin_group_object_ids: tuple[str, ...]
    """Entra ID admin groups."""
    local_accounts_disabled: bool
    """No static admin credentials."""
    upgrade_channel: str
    """Automatic upgrade channel."""
    sku_tier: str
    """Free or Standard (uptime SLA)."""
    tags: dict[str, str]
    """Tags."""
    log_analytics_workspace_id: pulumi.Input[str] | None = None
    """Workspace Defender for Containers reports to (None: Defender's sensor is not deployed)."""
    etcd_key: EtcdKms | None = None
    """KMS encryption of etcd Secrets with this key (None: AKS's platform encryption only)."""

    def properties(self) -> dict[str, Any]:
        """The resource's input properties (wire names), including the preview field when chosen."""
        network_profile: dict[str, Any] = {
            "networkPlugin": "none",  # bring your own CNI: Cilium
            # BYO CNI must name the pod range, or control plane to pod traffic is misrouted; it must be the range
            # Cilium allocates from (https://learn.microsoft.com/azure/aks/use-byo-cni#prerequisites).
            "podCidr": self.pod_cidr,
            "serviceCidr": self.service_cidr,
            "dnsServiceIP": self.dns_service_ip,
            "outboundType": "userDefinedRouting",  # egress only through the hub firewall
        }
        if self.kube_proxy_disabled:
            network_profile["kubeProxyConfig"] = {"enabled": False}
        api_profile: dict[str, Any] = {"enablePrivateCluster": self.private_api}
        if self.private_api and self.private_dns_zone_id is not None:
            api_profile["privateDNSZone"] = self.private_dns_zone_id
        if self.private_api:
            # No public DNS name that resolves to the private address (https://learn.microsoft.com/azure/aks/private-clusters).
            api_profile["enablePrivateClusterPublicFQDN"] = False
        if self.authorized_ip_ranges:
            api_profile["authorizedIPRanges"] = list(self.authorized_ip_ranges)
        return {
            "resourceGroupName": self.resource_group_name,
            "resourceName": self.cluster_name,
            "location": self.location,
            "dnsPrefix": self.cluster_name,
            "kubernetesVersion": self.kubernetes_version,
            "identity": self.identity,
            "sku": {"name": "Base", "tier": self.sku_tier},
            "agentPoolProfiles": [pool.profile() for pool in self.pools],
            "networkProfile": network_profile,
            "enableRBAC": True,
            "aadProfile": {
                "managed": True,
                "enableAzureRBAC": True,
                "adminGroupObjectIDs": list(self.admin_group_object_ids),
            },
            "disableLocalAccounts": self.local_accounts_disabled,
            "apiServerAccessProfile": api_profile,
            "oidcIssuerProfile": {"enabled": True},
            "securityProfile": self._security_profile(),
            # Azure Policy for AKS: the built-in Kubernetes policies and their compliance reports
            # (https://learn.microsoft.com/azure/aks/use-azure-policy).
            "addonProfiles": {"azurepolicy": {"enabled": True}},
            # The platform's storage classes use AKS's built-in Azure Disk and Azure Files CSI drivers (k8tre/infrastructure/
            # azure/storage.py): on by default, stated so that no later change switches them off unnoticed
            # (REST ManagedClusterStorageProfile: diskCSIDriver, fileCSIDriver, snapshotController).
            "storageProfile": {
                "diskCSIDriver": {"enabled": True},
                "fileCSIDriver": {"enabled": True},
                "snapshotController": {"enabled": True},
            },
            "autoUpgradeProfile": {"upgradeChannel": self.upgrade_channel, "nodeOSUpgradeChannel": "NodeImage"},
            "tags": self.tags,
        }

    def _security_profile(self) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "workloadIdentity": {"enabled": True},
            # Removes unused, vulnerable images from the nodes weekly (https://learn.microsoft.com/azure/aks/image-cleaner).
            "imageCleaner": {"enabled": True, "intervalHours": 168},
        }
        if self.etcd_key is not None:
            # KMS data encryption with a customer-managed key in a private vault, reached through Key Vault's
            # trusted-services exception (https://learn.microsoft.com/azure/aks/kms-data-encryption); a preview
            # property, so a cluster with it is declared through the preview API.
            profile["azureKeyVaultKms"] = {
                "enabled": True,
                "keyId": self.etcd_key.key_id,
                "keyVaultNetworkAccess": "Private",
                "keyVaultResourceId": self.etcd_key.vault_id,
            }
            profile["kubernetesResourceObjectEncryptionProfile"] = {"infrastructureEncryption": "Enabled"}
        if self.log_analytics_workspace_id is not None:
            # Defender for Containers' sensor, reporting to the audit workspace
            # (https://learn.microsoft.com/azure/defender-for-cloud/defender-for-containers-enable).
            profile["defender"] = {
                "logAnalyticsWorkspaceResourceId": self.log_analytics_workspace_id,
                "securityMonitoring": {"enabled": True},
            }
        return profile


class AksManagedCluster(pulumi.CustomResource):
    """An AKS cluster through the preview API (kube-proxy off) or the stable one (kube-proxy kept)."""

    name: pulumi.Output[str]
    """Azure name."""
    fqdn: pulumi.Output[str]
    """Public API FQDN (absent for a private cluster without a public FQDN)."""
    privateFQDN: pulumi.Output[str]  # noqa: N815 - the provider's property name
    """Private API FQDN of a private cluster."""
    oidcIssuerProfile: pulumi.Output[dict[str, Any]]  # noqa: N815 - the provider's property name
    """``{enabled, issuerURL}``: the issuer federated credentials trust."""
    identity: pulumi.Output[dict[str, Any]]
    """The control-plane identity block."""

    def __init__(self, name: str, args: ManagedClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        # KMS data encryption (kubernetesResourceObjectEncryptionProfile) is, like kubeProxyConfig, preview-only.
        token = PREVIEW_TOKEN if args.kube_proxy_disabled or args.etcd_key is not None else STABLE_TOKEN
        props = args.properties() | {"name": None, "fqdn": None, "privateFQDN": None, "provisioningState": None}
        super().__init__(token, name, props, opts)
