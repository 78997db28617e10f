"""AKS in a spoke of a hub-spoke network, with bring-your-own Cilium and kube-proxy switched off."""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Sequence
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import containerservice, dns, features, network, resources

from ...config import AzureClusterConfig, CreatedHub, ExistingHub
from ...naming import AzureNames
from ...outputs import secret_text
from ...stage import Stage
from ..cluster import CiliumFacts, ControlPlaneMetrics, PlatformFacts, ProvisionedCluster, WorkloadIdentity
from .access import grant_access
from .account import deploying_account
from .backup_store import AzureBackupStore
from .control_plane import ControlPlaneIdentity, control_plane_identity
from .data_services import DataServices
from .environment_dns import EnvironmentPrivateZone, dns_zone
from .etcd_encryption import EtcdEncryption, EtcdKey
from .firewall_rules import api_server_rule_collections, hub_owner_rule_groups
from .hub import HubFacts, HubNetwork, arm_parts, existing_hub, hub_outputs, stack_hub
from .identities import WorkloadIdentities
from .logs import CLUSTER_LOGS, audit_logs
from .maintenance import maintenance_windows
from .managed_cluster import KUBE_PROXY_FEATURE, AgentPool, AksManagedCluster, EtcdKms, ManagedClusterArgs
from .nsg_rules import ALLOWED_IP_RANGES
from .secret_store import key_vault_store
from .spoke import INGRESS_SUBNET, SpokeNetwork
from .storage import azure_storage
from .subscriptions import SubscriptionProviders


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
        child = pulumi.ResourceOptions(parent=self)
        self.resource_group = resources.ResourceGroup(
            f"{name}-rg",
            resource_group_name=AzureNames(stage.slug).resource_group,
            location=config.location,
            tags=dict(stage.tags),
            opts=stage.stateful(child),
        )
        account = deploying_account(self)
        hub = self._hub(config, stage)
        exports: dict[str, pulumi.Input[Any]] = {"hub": hub_outputs(hub)} if isinstance(config.hub, CreatedHub) else {}
        spoke = SpokeNetwork(f"{name}-spoke", config, hub, self.resource_group, stage, registries=registries, opts=child)
        private = config.api_server.private if config.api_server.private is not None else stage.is_prod
        control_plane = control_plane_identity(
            name,
            self.resource_group,
            config.location,
            spoke.vnet.id,
            spoke.route_table.id,
            hub.private_dns_zone_ids["aks"] if private else None,
            stage,
            account,
            self,
            hub.providers.get("aks") if private else None,
        )
        etcd = EtcdEncryption(f"{name}-etcd", self.resource_group, config, control_plane.principal_id, stage, account, opts=child)
        self.managed_cluster = self._cluster(config, stage, spoke, private, hub, control_plane, etcd.key)
        api_rules = [] if private else self._api_server_rules(config, stage, hub)
        if hub.firewall_policy is None:  # a hub owned elsewhere: hand its owner the exact rules to apply
            exports["hubFirewallRules"] = self._hub_owner_rules(config, stage, private)
        audit_logs(name, self.managed_cluster.id, hub.log_analytics_workspace_id, self, CLUSTER_LOGS)
        maintenance_windows(name, self.resource_group.name, self.managed_cluster.name, config.maintenance_window, self)
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
        identities = WorkloadIdentities(
            f"{name}-identities",
            self.resource_group,
            config.location,
            issuer,
            {"vault": data.vault.id, "dns": self.dns_zone.id, "private-dns": private_zone.id},
            stage,
            account,
            opts=child,
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
        audit_logs(f"{name}-kv", data.vault.id, hub.log_analytics_workspace_id, self)
        kubeconfig = self._kubeconfig()
        provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=kubeconfig, enable_server_side_apply=True, opts=pulumi.ResourceOptions(parent=self)
        )
        host = self.managed_cluster.privateFQDN if private else self.managed_cluster.fqdn
        self.result = ProvisionedCluster(
            exports=exports,
            name=self.managed_cluster.name,
            kubeconfig=kubeconfig,
            provider=provider,
            ready=[self.managed_cluster, *access, *api_rules],
            cilium=CiliumFacts(
                # AKS serves the API on 443 at the cluster's FQDN: the private one for a private cluster.
                api_server_host=host,
                api_server_port=443,
                cloud_values={"aksbyocni": {"enabled": True}},
            ),
            platform=PlatformFacts(
                storage=azure_storage(),
                # AKS runs the controller manager, scheduler and etcd in Azure's own subscription: their metrics
                # reach only Azure Monitor's managed Prometheus (AKS docs, "Monitor the control plane":
                # https://learn.microsoft.com/azure/aks/control-plane-metrics-monitor).
                control_plane_metrics=ControlPlaneMetrics(why="AKS hides its control plane; only Azure Monitor sees it"),
                internal_lb_annotations={
                    "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
                    "service.beta.kubernetes.io/azure-load-balancer-internal-subnet": INGRESS_SUBNET,
                    # The cloud provider admits only these sources to the Gateway's load balancer (nsg_rules).
                    ALLOWED_IP_RANGES: ",".join(config.client_ranges),
                },
                workload_identities={
                    service: WorkloadIdentity(
                        service_account_annotations={"azure.workload.identity/client-id": client_id},
                        pod_labels={"azure.workload.identity/use": "true"},
                    )
                    for service, client_id in identities.client_ids.items()
                },
                cloud_api_fqdns=("management.azure.com", "login.microsoftonline.com"),
                # Zones and the identities with a role on each; the agnostics layer builds the solvers from them.
                public_dns=dns_zone(
                    stage.domain, account, self.resource_group.name, identities.client_ids["cert-manager"], False
                ),
                private_dns=dns_zone(
                    stage.domain, account, self.resource_group.name, identities.client_ids["external-dns"], True
                ),
                object_store=backups.store,
                # External Secrets reads generated passwords from the environment's vault (private endpoint).
                secret_store=key_vault_store(data.vault, self.resource_group.name, account.tenant_id, stage),
            ),
        )
        self.register_outputs({"clusterName": self.managed_cluster.name, "resourceGroup": self.resource_group.name})

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

    def _cluster(
        self,
        config: AzureClusterConfig,
        stage: Stage,
        spoke: SpokeNetwork,
        private: bool,
        hub: HubFacts,
        control_plane: ControlPlaneIdentity,
        etcd_key: EtcdKey,
    ) -> AksManagedCluster:
        # The default route, firewall rules and the control plane's roles (the etcd key's too) must exist before nodes boot.
        after: list[pulumi.Resource] = [spoke, *control_plane.grants, *etcd_key.grants]
        # Node pools encrypt their temp and cache disks at the host; the subscription must allow it.
        after.append(self._feature("encryption-at-host", "Microsoft.Compute", "EncryptionAtHost"))
        if config.kube_proxy == "disabled":
            # kubeProxyConfig is refused unless the subscription has this preview feature registered.
            after.append(self._feature("kube-proxy-feature", "Microsoft.ContainerService", KUBE_PROXY_FEATURE))
        service_net = ipaddress.ip_network(config.network.service_cidr)
        if len(config.network.pod_cidrs) != 1:
            # AKS takes one IPv4 podCidr and Cilium must allocate from exactly that range.
            raise ValueError(f"AKS needs exactly one pod range, got k8tre:cluster.network.podCidrs {config.network.pod_cidrs}")
        args = ManagedClusterArgs(
            resource_group_name=self.resource_group.name,
            cluster_name=AzureNames(stage.slug).aks_cluster,
            location=config.location,
            kubernetes_version=config.kubernetes_version,
            pools=tuple(
                AgentPool(
                    p.name,
                    p.mode,
                    p.vm_size,
                    p.count,
                    p.max_count,
                    p.zones,
                    p.os_disk_type,
                    spoke.node_subnet.id,
                    critical_addons_only=p.mode == "System" and any(q.mode == "User" for q in config.node_pools),
                    os_disk_size_gb=p.os_disk_size_gb,
                )
                for p in config.node_pools
            ),
            pod_cidr=config.network.pod_cidrs[0],
            service_cidr=config.network.service_cidr,
            dns_service_ip=str(service_net.network_address + 10),
            kube_proxy_disabled=config.kube_proxy == "disabled",
            private_api=private,
            private_dns_zone_id=hub.private_dns_zone_ids["aks"] if private else None,
            identity=control_plane.identity,
            authorized_ip_ranges=config.api_server.authorized_ip_ranges,
            admin_group_object_ids=config.api_server.admin_group_object_ids,
            # Shared static admin credentials are an unaudited back door outside dev (SATRE 3.2.01).
            local_accounts_disabled=stage.environment != "dev",
            upgrade_channel=config.upgrade_channel,
            sku_tier="Free" if stage.environment == "dev" else "Standard",
            tags=dict(stage.tags),
            log_analytics_workspace_id=hub.log_analytics_workspace_id,
            etcd_key=EtcdKms(etcd_key.key_id, etcd_key.vault_id),
        )
        return AksManagedCluster(
            f"{self._name}-cluster", args, opts=stage.stateful(pulumi.ResourceOptions(parent=self, depends_on=after))
        )

    def _api_server_rules(
        self, config: AzureClusterConfig, stage: Stage, hub: HubFacts
    ) -> list[network.FirewallPolicyRuleCollectionGroup]:
        """Let pods outside kube-system reach the public API through a firewall this stack writes rules for."""
        if hub.firewall_policy is None:
            return []  # a hub owned elsewhere: its owner adds the rule (docs/azure.md)
        policy = hub.firewall_policy
        group = network.FirewallPolicyRuleCollectionGroup(
            f"{self._name}-api-server-rules",
            resource_group_name=policy.id.apply(lambda i: arm_parts(i)[0]),
            firewall_policy_name=policy.name,
            rule_collection_group_name=AzureNames(stage.slug).api_rule_collection_group,
            priority=210,
            # Wire-named dicts on purpose (see firewall_rules), so they are not the SDK's TypedDicts.
            rule_collections=cast(
                Any, self.managed_cluster.fqdn.apply(lambda fqdn: api_server_rule_collections(fqdn, [config.vnet_cidr]))
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return [group]

    def _hub_owner_rules(self, config: AzureClusterConfig, stage: Stage, private: bool) -> pulumi.Output[list[dict[str, Any]]]:
        names = AzureNames(stage.slug)
        groups = (names.rule_collection_group, names.api_rule_collection_group)
        fqdn: pulumi.Output[str | None] = pulumi.Output.from_input(None) if private else self.managed_cluster.fqdn
        return fqdn.apply(
            lambda api: hub_owner_rule_groups(
                groups, config.location, [config.vnet_cidr], config.egress_allowlist, api, self._registries
            )
        )

    def _feature(self, part: str, namespace: str, feature: str) -> features.SubscriptionFeatureRegistration:
        return features.SubscriptionFeatureRegistration(
            f"{self._name}-{part}",
            provider_namespace=namespace,
            feature_name=feature,
            properties={},
            # Other workloads in the subscription may rely on it: never unregister on destroy.
            opts=pulumi.ResourceOptions(parent=self, retain_on_delete=True),
        )

    def _kubeconfig(self) -> pulumi.Output[str]:
        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=self.resource_group.name,
            resource_name=self.managed_cluster.name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        encoded = credentials.kubeconfigs.apply(lambda configs: configs[0].value)
        return secret_text(encoded.apply(lambda value: base64.b64decode(value).decode()))
