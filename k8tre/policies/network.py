"""Network isolation evidence: which namespaces the default-deny covers, and which projects are isolated."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..agnostics.network_policy import SYSTEM_NAMESPACES, covered_by_default_deny
from ..offline.graph import Graph


def namespaces(graph: Graph) -> list[dict[str, Any]]:
    """Every Namespace object the program creates."""
    return [m for m in graph.manifests() if m.get("apiVersion") == "v1" and m.get("kind") == "Namespace"]


def default_deny_policies(graph: Graph) -> list[dict[str, Any]]:
    """Every rendered cluster-wide default-deny policy."""
    return [
        m
        for m in graph.manifests()
        if m.get("kind") == "CiliumClusterwideNetworkPolicy"
        and (m.get("spec") or {}).get("enableDefaultDeny") == {"ingress": True, "egress": True}
    ]


def uncovered_namespaces(graph: Graph, exempt: Mapping[str, str] = SYSTEM_NAMESPACES) -> list[str]:
    """Namespaces neither covered by a default-deny policy nor exempt with a stated reason."""
    policies = default_deny_policies(graph)
    problems = []
    for namespace in namespaces(graph):
        name = namespace["metadata"]["name"]
        if any(covered_by_default_deny(policy, name) for policy in policies):
            continue
        if exempt.get(name, "").strip():
            continue
        problems.append(name)
    return sorted(problems)


def unexplained_exemptions(graph: Graph, exempt: Mapping[str, str] = SYSTEM_NAMESPACES) -> list[str]:
    """Namespaces a default-deny policy leaves out without a reason recorded for them."""
    left_out: set[str] = set()
    for policy in default_deny_policies(graph):
        for expression in policy["spec"].get("endpointSelector", {}).get("matchExpressions", []):
            if expression.get("operator") == "NotIn":
                left_out.update(expression.get("values", []))
    return sorted(name for name in left_out if not exempt.get(name, "").strip())


def unisolated_projects(graph: Graph) -> list[str]:
    """Project namespaces without a project-isolation policy that confines traffic to the namespace."""
    policies = {
        m["metadata"].get("namespace"): m
        for m in graph.manifests()
        if m.get("kind") == "CiliumNetworkPolicy"
        and m["metadata"].get("labels", {}).get("k8tre.io/policy") == "project-isolation"
    }
    problems = []
    for namespace in namespaces(graph):
        name = namespace["metadata"]["name"]
        if "k8tre.io/project" not in namespace["metadata"].get("labels", {}):
            continue
        policy = policies.get(name)
        if policy is None or not _confined(policy["spec"]):
            problems.append(name)
    return sorted(problems)


def _confined(spec: Mapping[str, Any]) -> bool:
    # Peers may only be "this namespace" ({} in a namespaced policy) or the gateway; no CIDR or entity world.
    if spec.get("enableDefaultDeny") != {"ingress": True, "egress": True} or spec.get("endpointSelector") != {}:
        return False
    for rule in spec.get("ingress", []):
        if rule.get("fromEndpoints", [{}]) != [{}] or set(rule.get("fromEntities", [])) - {"ingress"}:
            return False
        if rule.keys() - {"fromEndpoints", "fromEntities", "toPorts"}:
            return False
    for rule in spec.get("egress", []):
        if rule.get("toEntities") or rule.get("toCIDR") or rule.get("toCIDRSet"):
            return False
        for selector in rule.get("toEndpoints", []):
            if selector not in (
                {},
                {"matchLabels": {"k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns"}},
            ):
                return False
    return True
