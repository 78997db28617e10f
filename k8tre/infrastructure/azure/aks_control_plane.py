"""The AKS managed cluster itself, the subscription features it needs, and the firewall rules that depend on it."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any, cast

import pulumi
from pulumi_azure_native import features, network, resources

from ...config import AzureClusterConfig
from ...naming import AzureNames
from ...stage import Stage
from .control_plane import ControlPlaneIdentity
from .etcd_encryption import EtcdKey
from .firewall_rules import api_server_rule_collections, hub_owner_rule_groups
from .hub import HubFacts, arm_parts
from .managed_cluster import KUBE_PROXY_FEATURE, AgentPool, AksManagedCluster, EtcdKms, ManagedClusterArgs
from .propagation import propagation_wait
from .spoke import SpokeNetwork


def feature_registration(name: str, part: str, namespace: str, feature: str, parent: pulumi.Resource) -> pulumi.Resource:
    """A subscription feature the cluster needs, registered once and never unregistered."""
    return features.SubscriptionFeatureRegistration(
        f"{name}-{part}",
        provider_namespace=namespace,
        feature_name=feature,
        properties={},
        # Other workloads in the subscription may rely on it: never unregister on destroy.
        opts=pulumi.ResourceOptions(parent=parent, retain_on_delete=True),
    )


def _pools(config: AzureClusterConfig, node_subnet_id: pulumi.Input[str]) -> tuple[AgentPool, ...]:
    return tuple(
        AgentPool(
            p.name,
            p.mode,
            p.vm_size,
            p.count,
            p.max_count,
            p.zones,
            p.os_disk_type,
            node_subnet_id,
            critical_addons_only=p.mode == "System" and any(q.mode == "User" for q in config.node_pools),
            os_disk_size_gb=p.os_disk_size_gb,
        )
        for p in config.node_pools
    )


def managed_cluster(
    name: str,
    parent: pulumi.Resource,
    group: resources.ResourceGroup,
    config: AzureClusterConfig,
    stage: Stage,
    spoke: SpokeNetwork,
    private: bool,
    hub: HubFacts,
    control_plane: ControlPlaneIdentity,
    etcd_key: EtcdKey,
) -> AksManagedCluster:
    """The cluster, after its network, its identity's roles, the etcd key and the subscription features."""
    # The default route, firewall rules and the control plane's roles (the etcd key's too) must exist before nodes boot.
    # AKS acts with its identity at once: the identity's new roles must be honoured first (propagation).
    grants = propagation_wait(name, control_plane.grants, config.rbac_propagation_seconds, parent)
    after: list[pulumi.Resource] = [spoke, *grants, *etcd_key.grants]
    # Node pools encrypt their temp and cache disks at the host; the subscription must allow it.
    after.append(feature_registration(name, "encryption-at-host", "Microsoft.Compute", "EncryptionAtHost", parent))
    if config.kube_proxy == "disabled":
        # kubeProxyConfig is refused unless the subscription has this preview feature registered.
        after.append(feature_registration(name, "kube-proxy-feature", "Microsoft.ContainerService", KUBE_PROXY_FEATURE, parent))
    service_net = ipaddress.ip_network(config.network.service_cidr)
    if len(config.network.pod_cidrs) != 1:
        # AKS takes one IPv4 podCidr and Cilium must allocate from exactly that range.
        raise ValueError(f"AKS needs exactly one pod range, got k8tre:cluster.network.podCidrs {config.network.pod_cidrs}")
    args = ManagedClusterArgs(
        resource_group_name=group.name,
        cluster_name=AzureNames(stage.slug).aks_cluster,
        location=config.location,
        kubernetes_version=config.kubernetes_version,
        pools=_pools(config, spoke.node_subnet.id),
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
        f"{name}-cluster", args, opts=stage.stateful(pulumi.ResourceOptions(parent=parent, depends_on=after))
    )


def api_server_rules(
    name: str, parent: pulumi.Resource, cluster: AksManagedCluster, config: AzureClusterConfig, stage: Stage, hub: HubFacts
) -> list[network.FirewallPolicyRuleCollectionGroup]:
    """Let pods outside kube-system reach the public API through a firewall this stack writes rules for."""
    if hub.firewall_policy is None:
        return []  # a hub owned elsewhere: its owner adds the rule (docs/azure.md)
    policy = hub.firewall_policy
    group = network.FirewallPolicyRuleCollectionGroup(
        f"{name}-api-server-rules",
        resource_group_name=policy.id.apply(lambda i: arm_parts(i)[0]),
        firewall_policy_name=policy.name,
        rule_collection_group_name=AzureNames(stage.slug).api_rule_collection_group,
        priority=210,
        # Wire-named dicts on purpose (see firewall_rules), so they are not the SDK's TypedDicts.
        rule_collections=cast(Any, cluster.fqdn.apply(lambda fqdn: api_server_rule_collections(fqdn, [config.vnet_cidr]))),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return [group]


def hub_owner_rules(
    cluster: AksManagedCluster, config: AzureClusterConfig, stage: Stage, private: bool, registries: Sequence[str]
) -> pulumi.Output[list[dict[str, Any]]]:
    """The exact rule collection groups the owner of a hub this stack does not own must apply (an output)."""
    names = AzureNames(stage.slug)
    groups = (names.rule_collection_group, names.api_rule_collection_group)
    fqdn: pulumi.Output[str | None] = pulumi.Output.from_input(None) if private else cluster.fqdn
    return fqdn.apply(
        lambda api: hub_owner_rule_groups(groups, config.location, [config.vnet_cidr], config.egress_allowlist, api, registries)
    )
