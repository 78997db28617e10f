"""The hub of the hub-spoke network: created here, referenced by ID, or read from another stack."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
from pulumi_azure_native import network, operationalinsights, privatedns, resources

from ...config import CreatedHub, ExistingHub, StackHub
from ...naming import AzureNames
from ...stage import Stage
from .logs import audit_logs
from .subscriptions import SubscriptionProviders, subscription_of


def private_dns_zones(location: str) -> Mapping[str, str]:
    """Private DNS zones the TRE's private endpoints and private API register in, by config/output key."""
    return {"aks": f"privatelink.{location}.azmk8s.io", **PRIVATE_DNS_ZONES}


PRIVATE_DNS_ZONES: Mapping[str, str] = {
    "keyVault": "privatelink.vaultcore.azure.net",
    "blob": "privatelink.blob.core.windows.net",
    "file": "privatelink.file.core.windows.net",
    "dfs": "privatelink.dfs.core.windows.net",
}
"""Location-independent zones; :func:`private_dns_zones` adds the AKS API zone of the region."""


@dataclass(frozen=True)
class HubFacts:
    """What a spoke needs from its hub, however the hub came to be."""

    vnet_id: pulumi.Output[str]
    """Hub VNet resource ID (for peering)."""
    firewall_private_ip: pulumi.Output[str]
    """Next hop of the spoke's default route."""
    private_dns_zone_ids: Mapping[str, pulumi.Output[str]]
    """Zone IDs by key of :data:`PRIVATE_DNS_ZONES`."""
    log_analytics_workspace_id: pulumi.Output[str]
    """Workspace that keeps audit logs."""
    firewall_policy: network.FirewallPolicy | None = None
    """The firewall policy, when this stack owns it (the spoke adds its rule collection group)."""
    providers: Mapping[str, pulumi.ProviderResource] = field(default_factory=dict)
    """Providers for the subscriptions hub-side resources live in, by key (``vnet`` or a zone key); none: a hub made here."""

    def options(self, key: str, parent: pulumi.Resource) -> pulumi.ResourceOptions:
        """Options for a resource created in the hub's VNet or zone ``key``: through the provider of its subscription."""
        return pulumi.ResourceOptions(parent=parent, provider=self.providers.get(key))


def arm_parts(resource_id: str) -> tuple[str, str]:
    """(resource group, name) of an ARM resource ID."""
    parts = resource_id.split("/")
    return parts[4], parts[-1]


