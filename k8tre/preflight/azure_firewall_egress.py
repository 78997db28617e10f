"""Preflight rules: what the cluster pulls and dials on the internet, against the hub firewall's application rules.

Azure Firewall denies any traffic no rule allows; HTTPS is allowed by name only through an
application rule whose target FQDNs match the TLS SNI (Azure Firewall docs, "Application rules":
https://learn.microsoft.com/azure/firewall/features#application-fqdn-filtering-rules). Behind it, an
image from a registry the rules do not name never pulls, and a pod whose network policy allows a
name the firewall does not is still cut off. Each rule reads the names from what the render really
runs (the expanded charts' images, Argo CD's chart sources, the Cilium policies' ``toFQDNs``) and
judges them against every rule collection the render writes: the policy it owns, or the groups it
hands to the owner of a hub it does not own (``hub-firewall-rules.json``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ..offline.graph import Graph
from ..policies.registry import Evaluation
from ..registry_endpoints import pull_hosts, registry_of
from . import azure_graph as ag
from .registry import PreflightContext, preflight_rule

FIREWALL_FAQ = "https://learn.microsoft.com/azure/firewall/firewall-faq#how-do-wildcards-work-in-target-urls-and-target-fqdns-in-application-rules"
"""Azure Firewall FAQ: a leading ``*.`` matches any subdomain (not the apex); a leading ``*`` matches any prefix."""

PRIVATE_LINK_ZONES = {
    "privatelink.vaultcore.azure.net": "vault.azure.net",
    "privatelink.blob.core.windows.net": "blob.core.windows.net",
    "privatelink.dfs.core.windows.net": "dfs.core.windows.net",
    "privatelink.file.core.windows.net": "file.core.windows.net",
}
"""Private Link DNS zone -> the public suffix whose names it answers privately (Microsoft, "Azure Private Endpoint
private DNS zone values": https://learn.microsoft.com/azure/private-link/private-endpoint-dns). Such names resolve to
a private endpoint in the spoke and never reach the firewall."""


def fqdn_matches(pattern: str, name: str) -> bool:
    """Whether an application rule's target FQDN ``pattern`` matches ``name``, as Azure Firewall matches them.

    ``*`` alone matches everything; ``*.contoso.com`` matches any name below contoso.com but not
    contoso.com itself; ``*contoso.com`` matches any name ending so (the apex included); otherwise
    the names must be equal. Matching ignores case (FAQ above).
    """
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern == "*":
        return True
    if pattern.startswith("*."):
        return name.endswith("." + pattern[2:])
    if pattern.startswith("*"):
        return name.endswith(pattern[1:])
    return pattern == name


def _https_application_fqdns(graph: Graph) -> list[str] | None:
    """Target FQDNs of every Allow application rule over HTTPS 443 the render writes; None when it writes no firewall rules."""
    collections: list[dict[str, Any]] = [
        c for group in graph.of_type(*ag.RULE_COLLECTION_GROUP) for c in group.inputs.get("ruleCollections") or []
    ]
    handed = graph.outputs.get(ag.HUB_RULES_OUTPUT)
    if isinstance(handed, list):
        collections += [c for body in handed for c in (body.get("properties") or {}).get("ruleCollections") or []]
    if not collections:
        return None
    return [
        str(fqdn)
        for collection in collections
        if (collection.get("action") or {}).get("type") == "Allow"
        for rule in collection.get("rules") or []
        if rule.get("ruleType") == "ApplicationRule"
        and any(p.get("protocolType") == "Https" and p.get("port") == 443 for p in rule.get("protocols") or [])
        for fqdn in rule.get("targetFqdns") or []
    ]


def _private_suffixes(graph: Graph) -> set[str]:
    """Names the spoke resolves privately: its own private zones and the public suffixes of linked Private Link zones."""
    zones = {str(z.inputs.get("privateZoneName", "")) for z in graph.of_type("azure-native:privatedns:PrivateZone")}
    for group in graph.of_type("azure-native:network:PrivateDnsZoneGroup"):
        for config in group.inputs.get("privateDnsZoneConfigs") or []:
            zones.add(str(config.get("privateDnsZoneId", "")).rsplit("/", 1)[-1])
    return {PRIVATE_LINK_ZONES.get(zone, zone) for zone in zones if zone}


def _is_private(name: str, suffixes: set[str]) -> bool:
    return any(name == suffix or name.endswith("." + suffix) for suffix in suffixes)


def _reaches_https(rule: dict[str, Any]) -> bool:
    """An egress rule without ports reaches every port, HTTPS included; otherwise only if it names 443."""
    ports = [p for to in rule.get("toPorts") or [] for p in to.get("ports") or []]
    return not ports or any(str(p.get("port")) == "443" for p in ports)


def _chart_sources(graph: Graph) -> Iterator[tuple[str, str]]:
    """(host, why) for each chart repository Argo CD fetches from inside the cluster."""
    for application in (m for m in graph.manifests() if m.get("kind") == "Application"):
        spec = application.get("spec") or {}
        for source in [spec.get("source") or {}, *(spec.get("sources") or [])]:
            url = str(source.get("repoURL") or "")
            host = re.sub(r"^[a-z]+://", "", url).split("/", 1)[0].split(":", 1)[0]
            if host and "." in host and not host.endswith(".svc.cluster.local"):
                yield host, f"Argo CD fetches the chart of Application {application['metadata'].get('name')} from {url}"


def _judge(evaluation: Evaluation, graph: Graph, needs: dict[str, str]) -> None:
    allowed = _https_application_fqdns(graph) or []
    stacks = graph.of_type("pulumi:pulumi:Stack")
    subject = stacks[0].urn if stacks else graph.stack
    for host, why in sorted(needs.items()):
        evaluation.check(
            subject,
            any(fqdn_matches(pattern, host) for pattern in allowed),
            f"{why}, but no HTTPS application rule of the hub firewall allows {host}",
        )


@preflight_rule(
    "azure-firewall-allows-image-registries",
    cloud="azure",
    constraint="Every host a node connects to when pulling the render's images (each registry and the hosts it "
    "redirects layers to) and every chart repository Argo CD fetches from is allowed by an HTTPS application rule "
    "of the firewall the spoke egresses through; Azure Firewall denies any name no rule allows, and the pod never starts.",
    source=FIREWALL_FAQ,
)
def firewall_allows_image_registries(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Images from the expanded charts and the manifests (``images.txt``), and Argo CD's chart repositories."""
    from ..offline.render import images

    evaluation = Evaluation()
    if _https_application_fqdns(graph) is None:
        return evaluation
    needs: dict[str, str] = {}
    for image in images(graph):
        for host in pull_hosts(registry_of(image)):
            if "*" not in host:  # a wildcard entry stands for hosts the registry picks (a CDN): its apex is not dialled
                needs.setdefault(host, f"pulling {image} connects to {host}")
    needs.update(dict(_chart_sources(graph)))
    _judge(evaluation, graph, needs)
    return evaluation


@preflight_rule(
    "azure-firewall-allows-policy-fqdns",
    cloud="azure",
    constraint="Every internet name a Cilium policy lets a pod reach (toFQDNs matchName) is allowed by an HTTPS "
    "application rule of the firewall, unless it resolves privately (a Private Link zone or the environment's own "
    "private zone); otherwise the policy promises a connection the firewall drops.",
    source=FIREWALL_FAQ,
)
def firewall_allows_policy_fqdns(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each ``matchName`` in a CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy egress rule."""
    evaluation = Evaluation()
    if _https_application_fqdns(graph) is None:
        return evaluation
    private = _private_suffixes(graph)
    needs: dict[str, str] = {}
    for policy in graph.manifests():
        if policy.get("kind") not in ("CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"):
            continue
        where = f"{policy['metadata'].get('namespace', '')}/{policy['metadata'].get('name')}".lstrip("/")
        specs = [policy.get("spec") or {}, *(policy.get("specs") or [])]
        for rule in (rule for spec in specs for rule in spec.get("egress") or []):
            if not _reaches_https(rule):
                continue  # another protocol (SMTP submission, say) needs a network rule, not an application rule
            for selector in rule.get("toFQDNs") or []:
                name = str(selector.get("matchName") or "")
                if name and not _is_private(name.lower(), private):
                    needs.setdefault(name.lower(), f"policy {where} lets pods reach {name}")
    _judge(evaluation, graph, needs)
    return evaluation
