"""What waits for what during ``pulumi up``, read from a render's ``graph.json``.

Pulumi starts a resource once everything it waits for has been created (Pulumi docs, "Resource
options: dependsOn"; the engine runs independent steps in parallel, ``--parallel`` unbounded by
default). A custom resource waits for:

- each URN in its ``dependencies``: what the SDK sent with the registration, i.e. the resources its
  inputs' Outputs came from and its ``dependsOn``, a component expanded to its custom descendants
  (the Python SDK's ``_expand_dependencies``);
- its provider, when it names an explicit one (the provider needs the cluster's kubeconfig);
- its parent, when the parent is a custom resource (the child is registered with the parent's URN,
  which the SDK has only once the parent is created). Component parents cost nothing.

Components do no work of their own, so only custom resources are nodes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

RELEASE_TYPE = "kubernetes:helm.sh/v3:Release"
APPLICATION_TYPE = "kubernetes:argoproj.io/v1alpha1:Application"


@dataclass(frozen=True)
class Node:
    """One custom resource of the graph."""

    urn: str
    type: str
    name: str
    inputs: Mapping[str, Any]


def _provider_urn(reference: str, known: Mapping[str, Any]) -> str:
    # A provider reference is a URN, or "<urn>::<id>" as the engine writes it; URNs contain "::" themselves.
    if not reference or reference in known:
        return reference
    return reference.rsplit("::", 1)[0]


def wait_graph(graph: Mapping[str, Any]) -> tuple[dict[str, Node], dict[str, set[str]]]:
    """The custom resources by URN, and for each the URNs it waits for directly."""
    resources = {r["urn"]: r for r in graph["resources"]}
    nodes = {urn: Node(urn, r["type"], r["name"], r.get("inputs") or {}) for urn, r in resources.items() if r.get("custom")}
    children: dict[str, list[str]] = {}
    for urn, r in resources.items():
        children.setdefault(r.get("parent") or "", []).append(urn)

    def custom_descendants(urn: str) -> set[str]:
        found: set[str] = set()
        for child in children.get(urn, ()):
            found |= {child} if child in nodes else custom_descendants(child)
        return found

    waits: dict[str, set[str]] = {}
    for urn in nodes:
        r = resources[urn]
        direct = set(r.get("dependencies") or ()) | set((r.get("options") or {}).get("dependsOn") or ())
        direct.add(_provider_urn(r.get("provider") or "", resources))
        direct.add(r.get("parent") or "")
        expanded: set[str] = set()
        for target in direct:
            if target in nodes:
                expanded.add(target)
            elif target in resources and target != r.get("parent"):
                expanded |= custom_descendants(target)
        waits[urn] = expanded - {urn}
    return nodes, waits


def transitive(waits: Mapping[str, set[str]]) -> dict[str, frozenset[str]]:
    """For each resource, everything it waits for directly or through others; a cycle is an error.

    Pulumi cannot deploy a cycle (each resource would wait for itself), so one is reported by name.
    """
    done: dict[str, frozenset[str]] = {}
    visiting: list[str] = []

    def closure(urn: str) -> frozenset[str]:
        if urn in done:
            return done[urn]
        if urn in visiting:
            raise ValueError("dependency cycle: " + " -> ".join([*visiting[visiting.index(urn) :], urn]))
        visiting.append(urn)
        found: set[str] = set()
        for target in waits.get(urn, ()):
            found |= {target} | closure(target)
        visiting.pop()
        done[urn] = frozenset(found)
        return done[urn]

    return {urn: closure(urn) for urn in waits}


def longest_path(
    waits: Mapping[str, set[str]], duration: Mapping[str, float], settles: Mapping[str, float] | None = None
) -> tuple[float, list[str]]:
    """The chain of waits that ends last: the earliest the environment can be ready.

    ``duration`` is what Pulumi waits for before starting what depends on a resource; ``settles`` is
    the time a resource then needs to become ready that Pulumi does not wait for (a custom resource
    such as a Certificate or an Argo CD Application): it delays the end, not its dependents.
    Returns the total and the chain from the first resource to the last.
    """
    settles = settles or {}

    @cache
    def created(urn: str) -> tuple[float, tuple[str, ...]]:
        before = max((created(target) for target in waits.get(urn, ())), default=(0.0, ()))
        return before[0] + duration.get(urn, 0.0), (*before[1], urn)

    ends = [(created(urn)[0] + settles.get(urn, 0.0), created(urn)[1]) for urn in waits]
    best = max(ends, default=(0.0, ()))
    return best[0], list(best[1])


def chart_of(node: Node) -> str:
    """The chart a Helm release or Argo CD Application installs ('' for anything else)."""
    if node.type == RELEASE_TYPE:
        chart = str(node.inputs.get("chart") or "")
        # A vendored archive is named charts/<chart>-<version>.tgz.
        base = chart.rsplit("/", 1)[-1].removesuffix(".tgz")
        version = str(node.inputs.get("version") or "")
        return base.removesuffix(f"-{version}") if version else base
    if node.type == APPLICATION_TYPE:
        return str((((node.inputs.get("spec") or {}).get("source")) or {}).get("chart") or node.name)
    return ""


def chained_releases(
    nodes: Mapping[str, Node], waits: Mapping[str, set[str]], allowed: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """``(release, release it waits for)`` by chart, for each chain of releases not in ``allowed``.

    ``allowed`` holds ``(chart, chart it may wait for)`` pairs; ``*`` as the first matches any chart.
    """
    closure = transitive(waits)
    installs = {urn: chart_of(node) for urn, node in nodes.items() if node.type in (RELEASE_TYPE, APPLICATION_TYPE)}
    found = []
    for urn, chart in installs.items():
        for target in closure[urn]:
            needed = installs.get(target)
            if needed is not None and (chart, needed) not in allowed and ("*", needed) not in allowed:
                found.append((chart, needed))
    return sorted(set(found))
