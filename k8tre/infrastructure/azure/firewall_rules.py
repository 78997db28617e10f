"""What the hub firewall lets out, as data: AKS's documented needs plus the stack's allowlist.

Everything else is denied (SATRE 2.2.11): Azure Firewall drops traffic no rule allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

AKS_FQDNS = (
    "mcr.microsoft.com",
    "*.data.mcr.microsoft.com",
    "mcr-0001.mcr-msedge.net",
    "management.azure.com",
    "login.microsoftonline.com",
    "packages.microsoft.com",
    "acs-mirror.azureedge.net",
)
"""Names AKS nodes must reach over HTTPS (Microsoft's documented required outbound rules)."""

HELM_REPOSITORY_FQDNS = (
    "helm.cilium.io",
    "charts.jetstack.io",
    "argoproj.github.io",
    "hub.jupyter.org",
    "github.com",
    "*.githubusercontent.com",
    "quay.io",
    "*.quay.io",
    "ghcr.io",
    "pkg-containers.githubusercontent.com",
)
"""Chart and image sources of the platform's own pinned charts."""


def _application_rule(name: str, fqdns: Sequence[str], sources: Sequence[str]) -> dict[str, Any]:
    return {
        "rule_type": "ApplicationRule",
        "name": name,
        "source_addresses": list(sources),
        "protocols": [{"protocol_type": "Https", "port": 443}],
        "target_fqdns": list(fqdns),
    }


def _network_rule(
    name: str, protocol: str, port: str, sources: Sequence[str], *, addresses: Sequence[str] = (), fqdns: Sequence[str] = ()
) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "rule_type": "NetworkRule",
        "name": name,
        "ip_protocols": [protocol],
        "source_addresses": list(sources),
        "destination_ports": [port],
    }
    if addresses:
        rule["destination_addresses"] = list(addresses)
    if fqdns:
        # Names in network rules resolve through the firewall's DNS proxy (enabled on the policy).
        rule["destination_fqdns"] = list(fqdns)
    return rule


def rule_collections(location: str, spoke_cidrs: Sequence[str], allowlist: Sequence[str]) -> list[dict[str, Any]]:
    """The filter rule collections of the spoke's rule collection group, in priority order."""
    region_tag = f"AzureCloud.{location}"
    collections: list[dict[str, Any]] = [
        {
            "rule_collection_type": "FirewallPolicyFilterRuleCollection",
            "name": "aks-network",
            "priority": 100,
            "action": {"type": "Allow"},
            "rules": [
                _network_rule("aks-tunnel-udp", "UDP", "1194", spoke_cidrs, addresses=[region_tag]),
                _network_rule("aks-tunnel-tcp", "TCP", "9000", spoke_cidrs, addresses=[region_tag]),
                _network_rule("ntp", "UDP", "123", spoke_cidrs, fqdns=["ntp.ubuntu.com"]),
            ],
        },
        {
            "rule_collection_type": "FirewallPolicyFilterRuleCollection",
            "name": "aks-application",
            "priority": 200,
            "action": {"type": "Allow"},
            "rules": [
                {
                    "rule_type": "ApplicationRule",
                    "name": "aks-fqdn-tag",
                    "source_addresses": list(spoke_cidrs),
                    "protocols": [{"protocol_type": "Http", "port": 80}, {"protocol_type": "Https", "port": 443}],
                    "fqdn_tags": ["AzureKubernetesService"],
                },
                _application_rule("aks-required", AKS_FQDNS, spoke_cidrs),
                _application_rule("platform-charts", HELM_REPOSITORY_FQDNS, spoke_cidrs),
            ],
        },
    ]
    if allowlist:
        collections.append(
            {
                "rule_collection_type": "FirewallPolicyFilterRuleCollection",
                "name": "stack-allowlist",
                "priority": 300,
                "action": {"type": "Allow"},
                "rules": [_application_rule("allowlist", allowlist, spoke_cidrs)],
            }
        )
    return collections
