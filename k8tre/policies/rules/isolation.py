"""Isolation rules: default-deny everywhere, projects sealed from each other (SATRE 2.2.10, 2.2.11, 2.1.08, 2.1.14)."""

from __future__ import annotations

from ...offline.graph import Graph
from ..network import default_deny_policies, namespaces, uncovered_namespaces, unexplained_exemptions, unisolated_projects
from ..registry import Evaluation, rule


def _namespace_urns(graph: Graph) -> dict[str, str]:
    return {(r.inputs.get("metadata") or {}).get("name", r.name): r.urn for r in graph.of_type("kubernetes:core/v1:Namespace")}


@rule(
    "network-default-deny",
    "A cluster-wide default-deny covers every namespace that is not an exempt system namespace with a stated reason.",
    satre=("2.2.10", "2.2.11", "2.1.08", "2.1.14"),
    severity="mandatory",
)
def default_deny(graph: Graph) -> Evaluation:
    """Every namespace is covered, and every exemption has a reason."""
    result = Evaluation()
    urns = _namespace_urns(graph)
    if namespaces(graph) and not default_deny_policies(graph):
        for urn in urns.values():
            result.check(urn, False, "no cluster-wide default-deny policy exists")
        return result
    uncovered = set(uncovered_namespaces(graph))
    for name, urn in urns.items():
        result.check(urn, name not in uncovered, f"namespace {name} is neither under default-deny nor exempt with a reason")
    for name in unexplained_exemptions(graph):
        result.check(urns.get(name, name), False, f"default-deny leaves out {name} without a recorded reason")
    return result


@rule(
    "project-isolation",
    "Each project namespace has a policy confining traffic to itself, with internet egress only to its allowlist.",
    satre=("2.2.10", "2.2.11", "2.1.14"),
    severity="mandatory",
)
def project_isolation(graph: Graph) -> Evaluation:
    """Project namespaces are sealed from each other."""
    result = Evaluation()
    urns = _namespace_urns(graph)
    failing = set(unisolated_projects(graph))
    for namespace in namespaces(graph):
        name = namespace["metadata"]["name"]
        if "k8tre.io/project" in namespace["metadata"].get("labels", {}):
            result.check(urns[name], name not in failing, f"project namespace {name} is not isolated")
    return result
