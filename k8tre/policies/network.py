"""Network isolation evidence, decided by the flow evaluator (``k8tre.flows``), never by flags or names.

- Default deny: a probe pod in each namespace (rendered, exempt, or left out by a
  default-deny policy) must be unable to send to an address outside the cluster or to an
  unpoliced pod, and unable to receive from an unpoliced pod or the internet, unless the
  namespace is exempt with a recorded reason. Each real pod, on ports no flow declares,
  likewise.
- Project isolation: every required deny of the flow matrix that starts or ends in a
  project namespace or at a workspace holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ..agnostics.network_policy import SYSTEM_NAMESPACES
from ..flows.evaluate import verdict
from ..flows.expect import WORLD_ADDRESS
from ..flows.matrix import Row, cluster_facts, evaluate, policies_of, population
from ..flows.model import Destination, Entity, Pod, Source
from ..flows.pods import namespace_labels
from ..offline.graph import Graph

UNPOLICED: Final = Pod("probe", "kube-system", {"k8tre.io/probe": "unpoliced"}, origin="probe")
"""A pod whose own traffic no policy restricts (kube-system is exempt): it tests a target's ingress alone."""
PROBE_PORT: Final = 9
"""The discard port: no component declares it, so only a blanket allow lets it through."""


def namespaces(graph: Graph) -> list[dict[str, Any]]:
    """Every Namespace object the program creates."""
    return [m for m in graph.manifests() if m.get("apiVersion") == "v1" and m.get("kind") == "Namespace"]


def _candidates(graph: Graph) -> set[str]:
    names = {n["metadata"]["name"] for n in namespaces(graph)}
    for policy in graph.manifests():
        if policy.get("kind") == "CiliumClusterwideNetworkPolicy":
            for expression in (policy.get("spec") or {}).get("endpointSelector", {}).get("matchExpressions", []):
                names.update(expression.get("values") or [])
    return names


def leaks(graph: Graph, pod: Pod, ports: tuple[int, ...] = (PROBE_PORT,)) -> list[str]:
    """How the pod can send or receive on undeclared ports (empty: it is sealed)."""
    cluster = cluster_facts(graph)
    policies = policies_of(graph, cluster)
    found = []
    for port in ports:
        probes: list[tuple[Source, Destination]] = [
            (pod, WORLD_ADDRESS),
            (pod, UNPOLICED),
            (UNPOLICED, pod),
            (Entity("world"), pod),
        ]
        for source, destination in probes:
            result = verdict(policies, source, destination, port, "TCP", cluster)
            if result.allowed:
                found.append(f"{source.ref} -> {destination.ref} {port}/TCP allowed ({result.reason})")
    return found


def uncovered_namespaces(graph: Graph, exempt: Mapping[str, str] = SYSTEM_NAMESPACES) -> list[str]:
    """Namespaces whose pods are not sealed by default and that are not exempt with a stated reason."""
    labels = namespace_labels(graph.manifests())
    problems = []
    for name in sorted(_candidates(graph)):
        if exempt.get(name, "").strip():
            continue
        if leaks(graph, Pod("probe", name, {}, dict(labels.get(name, {})), origin="probe")):
            problems.append(name)
    return problems


def unexplained_exemptions(graph: Graph, exempt: Mapping[str, str] = SYSTEM_NAMESPACES) -> list[str]:
    """Open namespaces that a default-deny policy leaves out by name, without a recorded reason."""
    named = _candidates(graph) - {n["metadata"]["name"] for n in namespaces(graph)}
    left_out = {name for name in _candidates(graph) if name in named or _listed(graph, name)}
    return [name for name in uncovered_namespaces(graph, exempt) if name in left_out]


def _listed(graph: Graph, name: str) -> bool:
    return any(
        name in (expression.get("values") or [])
        for policy in graph.manifests()
        if policy.get("kind") == "CiliumClusterwideNetworkPolicy"
        for expression in (policy.get("spec") or {}).get("endpointSelector", {}).get("matchExpressions", [])
    )


def leaking_pods(graph: Graph, exempt: Mapping[str, str] = SYSTEM_NAMESPACES) -> dict[str, list[str]]:
    """Each real or spawned pod (outside exempt namespaces) that sends or receives on an undeclared port."""
    return {pod.ref: found for pod in population(graph) if pod.namespace not in exempt and (found := leaks(graph, pod))}


def isolation_rows(graph: Graph) -> list[Row]:
    """Required denies of the matrix that concern projects or workspaces."""
    return [
        row
        for row in evaluate(graph)
        if row.expect == "deny"
        and any(
            part.startswith("project-") or "jupyter-" in part or part == "workspace" for part in (row.source, row.destination)
        )
    ]


def unisolated_projects(graph: Graph) -> list[str]:
    """Project namespaces where a required deny does not hold (or examined no pod)."""
    failing = {
        part.split("/")[0]
        for row in isolation_rows(graph)
        if not row.ok
        for part in (row.source, row.destination)
        if part.startswith("project-")
    }
    return sorted(failing)
