"""Rules across address ranges: no overlaps, subnets inside their networks, one IP version per comparison.

Python's ``ipaddress`` raises ``TypeError`` when an IPv4 and an IPv6 network are
compared with ``subnet_of``; a stack file mixing them once ended in a traceback.
Here a version mismatch is itself the problem reported.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .azure import AzureClusterConfig, CreatedHub, ExistingHub
from .cluster import AwsClusterConfig, K3sClusterConfig

if TYPE_CHECKING:
    from .model import K8treConfig

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Issue = tuple[str, str]


def inside(inner: Network, outer: Network) -> bool:
    """Whether ``inner`` lies within ``outer``; never true across IP versions."""
    if isinstance(inner, ipaddress.IPv4Network) and isinstance(outer, ipaddress.IPv4Network):
        return inner.subnet_of(outer)
    if isinstance(inner, ipaddress.IPv6Network) and isinstance(outer, ipaddress.IPv6Network):
        return inner.subnet_of(outer)
    return False


def containment(key: str, inner: Network, outer_key: str, outer: Network, why: str = "") -> Iterator[Issue]:
    """The issue when ``inner`` (at ``key``) is not inside ``outer`` (at ``outer_key``), naming a version mismatch."""
    if inner.version != outer.version:
        yield key, f"{inner} is IPv{inner.version} but k8tre:{outer_key} ({outer}) is IPv{outer.version}: it cannot lie inside it"
    elif not inside(inner, outer):
        yield key, f"{inner} is not inside k8tre:{outer_key} ({outer}){why}"


def networks(config: K8treConfig) -> Iterator[tuple[str, Network]]:
    """Every range that must be disjoint from the others: pods, services, node networks, the hub."""
    cluster = config.cluster
    for i, cidr in enumerate(cluster.network.pod_cidrs):
        yield f"cluster.network.podCidrs[{i}]", ipaddress.ip_network(cidr)
    yield "cluster.network.serviceCidr", ipaddress.ip_network(cluster.network.service_cidr)
    match cluster:
        case AzureClusterConfig():
            yield "cluster.vnetCidr", ipaddress.ip_network(cluster.vnet_cidr)
            if isinstance(cluster.hub, CreatedHub):
                yield "cluster.hub.vnetCidr", ipaddress.ip_network(cluster.hub.vnet_cidr)
            if isinstance(cluster.hub, ExistingHub):
                for i, cidr in enumerate(cluster.hub.address_space):
                    yield f"cluster.hub.addressSpace[{i}]", ipaddress.ip_network(cidr)
        case AwsClusterConfig():
            yield "cluster.vpcCidr", ipaddress.ip_network(cluster.vpc_cidr)
        case K3sClusterConfig():
            yield "cluster.nodeCidr", ipaddress.ip_network(cluster.node_cidr)


def network_issues(config: K8treConfig) -> Iterator[Issue]:
    """Overlaps between ranges, IPv4-only pod ranges, and each cloud's containment rules."""
    nets = list(networks(config))
    for i, (path_a, net_a) in enumerate(nets):
        for path_b, net_b in nets[i + 1 :]:
            if net_a.version == net_b.version and net_a.overlaps(net_b):
                yield path_a, f"{net_a} overlaps k8tre:{path_b} ({net_b}); pod, service, node and hub ranges must be disjoint"
    for i, cidr in enumerate(config.cluster.network.pod_cidrs):
        if ipaddress.ip_network(cidr).version != 4:
            yield f"cluster.network.podCidrs[{i}]", f"{cidr} is IPv6; Cilium cluster-pool IPAM is configured for IPv4 ranges here"
    cluster = config.cluster
    if isinstance(cluster, AzureClusterConfig):
        yield from _azure(cluster)
    if isinstance(cluster, K3sClusterConfig):
        node_net = ipaddress.ip_network(cluster.node_cidr)
        for i, cidr in enumerate(cluster.load_balancer_cidrs):
            why = ": L2 announcements reach only that network"
            yield from containment(
                f"cluster.loadBalancerCidrs[{i}]", ipaddress.ip_network(cidr), "cluster.nodeCidr", node_net, why
            )


def _azure(cluster: AzureClusterConfig) -> Iterator[Issue]:
    vnet = ipaddress.ip_network(cluster.vnet_cidr)
    subnets = {
        "nodeSubnetCidr": ipaddress.ip_network(cluster.node_subnet_cidr),
        "ingressSubnetCidr": ipaddress.ip_network(cluster.ingress_subnet_cidr),
        "endpointsSubnetCidr": ipaddress.ip_network(cluster.endpoints_subnet_cidr),
    }
    keys = list(subnets)
    for i, key in enumerate(keys):
        yield from containment(f"cluster.{key}", subnets[key], "cluster.vnetCidr", vnet)
        for other in keys[i + 1 :]:
            if subnets[key].version == subnets[other].version and subnets[key].overlaps(subnets[other]):
                yield f"cluster.{other}", f"{subnets[other]} overlaps k8tre:cluster.{key} ({subnets[key]})"
    hub = cluster.hub
    if isinstance(hub, CreatedHub):
        firewall = ipaddress.ip_network(hub.firewall_subnet_cidr)
        hub_net = ipaddress.ip_network(hub.vnet_cidr)
        yield from containment("cluster.hub.firewallSubnetCidr", firewall, "cluster.hub.vnetCidr", hub_net)
        if firewall.prefixlen > 26:
            # AzureFirewallSubnet must be at least a /26 (Azure Firewall FAQ, "Why does Azure Firewall need a /26 subnet size?").
            yield "cluster.hub.firewallSubnetCidr", f"{firewall} is smaller than a /26, which Azure Firewall needs"
    if isinstance(hub, ExistingHub):
        address = ipaddress.ip_address(hub.firewall_private_ip)
        ranges = [ipaddress.ip_network(cidr) for cidr in hub.address_space]
        if not any(address in net for net in ranges):
            # The firewall sits in the hub's AzureFirewallSubnet, so its address is inside the hub's address space.
            yield (
                "cluster.hub.firewallPrivateIp",
                f"{address} is not inside the hub's address space (k8tre:cluster.hub.addressSpace: "
                f"{', '.join(map(str, ranges))}); the firewall lives in the hub's AzureFirewallSubnet",
            )
