"""Preflight rules for Azure name resolution: FQDN network rules work only through the firewall's DNS proxy."""

from __future__ import annotations

from ..offline.graph import Graph
from ..policies.registry import Evaluation
from . import azure_graph as ag
from .registry import PreflightContext, preflight_rule

FIREWALL_POLICY = ("azure-native:network:FirewallPolicy",)
VIRTUAL_NETWORK = ("azure-native:network:VirtualNetwork",)
ROUTE_TABLE = ("azure-native:network:RouteTable",)


SUBNET = ("azure-native:network:Subnet",)


def _routed_through_firewall(graph: Graph) -> tuple[set[str], set[str]]:
    """(firewall addresses, names of virtual networks with a subnet whose default route goes to one of them)."""
    hops: set[str] = set()
    tables: set[str] = set()
    for table in graph.of_type(*ROUTE_TABLE):
        for route in table.inputs.get("routes") or []:
            if route.get("addressPrefix") == "0.0.0.0/0" and route.get("nextHopType") == "VirtualAppliance":
                hops.add(str(route.get("nextHopIpAddress")))
                tables.add(table.id)
    networks = {
        str(subnet.inputs.get("virtualNetworkName"))
        for subnet in graph.of_type(*SUBNET)
        if (subnet.inputs.get("routeTable") or {}).get("id") in tables
    }
    return hops, networks


@preflight_rule(
    "azure-firewall-dns-proxy-for-fqdn-network-rules",
    cloud="azure",
    constraint="FQDNs in firewall network rules resolve through the firewall's DNS proxy: the policy enables the proxy "
    "and requires it for network rules, and every virtual network routed through the firewall uses it as DNS server.",
    source="https://learn.microsoft.com/azure/firewall/fqdn-filtering-network-rules",
)
def dns_proxy_for_fqdn_network_rules(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """The firewall's policy resolves for its rules, and the spokes ask the firewall, so both see the same addresses."""
    evaluation = Evaluation()
    if any(rule.get("destinationFqdns") for _, rule in ag.network_rules(graph)):
        for policy in graph.of_type(*FIREWALL_POLICY):
            dns = policy.inputs.get("dnsSettings") or {}
            ok = dns.get("enableProxy") is True and dns.get("requireProxyForNetworkRules") is True
            evaluation.check(policy.urn, ok, "network rules name FQDNs but the policy's DNS proxy is off or not required")
    hops, routed = _routed_through_firewall(graph)
    for vnet in graph.of_type(*VIRTUAL_NETWORK):
        if str(vnet.inputs.get("virtualNetworkName")) in routed:
            servers = set((vnet.inputs.get("dhcpOptions") or {}).get("dnsServers") or [])
            evaluation.check(
                vnet.urn,
                bool(servers) and servers <= hops,
                f"resolves through {sorted(servers) or 'Azure DNS'}, not the firewall's DNS proxy ({', '.join(sorted(hops))})",
            )
    return evaluation
