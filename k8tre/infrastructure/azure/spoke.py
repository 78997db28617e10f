"""The environment's spoke: VNet and subnets, NSGs, a default route through the hub firewall, peering both ways."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import pulumi
from pulumi_azure_native import network, privatedns, resources

from ...config import AzureClusterConfig
from ...naming import AzureNames
from ...stage import Stage
from .firewall_rules import rule_collections
from .hub import HubFacts, arm_parts
from .nsg_rules import ingress_rules, node_rules

INGRESS_SUBNET = "snet-ingress"
"""Subnet of the internal load balancer that fronts the Gateway."""


class SpokeNetwork(pulumi.ComponentResource):
    """Everything the cluster's network needs inside the environment, wired to the hub."""

    def __init__(
        self,
        name: str,
        config: AzureClusterConfig,
        hub: HubFacts,
        group: resources.ResourceGroup,
        stage: Stage,
        *,
        registries: Sequence[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """``registries``: where nodes pull images from (the admission policy's list); the firewall allows their hosts."""
        super().__init__("k8tre:infrastructure:SpokeNetwork", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(stage.tags)
        self._location = config.location
        self.vnet = network.VirtualNetwork(
            f"{name}-vnet",
            resource_group_name=group.name,
            virtual_network_name=AzureNames(stage.slug).vnet,
            location=config.location,
            address_space={"address_prefixes": [config.vnet_cidr]},
            # Every lookup in the spoke (nodes, and pods through CoreDNS's upstream) goes to the firewall's DNS
            # proxy: names the firewall resolves are the names its FQDN rules see, and DNS is not a way around them.
            dhcp_options={"dns_servers": [hub.firewall_private_ip]},
            tags=tags,
            # Subnets and peerings are resources of their own; declaring them inline too would fight over them.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["subnets", "virtualNetworkPeerings"]),
        )
        self.route_table = network.RouteTable(
            f"{name}-routes",
            resource_group_name=group.name,
            route_table_name=AzureNames(stage.slug).route_table,
            location=config.location,
            disable_bgp_route_propagation=True,
            tags=tags,
            routes=[
                {
                    "name": "default-via-firewall",
                    "address_prefix": "0.0.0.0/0",
                    "next_hop_type": "VirtualAppliance",
                    "next_hop_ip_address": hub.firewall_private_ip,
                }
            ],
            opts=child,
        )
        # Every subnet gets an NSG of its own: landing-zone policy denies a subnet without one ("Subnets should be
        # associated with a Network Security Group"); with private endpoint network policies on, the endpoints
        # subnet's rules apply to the endpoints too.
        # Explicit rules on the nodes' and the Gateway's subnets, ending in a deny: Azure's default AllowVnetInBound
        # would admit the hub and every peered spoke (nsg_rules).
        private_api = config.api_server.private if config.api_server.private is not None else stage.is_prod
        self.node_subnet = self._subnet(
            name,
            group,
            "snet-nodes",
            config.node_subnet_cidr,
            "nodes",
            stage,
            route_table=self.route_table,
            security_rules=node_rules(
                config.node_subnet_cidr,
                config.network.pod_cidrs[0],
                config.ingress_subnet_cidr,
                config.client_ranges,
                private_api=private_api,
            ),
        )
        self.ingress_subnet = self._subnet(
            name,
            group,
            INGRESS_SUBNET,
            config.ingress_subnet_cidr,
            "ingress",
            stage,
            security_rules=ingress_rules(config.client_ranges),
        )
        self.endpoints_subnet = self._subnet(name, group, "snet-endpoints", config.endpoints_subnet_cidr, "endpoints", stage)
        self._peer(name, group, hub)
        for key, zone_id in hub.private_dns_zone_ids.items():
            privatedns.VirtualNetworkLink(
                f"{name}-dns-{key.lower()}",
                resource_group_name=zone_id.apply(lambda i: arm_parts(i)[0]),
                private_zone_name=zone_id.apply(lambda i: arm_parts(i)[1]),
                virtual_network_link_name=AzureNames(stage.slug).spoke_dns_link,
                location="global",
                virtual_network={"id": self.vnet.id},
                registration_enabled=False,
                # The link lives in the zone's resource group, in the zone's subscription (a landing zone's
                # Connectivity subscription): created through that subscription's provider.
                opts=hub.options(key, self),
            )
        if hub.firewall_policy is not None:
            network.FirewallPolicyRuleCollectionGroup(
                f"{name}-egress-rules",
                resource_group_name=hub.firewall_policy.id.apply(lambda i: arm_parts(i)[0]),
                firewall_policy_name=hub.firewall_policy.name,
                rule_collection_group_name=AzureNames(stage.slug).rule_collection_group,
                priority=200,
                # Wire-named dicts on purpose (see firewall_rules), so they are not the SDK's TypedDicts.
                rule_collections=cast(
                    Any, rule_collections(config.location, [config.vnet_cidr], config.egress_allowlist, registries)
                ),
                opts=child,
            )
        self.register_outputs({"vnetId": self.vnet.id})

    def _subnet(
        self,
        name: str,
        group: resources.ResourceGroup,
        subnet: str,
        cidr: str,
        part: str,
        stage: Stage,
        *,
        route_table: network.RouteTable | None = None,
        security_rules: Sequence[network.SecurityRuleArgsDict] | None = None,
    ) -> network.Subnet:
        nsg = network.NetworkSecurityGroup(
            f"{name}-nsg-{part}",
            resource_group_name=group.name,
            network_security_group_name=AzureNames(stage.slug).security_group(part),
            location=self._location,
            security_rules=security_rules,
            tags=dict(stage.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return network.Subnet(
            f"{name}-{part}",
            resource_group_name=group.name,
            virtual_network_name=self.vnet.name,
            subnet_name=subnet,
            address_prefix=cidr,
            route_table={"id": route_table.id} if route_table is not None else None,
            network_security_group={"id": nsg.id},
            # No implicit outbound internet: egress is the firewall route or nothing.
            default_outbound_access=False,
            private_endpoint_network_policies="Enabled",
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _peer(self, name: str, group: resources.ResourceGroup, hub: HubFacts) -> None:
        child = pulumi.ResourceOptions(parent=self)
        network.VirtualNetworkPeering(
            f"{name}-to-hub",
            resource_group_name=group.name,
            virtual_network_name=self.vnet.name,
            virtual_network_peering_name="to-hub",
            remote_virtual_network={"id": hub.vnet_id},
            allow_virtual_network_access=True,
            allow_forwarded_traffic=True,
            use_remote_gateways=False,
            opts=child,
        )
        network.VirtualNetworkPeering(
            f"{name}-from-hub",
            resource_group_name=hub.vnet_id.apply(lambda i: arm_parts(i)[0]),
            virtual_network_name=hub.vnet_id.apply(lambda i: arm_parts(i)[1]),
            virtual_network_peering_name=self.vnet.name.apply(lambda n: f"to-{n}"),
            remote_virtual_network={"id": self.vnet.id},
            allow_virtual_network_access=True,
            allow_forwarded_traffic=True,
            # The hub side is a child of the hub VNet, in the hub's subscription: through that subscription's provider.
            opts=hub.options("vnet", self),
        )