class HubNetwork(pulumi.ComponentResource):
    """A hub created by this stack: VNet, Azure Firewall with a deny-by-default policy, private DNS zones, logs."""

    facts: HubFacts
    """What spokes use."""

    def __init__(
        self, name: str, config: CreatedHub, location: str, stage: Stage, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("k8tre:infrastructure:HubNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(stage.tags)
        names = AzureNames(stage.slug)
        group = resources.ResourceGroup(
            f"{name}-rg",
            resource_group_name=names.hub_resource_group,
            location=location,
            tags=tags,
            opts=stage.stateful(child),
        )
        self.vnet = network.VirtualNetwork(
            f"{name}-vnet",
            resource_group_name=group.name,
            virtual_network_name=names.hub_vnet,
            location=location,
            address_space={"address_prefixes": [config.vnet_cidr]},
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["subnets", "virtualNetworkPeerings"]),
        )
        # Azure requires exactly this subnet name for the firewall.
        firewall_subnet = network.Subnet(
            f"{name}-firewall-subnet",
            resource_group_name=group.name,
            virtual_network_name=self.vnet.name,
            subnet_name="AzureFirewallSubnet",
            address_prefix=config.firewall_subnet_cidr,
            opts=child,
        )
        # Each public IP gives 2,496 SNAT ports per firewall instance; Microsoft recommends at least 20 for AKS in
        # production (https://learn.microsoft.com/azure/aks/limit-egress-traffic; preflight rule
        # azure-firewall-snat-public-ips). The first keeps its original name, so adding more replaces nothing.
        public_ips = [
            network.PublicIPAddress(
                f"{name}-firewall-ip" + (f"-{index}" if index else ""),
                resource_group_name=group.name,
                public_ip_address_name=names.firewall_public_ip + (f"-{index}" if index else ""),
                location=location,
                sku={"name": "Standard", "tier": "Regional"},
                public_ip_allocation_method="Static",
                zones=["1", "2", "3"],
                tags=tags,
                opts=child,
            )
            for index in range(config.firewall_public_ips)
        ]
        self.policy = network.FirewallPolicy(
            f"{name}-firewall-policy",
            resource_group_name=group.name,
            firewall_policy_name=names.firewall_policy,
            location=location,
            sku={"tier": config.firewall_sku},
            threat_intel_mode="Deny",
            # The DNS proxy lets network rules name hosts (ntp.ubuntu.com) and keeps lookups on one resolver; FQDNs in
            # network rules are honoured only with requireProxyForNetworkRules (REST DnsSettings; Azure Firewall docs,
            # "Use FQDN filtering in network rules").
            dns_settings={"enable_proxy": True, "require_proxy_for_network_rules": True},
            tags=tags,
            opts=child,
        )
        # Only the first IP configuration names the subnet; Azure refuses a subnet on the others.
        ip_configurations: list[network.AzureFirewallIPConfigurationArgsDict] = [
            {"name": "ipconfig", "subnet": {"id": firewall_subnet.id}, "public_ip_address": {"id": public_ips[0].id}}
        ]
        for index, extra in enumerate(public_ips[1:], 1):
            ip_configurations.append({"name": f"ipconfig-{index}", "public_ip_address": {"id": extra.id}})
        firewall = network.AzureFirewall(
            f"{name}-firewall",
            resource_group_name=group.name,
            azure_firewall_name=names.firewall,
            location=location,
            sku={"name": "AZFW_VNet", "tier": config.firewall_sku},
            zones=["1", "2", "3"],
            firewall_policy={"id": self.policy.id},
            ip_configurations=ip_configurations,
            tags=tags,
            opts=child,
        )
        zones = {
            key: privatedns.PrivateZone(
                f"{name}-zone-{key.lower()}",
                resource_group_name=group.name,
                private_zone_name=zone,
                location="global",
                tags=tags,
                opts=stage.stateful(child),
            )
            for key, zone in private_dns_zones(location).items()
        }
        for key, zone in zones.items():
            privatedns.VirtualNetworkLink(
                f"{name}-zone-{key.lower()}-link",
                resource_group_name=group.name,
                private_zone_name=zone.name,
                virtual_network_link_name=names.hub_dns_link,
                location="global",
                virtual_network={"id": self.vnet.id},
                registration_enabled=False,
                opts=child,
            )
        workspace = operationalinsights.Workspace(
            f"{name}-logs",
            resource_group_name=group.name,
            workspace_name=names.log_analytics,
            location=location,
            sku={"name": "PerGB2018"},
            retention_in_days=stage.audit_retention_days,
            tags=tags,
            opts=stage.stateful(child),
        )
        audit_logs(f"{name}-firewall", firewall.id, workspace.id, self)
        private_ip = firewall.ip_configurations.apply(lambda configs: (configs or [])[0].private_ip_address if configs else "")
        self.facts = HubFacts(
            vnet_id=self.vnet.id,
            firewall_private_ip=private_ip.apply(lambda ip: ip or ""),
            private_dns_zone_ids={key: zone.id for key, zone in zones.items()},
            log_analytics_workspace_id=workspace.id,
            firewall_policy=self.policy,
        )
        self.register_outputs({"hub": hub_outputs(self.facts)})


def hub_outputs(facts: HubFacts) -> pulumi.Output[dict[str, object]]:
    """The ``hub`` stack output that spokes in other stacks read (``hub.mode: stack``)."""
    return pulumi.Output.all(
        vnetId=facts.vnet_id,
        firewallPrivateIp=facts.firewall_private_ip,
        logAnalyticsWorkspaceId=facts.log_analytics_workspace_id,
        privateDnsZoneIds=pulumi.Output.all(**facts.private_dns_zone_ids),
    )


def existing_hub(config: ExistingHub, providers: SubscriptionProviders) -> HubFacts:
    """Facts about a hub whose owner gave its IDs; each ID's subscription gets its provider."""
    zones = config.private_dns_zone_ids
    zone_ids = {"keyVault": zones.key_vault, "blob": zones.blob, "file": zones.file, "dfs": zones.dfs, "aks": zones.aks}
    return HubFacts(
        vnet_id=pulumi.Output.from_input(config.vnet_id),
        firewall_private_ip=pulumi.Output.from_input(config.firewall_private_ip),
        private_dns_zone_ids={key: pulumi.Output.from_input(ident) for key, ident in zone_ids.items()},
        log_analytics_workspace_id=pulumi.Output.from_input(config.log_analytics_workspace_id),
        providers={"vnet": providers.for_id(config.vnet_id)} | {key: providers.for_id(i) for key, i in zone_ids.items()},
    )


def stack_hub(name: str, config: StackHub, parent: pulumi.Resource, providers: SubscriptionProviders) -> HubFacts:
    """Facts read from the ``hub`` output of the stack that created the hub.

    That stack built its hub with ``mode: create``, VNet and zones in one resource group of
    its own subscription, so one provider (for the VNet's subscription) serves all of them.
    """
    reference = pulumi.StackReference(f"{name}-hub-ref", stack_name=config.stack, opts=pulumi.ResourceOptions(parent=parent))
    hub = reference.require_output("hub")

    def fact(key: str) -> pulumi.Output[str]:
        return hub.apply(lambda value: str(value[key]))

    def zone(key: str) -> pulumi.Output[str]:
        return hub.apply(lambda value: str(value["privateDnsZoneIds"][key]))

    keys = ("aks", *PRIVATE_DNS_ZONES)
    provider = providers.for_subscription("hub", fact("vnetId").apply(subscription_of))
    return HubFacts(
        vnet_id=fact("vnetId"),
        firewall_private_ip=fact("firewallPrivateIp"),
        private_dns_zone_ids={key: zone(key) for key in keys},
        log_analytics_workspace_id=fact("logAnalyticsWorkspaceId"),
        providers={key: provider for key in ("vnet", *keys)},
    )
