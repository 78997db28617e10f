"""What the hub firewall lets out, as data: AKS's documented needs plus the stack's allowlist.

Keys are the provider's wire names (camelCase): the SDK cannot translate keys inside the
union-typed rule lists, so snake_case here would reach Azure unchanged and be ignored.

Everything else is denied (SATRE 2.2.11): Azure Firewall drops traffic no rule allows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ...registry_endpoints import firewall_fqdns

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
    "public.ecr.aws",
    "ecr-public.aws.com",
    "codecentric.github.io",
)
"""Chart and image sources of the platform's own pinned charts (Argo CD fetches the application layer's charts)."""

PLATFORM_SERVICE_FQDNS = ("grafana.com",)
"""Internet services platform pods call at run time: Grafana installs its pinned log data source plugin from
grafana.com's catalogue (agnostics/monitoring_values.py ``PLUGIN_HOSTS``). Rule ``azure-firewall-allows-policy-fqdns``
fails a render whose network policies allow a name this firewall does not."""


ACME_FQDNS = ("acme-v02.api.letsencrypt.org", "acme-staging-v02.api.letsencrypt.org", "cloudflare-dns.com")
"""Let's Encrypt's ACME API, and the public DNS-over-HTTPS resolver cert-manager checks its DNS-01 records with."""

# No network rule for DNS-01 checks: cert-manager asks a public resolver over HTTPS (an application rule above),
# because inside the network the environment's private zone of the same name hides the public records, and
# the zone's name servers could be named in a network rule only by wildcard, which network rules refuse
# (https://learn.microsoft.com/azure/firewall/fqdn-filtering-network-rules).


def _application_rule(name: str, fqdns: Sequence[str], sources: Sequence[str]) -> dict[str, Any]:
    return {
        "ruleType": "ApplicationRule",
        "name": name,
        "sourceAddresses": list(sources),
        "protocols": [{"protocolType": "Https", "port": 443}],
        "targetFqdns": list(fqdns),
    }


def _network_rule(
    name: str, protocol: str, port: str, sources: Sequence[str], *, addresses: Sequence[str] = (), fqdns: Sequence[str] = ()
) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "ruleType": "NetworkRule",
        "name": name,
        "ipProtocols": [protocol],
        "sourceAddresses": list(sources),
        "destinationPorts": [port],
    }
    if addresses:
        rule["destinationAddresses"] = list(addresses)
    if fqdns:
        # Names in network rules resolve through the firewall's DNS proxy (enabled on the policy).
        rule["destinationFqdns"] = list(fqdns)
    return rule


def rule_collections(
    location: str, spoke_cidrs: Sequence[str], allowlist: Sequence[str], registries: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The filter rule collections of the spoke's rule collection group, in priority order.

    ``registries`` are the ones the admission policy lets pods pull from: each becomes the hosts a
    pull from it connects to (the registry and where it redirects layers: ``registry_endpoints``).
    """
    region_tag = f"AzureCloud.{location}"
    collections: list[dict[str, Any]] = [
        {
            "ruleCollectionType": "FirewallPolicyFilterRuleCollection",
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
            "ruleCollectionType": "FirewallPolicyFilterRuleCollection",
            "name": "aks-application",
            "priority": 200,
            "action": {"type": "Allow"},
            "rules": [
                {
                    "ruleType": "ApplicationRule",
                    "name": "aks-fqdn-tag",
                    "sourceAddresses": list(spoke_cidrs),
                    "protocols": [{"protocolType": "Http", "port": 80}, {"protocolType": "Https", "port": 443}],
                    "fqdnTags": ["AzureKubernetesService"],
                },
                _application_rule("aks-required", AKS_FQDNS, spoke_cidrs),
                _application_rule("platform-charts", HELM_REPOSITORY_FQDNS, spoke_cidrs),
                _application_rule("acme", ACME_FQDNS, spoke_cidrs),
                _application_rule("platform-services", PLATFORM_SERVICE_FQDNS, spoke_cidrs),
                *([_application_rule("image-registries", firewall_fqdns(registries), spoke_cidrs)] if registries else []),
            ],
        },
    ]
    if allowlist:
        collections.append(
            {
                "ruleCollectionType": "FirewallPolicyFilterRuleCollection",
                "name": "stack-allowlist",
                "priority": 300,
                "action": {"type": "Allow"},
                "rules": [_application_rule("allowlist", allowlist, spoke_cidrs)],
            }
        )
    return collections


def api_server_rule_collections(api_fqdn: str, spoke_cidrs: Sequence[str]) -> list[dict[str, Any]]:
    """A network rule for TCP 443 to a public API server, by name (resolved by the firewall's DNS proxy).

    AKS points only kube-system's pods at the API's FQDN; every other pod dials the
    API's IP without SNI, which application rules (FQDN tag included) cannot match, so
    Microsoft documents this extra network rule
    (https://learn.microsoft.com/azure/aks/outbound-rules-control-egress#azure-global-required-network-rules).
    A name rather than the IP, which can change in maintenance; the FQDN has no wildcard.
    """
    return [
        {
            "ruleCollectionType": "FirewallPolicyFilterRuleCollection",
            "name": "aks-api-server",
            "priority": 100,
            "action": {"type": "Allow"},
            "rules": [_network_rule("api-server", "TCP", "443", spoke_cidrs, fqdns=[api_fqdn])],
        }
    ]


def hub_owner_rule_groups(
    groups: tuple[str, str],
    location: str,
    spoke_cidrs: Sequence[str],
    allowlist: Sequence[str],
    api_fqdn: str | None,
    registries: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """The rule collection groups the owner of a hub this stack does not own applies to its firewall policy.

    Exactly what ``create`` mode writes into its own policy, as ARM REST bodies
    (``Microsoft.Network/firewallPolicies/ruleCollectionGroups``: name, properties.priority,
    properties.ruleCollections), so the owner can PUT them as they are: the spoke's
    egress (``groups[0]``) and, for a public API server, the network rule that lets pods
    outside kube-system reach it (``groups[1]``). The priorities are this program's; the
    owner may renumber them to fit their policy.
    """
    bodies = [
        {
            "name": groups[0],
            "properties": {"priority": 200, "ruleCollections": rule_collections(location, spoke_cidrs, allowlist, registries)},
        }
    ]
    if api_fqdn is not None:
        api = api_server_rule_collections(api_fqdn, spoke_cidrs)
        bodies.append({"name": groups[1], "properties": {"priority": 210, "ruleCollections": api}})
    return bodies
