"""Isolation rules, judged by what the policies allow (SATRE 2.2.10, 2.2.11, 2.1.08, 2.1.14).

Both rules ask the flow evaluator (``k8tre.flows``): a namespace or pod is sealed when
probes on undeclared ports cannot get in or out; a project is isolated when every
required deny of the flow matrix that touches it, or a workspace, holds.
"""

from __future__ import annotations

from ...offline.graph import Graph
from ..network import isolation_rows, leaking_pods, namespaces, uncovered_namespaces, unexplained_exemptions
from ..registry import Evaluation, rule


def _namespace_urns(graph: Graph) -> dict[str, str]:
    return {(r.inputs.get("metadata") or {}).get("name", r.name): r.urn for r in graph.of_type("kubernetes:core/v1:Namespace")}


@rule(
    "network-default-deny",
    "Outside exempt system namespaces (each with a stated reason), no pod sends or receives"
    " anything its declared flows do not need.",
    satre=("2.2.10", "2.2.11", "2.1.08", "2.1.14"),
    severity="mandatory",
)
def default_deny(graph: Graph) -> Evaluation:
    """Every namespace is sealed by default, every exemption has a reason, and no pod leaks on an undeclared port."""
    result = Evaluation()
    urns = _namespace_urns(graph)
    uncovered = set(uncovered_namespaces(graph))
    for name, urn in urns.items():
        result.check(
            urn, name not in uncovered, f"namespace {name}: a pod there can send or receive without any policy allowing it"
        )
    for name in unexplained_exemptions(graph):
        if name not in urns:
            result.check(name, False, f"default-deny leaves out {name} without a recorded reason")
    for pod, found in leaking_pods(graph).items():
        result.check(urns.get(pod.split("/")[0], pod), False, f"{pod} is not sealed: {'; '.join(found)}")
    return result


@rule(
    "project-isolation",
    "No project reaches another project, and no workspace reaches another user's workspace,"
    " the Kubernetes API, the cloud metadata service, or a name outside its allowlist.",
    satre=("2.2.10", "2.2.11", "2.1.14"),
    severity="mandatory",
)
def project_isolation(graph: Graph) -> Evaluation:
    """Every required deny touching a project or a workspace holds, judged by the evaluator."""
    result = Evaluation()
    urns = _namespace_urns(graph)
    projects = {n["metadata"]["name"] for n in namespaces(graph) if "k8tre.io/project" in n["metadata"].get("labels", {})}
    rows = isolation_rows(graph)
    for row in rows:
        namespace = next((p.split("/")[0] for p in (row.source, row.destination) if p.split("/")[0] in urns), "")
        message = f"{row.source} -> {row.destination} {row.port}/{row.protocol} must be denied, got {row.actual}"
        result.check(urns.get(namespace, row.source), row.ok, message)
    for project in projects:
        if not any(project in (row.source.split("/")[0], row.destination.split("/")[0]) for row in rows):
            result.check(urns[project], False, f"project namespace {project}: no flow examined it")
    return result
