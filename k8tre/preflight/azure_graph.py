"""Readers for the Azure parts of a recorded graph, shared by the Azure preflight rules."""

from __future__ import annotations

import ipaddress
from typing import Any

from ..chart_lock import chart_name
from ..offline.graph import Graph, RecordedResource

MANAGED_CLUSTER = (
    "azure-native:containerservice:ManagedCluster",
    "azure-native:containerservice/v20260502preview:ManagedCluster",
)
"""AKS cluster type tokens: the stable API and the preview API that can switch kube-proxy off."""
DIAGNOSTIC_SETTING = ("azure-native:monitor:DiagnosticSetting",)
"""Diagnostic setting type tokens."""
RULE_COLLECTION_GROUP = ("azure-native:network:FirewallPolicyRuleCollectionGroup",)
"""Firewall policy rule collection group type tokens."""


HUB_RULES_OUTPUT = "hubFirewallRules"
"""Stack output with the rule collection groups (ARM REST bodies) a hub this stack does not own must apply."""


def network_rules(graph: Graph) -> list[tuple[RecordedResource, dict[str, Any]]]:
    """Every network rule the render asks a firewall for, with what holds it (wire names).

    Rule collection groups the stack creates, and those it hands to the owner of a hub it
    does not own (the stack output :data:`HUB_RULES_OUTPUT`, held by the stack itself): a
    rule Azure would refuse or that would not work is as wrong in either.
    """
    held: list[tuple[RecordedResource, list[dict[str, Any]]]] = [
        (group, group.inputs.get("ruleCollections") or []) for group in graph.of_type(*RULE_COLLECTION_GROUP)
    ]
    stacks = graph.of_type("pulumi:pulumi:Stack")
    handed = graph.outputs.get(HUB_RULES_OUTPUT)
    if stacks and isinstance(handed, list):
        held += [(stacks[0], (body.get("properties") or {}).get("ruleCollections") or []) for body in handed]
    return [
        (owner, rule)
        for owner, collections in held
        for collection in collections
        for rule in collection.get("rules") or []
        if rule.get("ruleType") == "NetworkRule"
    ]


def admin_groups(graph: Graph) -> set[str]:
    """Entra group object IDs the clusters name as administrators."""
    return {
        str(group)
        for cluster in graph.of_type(*MANAGED_CLUSTER)
        for group in (cluster.inputs.get("aadProfile") or {}).get("adminGroupObjectIDs") or []
    }


def cilium_pod_pools(graph: Graph) -> list[list[str]]:
    """The cluster-pool ranges of each Cilium release in the graph (one list per release)."""
    return [
        list(((release.inputs.get("values") or {}).get("ipam") or {}).get("operator", {}).get("clusterPoolIPv4PodCIDRList") or [])
        for release in graph.of_type("kubernetes:helm.sh/v3:Release")
        if chart_name(str(release.inputs.get("chart", ""))) == "cilium"
    ]


def api_server_hosts(graph: Graph) -> set[str]:
    """The API server host names clients dial: what each Cilium release is told (``k8sServiceHost``)."""
    return {
        str((release.inputs.get("values") or {}).get("k8sServiceHost"))
        for release in graph.of_type("kubernetes:helm.sh/v3:Release")
        if chart_name(str(release.inputs.get("chart", ""))) == "cilium"
        and (release.inputs.get("values") or {}).get("k8sServiceHost")
    }


def _port_allows(spec: str, port: int) -> bool:
    if spec == "*":
        return True
    low, _, high = spec.partition("-")
    return int(low) <= port <= int(high or low)


def allows_tcp_443(rule: dict[str, Any], hosts: set[str]) -> bool:
    """Whether a network rule lets TCP 443 out to one of ``hosts`` (by name, or to any address)."""
    protocols = {str(p).upper() for p in rule.get("ipProtocols") or []}
    if not protocols & {"TCP", "ANY"}:
        return False
    if not any(_port_allows(str(spec), 443) for spec in rule.get("destinationPorts") or []):
        return False
    if hosts & set(rule.get("destinationFqdns") or []):
        return True
    return any(_covers_everything(address) for address in rule.get("destinationAddresses") or [])


def _covers_everything(address: str) -> bool:
    if address == "*":
        return True
    try:
        return ipaddress.ip_network(address, strict=False).prefixlen == 0
    except ValueError:
        return False  # a service tag: does not name a public AKS API's address


def cilium_node_mask_sizes(graph: Graph) -> list[int]:
    """The per-node pod range prefix length of each Cilium release in cluster-pool mode (``clusterPoolIPv4MaskSize``)."""
    return [
        int(((release.inputs.get("values") or {}).get("ipam") or {}).get("operator", {}).get("clusterPoolIPv4MaskSize") or 24)
        for release in graph.of_type("kubernetes:helm.sh/v3:Release")
        if chart_name(str(release.inputs.get("chart", ""))) == "cilium"
    ]
