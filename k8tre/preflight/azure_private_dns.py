"""Preflight rules for the environment's Azure private DNS zone: its name, and where it must be linked to answer."""

from __future__ import annotations

from ..offline.graph import Graph
from ..policies.registry import Evaluation
from .registry import PreflightContext, preflight_rule

PRIVATE_ZONE = ("azure-native:privatedns:PrivateZone",)
VNET_LINK = ("azure-native:privatedns:VirtualNetworkLink",)
VIRTUAL_NETWORK = ("azure-native:network:VirtualNetwork",)
SOURCE = "https://learn.microsoft.com/azure/dns/private-dns-privatednszone"
RESERVED = frozenset(
    {
        "azclient.ms",
        "azure.com",
        "cloudapp.net",
        "core.windows.net",
        "microsoft.com",
        "msidentity.com",
        "trafficmanager.net",
        "windows.net",
    }
)
"""Zone names Azure blocks in its public cloud ("Restrictions", reserved zone names)."""


@preflight_rule(
    "azure-private-dns-zone-name",
    cloud="azure",
    constraint="A private DNS zone has 2 to 34 labels and is not one of the reserved zone names.",
    source=SOURCE,
)
def private_zone_name(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Every private zone's name has between two and 34 labels and is not reserved."""
    evaluation = Evaluation()
    for zone in graph.of_type(*PRIVATE_ZONE):
        name = str(zone.inputs.get("privateZoneName", "")).rstrip(".").lower()
        labels = name.split(".")
        evaluation.check(zone.urn, 2 <= len(labels) <= 34, f"{name!r} has {len(labels)} labels; Azure needs 2 to 34")
        evaluation.check(zone.urn, name not in RESERVED, f"{name!r} is a reserved zone name Azure refuses")
    return evaluation


@preflight_rule(
    "azure-private-dns-zone-linked-where-resolved",
    cloud="azure",
    constraint="A VNet with custom DNS servers does not query the private zones linked to it: a zone must be linked to "
    "the network its DNS servers resolve from (the hub, for a spoke resolving through the hub firewall's DNS proxy).",
    source=SOURCE,
)
def zone_linked_where_resolved(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each non-Private-Link zone linked to a VNet with custom DNS is also linked to a VNet without (the resolver's)."""
    evaluation = Evaluation()
    custom_dns = {
        str(vnet.inputs.get("virtualNetworkName"))
        for vnet in graph.of_type(*VIRTUAL_NETWORK)
        if (vnet.inputs.get("dhcpOptions") or {}).get("dnsServers")
    }
    names = {vnet.id: str(vnet.inputs.get("virtualNetworkName")) for vnet in graph.of_type(*VIRTUAL_NETWORK)}
    exported = "privateDnsZone" in graph.outputs
    for zone in graph.of_type(*PRIVATE_ZONE):
        name = str(zone.inputs.get("privateZoneName", ""))
        if name.startswith("privatelink."):
            continue  # the hub's own Private Link zones, linked by the hub
        linked = [
            names.get(str((link.inputs.get("virtualNetwork") or {}).get("id")), "?")
            for link in graph.of_type(*VNET_LINK)
            if link.parent == zone.parent and str(link.inputs.get("privateZoneName")) in (name, zone.id)
        ]
        if not any(vnet in custom_dns for vnet in linked):
            continue
        resolver_linked = any(vnet not in custom_dns for vnet in linked)
        evaluation.check(
            zone.urn,
            resolver_linked or exported,
            f"{name} is linked only to VNets with custom DNS servers ({', '.join(linked)}), which never query it; link it "
            "to the network the DNS servers resolve from, or hand it to the hub's owner (stack output privateDnsZone)",
        )
    return evaluation
