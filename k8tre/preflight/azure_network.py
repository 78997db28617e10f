"""Preflight rules for the spoke's network security groups, judged the way Azure evaluates them.

Azure processes an NSG's inbound rules lowest priority first and stops at the first match; after
the group's own rules come ``AllowVNetInBound`` (65000: the VNet and every peered network),
``AllowAzureLoadBalancerInBound`` (65001) and ``DenyAllInBound`` (65500)
(https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#default-security-rules).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from ..offline.graph import Graph, RecordedResource
from ..policies.registry import Evaluation
from . import azure_graph as ag
from .registry import PreflightContext, preflight_rule

SUBNET = "azure-native:network:Subnet"
NSG = "azure-native:network:NetworkSecurityGroup"
AZURE_LOAD_BALANCER = "168.63.129.16"
"""The address Azure's load balancer probes come from (service tag ``AzureLoadBalancer``)."""
DEFAULT_INBOUND: tuple[dict[str, Any], ...] = (
    {"name": "AllowVNetInBound", "priority": 65000, "sourceAddressPrefix": "VirtualNetwork", "access": "Allow"},
    {"name": "AllowAzureLoadBalancerInBound", "priority": 65001, "sourceAddressPrefix": "AzureLoadBalancer", "access": "Allow"},
    {"name": "DenyAllInBound", "priority": 65500, "sourceAddressPrefix": "*", "access": "Deny"},
)


@dataclass(frozen=True)
class Flow:
    """One inbound packet as an NSG sees it."""

    source: str
    """Source address."""
    destination: str
    """Destination address."""
    port: int
    """Destination port."""
    protocol: str = "Tcp"
    """``Tcp``, ``Udp`` or ``Icmp``."""


def _address_matches(prefix: str, address: str, *, source: bool) -> bool:
    ip = ipaddress.ip_address(address)
    match prefix:
        case "*":
            return True
        case "AzureLoadBalancer":
            return source and address == AZURE_LOAD_BALANCER
        case "VirtualNetwork":
            return ip.is_private  # the VNet and its peers: private space in every stack here
        case "Internet":
            return not ip.is_private and address != AZURE_LOAD_BALANCER
        case _:
            try:
                return ip in ipaddress.ip_network(prefix, strict=False)
            except ValueError:
                return False  # another service tag: never assumed to match


def _port_matches(spec: str, port: int) -> bool:
    if spec == "*":
        return True
    low, _, high = spec.partition("-")
    return int(low) <= port <= int(high or low)


def inbound_verdict(rules: list[dict[str, Any]], flow: Flow) -> tuple[str, str]:
    """``(access, rule name)`` of the first inbound rule (the group's own, then Azure's defaults) matching ``flow``."""
    inbound = [r for r in rules if r.get("direction", "Inbound") == "Inbound"] + list(DEFAULT_INBOUND)
    for rule in sorted(inbound, key=lambda r: int(str(r["priority"]))):
        sources = rule.get("sourceAddressPrefixes") or [rule.get("sourceAddressPrefix", "*")]
        destinations = rule.get("destinationAddressPrefixes") or [rule.get("destinationAddressPrefix", "*")]
        ports = rule.get("destinationPortRanges") or [rule.get("destinationPortRange", "*")]
        if (
            rule.get("protocol", "*") in ("*", flow.protocol)
            and any(_address_matches(str(p), flow.source, source=True) for p in sources)
            and any(_address_matches(str(p), flow.destination, source=False) for p in destinations)
            and any(_port_matches(str(p), flow.port) for p in ports)
        ):
            return str(rule["access"]), str(rule["name"])
    raise AssertionError("DenyAllInBound matches everything")


def _host(cidr: str, offset: int) -> str:
    return str(ipaddress.ip_network(cidr, strict=False).network_address + offset)


def _node_subnets(graph: Graph, cluster: RecordedResource) -> list[RecordedResource]:
    ids = {str(pool.get("vnetSubnetID")) for pool in cluster.inputs.get("agentPoolProfiles") or []}
    return [subnet for subnet in graph.of_type(SUBNET) if subnet.id in ids]


def _security_rules(graph: Graph, subnet: RecordedResource) -> list[dict[str, Any]] | None:
    nsg_id = (subnet.inputs.get("networkSecurityGroup") or {}).get("id")
    groups = [g for g in graph.of_type(NSG) if g.id == nsg_id]
    return list(groups[0].inputs.get("securityRules") or []) if groups else None


@preflight_rule(
    "azure-aks-node-subnet-nsg",
    cloud="azure",
    constraint="The node subnet's NSG lets through what AKS needs in a custom VNet (node to node, pod to node and pod "
    "to pod, all ports; Azure Load Balancer's probes) and denies everything else inbound with a rule of its own, so "
    "the default AllowVnetInBound never admits the hub or peered spokes.",
    source="https://learn.microsoft.com/azure/aks/concepts-network#custom-virtual-network-requirements",
)
def node_subnet_nsg(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each cluster's node subnets: AKS's required flows allowed, a peer's traffic denied by an explicit rule."""
    evaluation = Evaluation()
    for cluster in graph.of_type(*ag.MANAGED_CLUSTER):
        pod_cidr = str((cluster.inputs.get("networkProfile") or {}).get("podCidr") or "")
        for subnet in _node_subnets(graph, cluster):
            rules = _security_rules(graph, subnet)
            evaluation.check(subnet.urn, rules is not None, "the node subnet has no NSG")
            if rules is None:
                continue
            nodes = str(subnet.inputs.get("addressPrefix"))
            required = {
                "node to node (UDP 8472, VXLAN)": Flow(_host(nodes, 4), _host(nodes, 5), 8472, "Udp"),
                "node to node (TCP 10250, kubelet)": Flow(_host(nodes, 4), _host(nodes, 5), 10250),
                "Azure Load Balancer probe": Flow(AZURE_LOAD_BALANCER, _host(nodes, 5), 30080),
            }
            if pod_cidr:
                required["pod to node"] = Flow(_host(pod_cidr, 10), _host(nodes, 5), 10250)
                required["pod to pod"] = Flow(_host(pod_cidr, 10), _host(pod_cidr, 300), 8080)
            for what, flow in required.items():
                access, name = inbound_verdict(rules, flow)
                evaluation.check(subnet.urn, access == "Allow", f"{what} is denied by {name}")
            # Anything from a peered network that no rule names must meet the group's own deny, not AllowVNetInBound.
            stranger = Flow("10.255.255.254", _host(nodes, 5), 22)
            access, name = inbound_verdict(rules, stranger)
            own_deny = access == "Deny" and name not in {r["name"] for r in DEFAULT_INBOUND}
            evaluation.check(subnet.urn, own_deny, f"traffic from a peered network to the nodes ends at {name} ({access})")
    return evaluation
