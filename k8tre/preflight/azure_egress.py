"""Preflight rules for Azure egress capacity: what Microsoft recommends for a firewall AKS egresses through."""

from __future__ import annotations

from ..offline.graph import Graph
from ..policies.registry import Evaluation
from .registry import PreflightContext, preflight_rule

PRODUCTION_PUBLIC_IPS = 20
"""Microsoft's recommended minimum of firewall frontend IPs for AKS egress in production."""


@preflight_rule(
    "azure-firewall-snat-public-ips",
    cloud="azure",
    severity="warning",
    constraint="An Azure Firewall that AKS egresses through in production has at least 20 frontend (public) IPs, "
    "Microsoft's recommendation against SNAT port exhaustion (each gives 2,496 ports per firewall instance).",
    source="https://learn.microsoft.com/azure/aks/limit-egress-traffic#restrict-egress-traffic-using-azure-firewall",
)
def firewall_snat_public_ips(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each firewall the render creates for a prod environment SNATs behind enough public IPs; others are judged fine.

    Production is what the program tags its resources with (``k8tre:environment``); a
    hub's owner sizes a firewall this render does not create (docs/azure.md says so).
    """
    evaluation = Evaluation()
    public_ips = {ip.id for ip in graph.of_type("azure-native:network:PublicIPAddress")}
    for firewall in graph.of_type("azure-native:network:AzureFirewall"):
        configs = firewall.inputs.get("ipConfigurations") or []
        count = len({(c.get("publicIPAddress") or {}).get("id") for c in configs} & public_ips)
        production = (firewall.inputs.get("tags") or {}).get("k8tre:environment") == "prod"
        evaluation.check(
            firewall.urn,
            not production or count >= PRODUCTION_PUBLIC_IPS,
            f"a production firewall SNATs behind {count} public IPs; Microsoft recommends at least {PRODUCTION_PUBLIC_IPS} "
            "(k8tre:cluster.hub.firewallPublicIps)",
        )
    return evaluation
