"""The spoke's inbound NSG rules: what AKS with Cilium needs, the Gateway's clients, and an explicit deny of the rest.

Azure evaluates an NSG's rules lowest priority first and stops at the first match; after a
group's own rules come its default ones, of which ``AllowVnetInBound`` (65000) admits
everything from the VNet *and its peers*: the hub and every other spoke peered with it
(https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#default-security-rules).
So each subnet that must not trust its neighbours ends its own rules with a deny of everything,
and allows above it only what it needs.
"""

from __future__ import annotations

from collections.abc import Sequence

from pulumi_azure_native import network

PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
"""RFC 1918: the default client ranges (``k8tre:cluster.clientRanges``) when a stack names none."""

DENY_PRIORITY = 4000
"""The explicit deny-everything rule: after every allow, before Azure's default rules (65000 and up)."""

ALLOWED_IP_RANGES = "service.beta.kubernetes.io/azure-allowed-ip-ranges"
"""Service annotation (comma-separated CIDRs) with which Azure's cloud provider admits only those sources to a load
balancer, in the NSG rules it writes for the Service; what ``spec.loadBalancerSourceRanges`` does, which a Gateway's
Service cannot carry (Cilium copies only ``spec.infrastructure`` annotations and labels onto it).
Source: https://cloud-provider-azure.sigs.k8s.io/topics/loadbalancer/#loadbalancer-annotations"""

GATEWAY_PORTS = ("80", "443")
"""What the Gateway listens on (HTTP only to redirect to HTTPS)."""


def _rule(
    name: str, priority: int, sources: Sequence[str], destinations: Sequence[str], **rest: object
) -> network.SecurityRuleArgsDict:
    rule: dict[str, object] = {
        "name": name,
        "access": "Allow",
        "direction": "Inbound",
        "protocol": "*",
        "priority": priority,
        "source_port_range": "*",
        "destination_port_range": "*",
    }
    rule |= {"source_address_prefixes": list(sources)} if len(sources) > 1 else {"source_address_prefix": sources[0]}
    rule |= (
        {"destination_address_prefixes": list(destinations)}
        if len(destinations) > 1
        else {"destination_address_prefix": destinations[0]}
    )
    rule |= rest
    if "destination_port_ranges" in rule:
        del rule["destination_port_range"]
    return rule  # type: ignore[return-value] # the keys are exactly SecurityRuleArgsDict's


def _deny_everything() -> network.SecurityRuleArgsDict:
    return _rule("deny-all-inbound", DENY_PRIORITY, ["*"], ["*"], access="Deny")


def ingress_rules(client_ranges: Sequence[str]) -> list[network.SecurityRuleArgsDict]:
    """The Gateway's subnet: its ports from the client ranges, Azure's probe, nothing else."""
    return [
        _rule("allow-gateway-clients", 100, client_ranges, ["*"], protocol="Tcp", destination_port_ranges=list(GATEWAY_PORTS)),
        _rule("allow-azure-load-balancer", 200, ["AzureLoadBalancer"], ["*"]),
        _deny_everything(),
    ]


def node_rules(
    node_cidr: str, pod_cidr: str, ingress_cidr: str, client_ranges: Sequence[str], *, private_api: bool
) -> list[network.SecurityRuleArgsDict]:
    """The nodes' subnet: AKS's documented custom-VNet flows, the Gateway's clients, a private API's clients; deny the rest.

    Microsoft lists what a subnet NSG must let through for AKS in a custom VNet: node to node,
    pod to node (Service routing) and pod to pod, all protocols and ports
    (https://learn.microsoft.com/azure/aks/concepts-network#custom-virtual-network-requirements);
    with Cilium that carries VXLAN (UDP 8472), WireGuard (UDP 51871), health checks (TCP 4240),
    Hubble (TCP 4244) and the kubelet (TCP 10250). Azure Load Balancer's probes reach the nodes
    from ``AzureLoadBalancer``. The Gateway's internal load balancer keeps the client's address and,
    with AKS's floating IP, the frontend's (in ``snet-ingress``) as destination: so the clients are
    admitted here, on the Gateway's ports only. A private API server's endpoint sits in this subnet,
    reached on 443 by the deploy runner and operators in the client ranges.
    """
    rules = [
        _rule("allow-node-to-node", 100, [node_cidr], [node_cidr]),
        _rule("allow-pod-to-node", 110, [pod_cidr], [node_cidr]),
        _rule("allow-pod-to-pod", 120, [pod_cidr], [pod_cidr]),
        _rule("allow-azure-load-balancer", 130, ["AzureLoadBalancer"], ["*"]),
        _rule(
            "allow-gateway-clients",
            140,
            client_ranges,
            [ingress_cidr, node_cidr],
            protocol="Tcp",
            destination_port_ranges=list(GATEWAY_PORTS),
        ),
    ]
    if private_api:
        rules.append(
            _rule("allow-private-api-clients", 150, client_ranges, [node_cidr], protocol="Tcp", destination_port_range="443")
        )
    return [*rules, _deny_everything()]
