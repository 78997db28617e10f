"""AKS in a spoke of a hub-spoke network, with bring-your-own Cilium and kube-proxy switched off.

The constructor wires four groups, each a method creating one coherent set of resources:
the network (hub and spoke), the control plane (identity, etcd key, cluster, the firewall rules
and logs that depend on it), the environment's services (DNS zones, Key Vault and storage,
workload identities, the backup store, operator access) and the hand-off (kubeconfig, provider,
facts for the agnostics layer: ``aks_facts``).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import containerservice, dns, resources

from ...config import AzureClusterConfig, CreatedHub, ExistingHub
from ...naming import AzureNames
from ...outputs import secret_text
from ...stage import Stage
from ..cluster import CiliumFacts, PlatformFacts, ProvisionedCluster
from .access import grant_access
from .account import AzureAccount, deploying_account
from .aks_control_plane import api_server_rules, hub_owner_rules, managed_cluster
from .aks_facts import aks_platform_facts
from .backup_store import AzureBackupStore
from .control_plane import control_plane_identity
from .data_services import DataServices
from .environment_dns import EnvironmentPrivateZone
from .etcd_encryption import EtcdEncryption
from .hub import HubFacts, HubNetwork, existing_hub, hub_outputs, stack_hub
from .identities import WorkloadIdentities
from .logs import CLUSTER_LOGS, audit_logs
from .maintenance import maintenance_windows
from .managed_cluster import AksManagedCluster
from .propagation import propagation_wait
from .spoke import SpokeNetwork
from .subscriptions import SubscriptionProviders


@dataclass(frozen=True)
class _Network:
    hub: HubFacts
    spoke: SpokeNetwork
    private: bool
    """Whether the API server is private (config, else on in prod)."""


class AksCluster(pulumi.ComponentResource):
    """The environment on Azure: hub (created or referenced), spoke, AKS, Key Vault, storage, identities, logs."""

    result: ProvisionedCluster
    """What the infrastructure layer hands on."""

    def __init__(
        self,
        name: str,
        config: AzureClusterConfig,
        stage: Stage,
        *,
        registries: Sequence[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:AksCluster", name, None, opts)
        self._name = name
        self._registries = tuple(registries)
        self.resource_group = resources.ResourceGroup(
            f"{name}-rg",
            resource_group_name=AzureNames(stage.slug).resource_group,
            location=config.location,
            tags=dict(stage.tags),
            opts=stage.stateful(pulumi.ResourceOptions(parent=self)),
        )
        account = deploying_account(self)
        net = self._network(config, stage)
        exports: dict[str, pulumi.Input[Any]] = {"hub": hub_outputs(net.hub)} if isinstance(config.hub, CreatedHub) else {}
        api_rules = self._control_plane(config, stage, account, net, exports)
        platform, access = self._environment_services(config, stage, account, net, exports)
        self.result = self._hand_off(net, exports, [self.managed_cluster, *access, *api_rules], platform)
        self.register_outputs({"clusterName": self.managed_cluster.name, "resourceGroup": self.resource_group.name})

    def _network(self, config: AzureClusterConfig, stage: Stage) -> _Network:
        """The hub (created, referenced or read from another stack) and the spoke the cluster lives in."""
        hub = self._hub(config, stage)
        child = pulumi.ResourceOptions(parent=self)
        spoke = SpokeNetwork(
            f"{self._name}-spoke", config, hub, self.resource_group, stage, registries=self._registries, opts=child
        )
        private = config.api_server.private if config.api_server.private is not None else stage.is_prod
        return _Network(hub, spoke, private)

    def _control_plane(
        self, config: AzureClusterConfig, stage: Stage, account: AzureAccount, net: _Network, exports: dict[str, Any]
    ) -> list[pulumi.Resource]:
        """The control plane's identity and etcd key, the cluster, its audit logs, maintenance and firewall rules."""
        name, hub = self._name, net.hub
        control_plane = control_plane_identity(
            name,
            self.resource_group,
            config.location,
            net.spoke.vnet.id,
            net.spoke.route_table.id,
            hub.private_dns_zone_ids["aks"] if net.private else None,
            stage,
            account,
            self,
            hub.providers.get("aks") if net.private else None,
        )
        etcd = EtcdEncryption(
            f"{name}-etcd",
            self.resource_group,
            config,
            control_plane.principal_id,
            stage,
            account,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.managed_cluster: AksManagedCluster = managed_cluster(
            name, self, self.resource_group, config, stage, net.spoke, net.private, hub, control_plane, etcd.key
        )
        api_rules: list[pulumi.Resource] = (
            [] if net.private else [*api_server_rules(name, self, self.managed_cluster, config, stage, hub)]
        )
        if hub.firewall_policy is None:  # a hub owned elsewhere: hand its owner the exact rules to apply
            exports["hubFirewallRules"] = hub_owner_rules(self.managed_cluster, config, stage, net.private, self._registries)
        audit_logs(name, self.managed_cluster.id, hub.log_analytics_workspace_id, self, CLUSTER_LOGS)
        maintenance_windows(name, self.resource_group.name, self.managed_cluster.name, config.maintenance_window, self)
        return api_rules

    def _environment_services(
        self, config: AzureClusterConfig, stage: Stage, account: AzureAccount, net: _Network, exports: dict[str, Any]
    ) -> tuple[PlatformFacts, list[pulumi.Resource]]:
        """DNS zones, Key Vault and storage, workload identities, the backup store, operators' access; their facts."""
        name, hub, spoke, child = self._name, net.hub, net.spoke, pulumi.ResourceOptions(parent=self)
        self.dns_zone = dns.Zone(
            f"{name}-dns",
            resource_group_name=self.resource_group.name,
            zone_name=stage.domain,
            location="global",
            tags=dict(stage.tags),
            opts=stage.stateful(child),
        )
        owned_hub = isinstance(config.hub, CreatedHub)
        private_zone = EnvironmentPrivateZone(
            f"{name}-private-dns", self.resource_group, spoke.vnet.id, hub.vnet_id if owned_hub else None, stage, opts=child
        ).zone
        if not owned_hub:  # the hub's owner links the zone to the hub VNet its DNS proxy resolves from
            exports["privateDnsZone"] = private_zone.id
        data = DataServices(
            f"{name}-data", config, hub, self.resource_group, spoke.endpoints_subnet.id, stage, account, opts=child
        )
        issuer = self.managed_cluster.oidcIssuerProfile.apply(lambda profile: str((profile or {}).get("issuerURL", "")))
        zones = {"vault": data.vault.id, "dns": self.dns_zone.id, "private-dns": private_zone.id}
        identities = WorkloadIdentities(
            f"{name}-identities", self.resource_group, config.location, issuer, zones, stage, account, opts=child
        )
        backups = AzureBackupStore(
            f"{name}-backups",
            self.resource_group,
            config.location,
            issuer,
            spoke.endpoints_subnet.id,
            hub.private_dns_zone_ids["blob"],
            hub.log_analytics_workspace_id,
            stage,
            account,
            opts=child,
        )
        access = grant_access(
            name,
            account,
            cluster_id=self.managed_cluster.id,
            vault_id=data.vault.id,
            admin_groups=config.api_server.admin_group_object_ids,
            deployer_type=config.deployer_principal_type,
            parent=self,
        )
        # Cilium, the first Kubernetes call, uses the deployer's new cluster-admin role: wait until it is honoured.
        honoured = propagation_wait(f"{name}-access", access, config.rbac_propagation_seconds, self)
        audit_logs(f"{name}-kv", data.vault.id, hub.log_analytics_workspace_id, self)
        facts = aks_platform_facts(
            config, stage, account, self.resource_group.name, identities.client_ids, backups.store, data.vault
        )
        return facts, honoured

    def _hand_off(
        self, net: _Network, exports: dict[str, Any], ready: list[pulumi.Resource], platform: PlatformFacts
    ) -> ProvisionedCluster:
        """The kubeconfig, the Kubernetes provider and everything the next layers need."""
        kubeconfig = self._kubeconfig()
        provider = k8s.Provider(
            f"{self._name}-k8s", kubeconfig=kubeconfig, enable_server_side_apply=True, opts=pulumi.ResourceOptions(parent=self)
        )
        host = self.managed_cluster.privateFQDN if net.private else self.managed_cluster.fqdn
        return ProvisionedCluster(
            exports=exports,
            name=self.managed_cluster.name,
            kubeconfig=kubeconfig,
            provider=provider,
            ready=ready,
            # AKS serves the API on 443 at the cluster's FQDN: the private one for a private cluster.
            cilium=CiliumFacts(api_server_host=host, api_server_port=443, cloud_values={"aksbyocni": {"enabled": True}}),
            platform=platform,
        )

    def _hub(self, config: AzureClusterConfig, stage: Stage) -> HubFacts:
        match config.hub:
            case CreatedHub() as created:
                return HubNetwork(
                    f"{self._name}-hub", created, config.location, stage, opts=pulumi.ResourceOptions(parent=self)
                ).facts
            case ExistingHub() as existing:
                return existing_hub(existing, SubscriptionProviders(self._name, self))
            case _:
                return stack_hub(self._name, config.hub, self, SubscriptionProviders(self._name, self))

    def _kubeconfig(self) -> pulumi.Output[str]:
        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=self.resource_group.name,
            resource_name=self.managed_cluster.name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        encoded = credentials.kubeconfigs.apply(lambda configs: configs[0].value)
        return secret_text(encoded.apply(lambda value: base64.b64decode(value).decode()))
