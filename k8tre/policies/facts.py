"""Reading the facts rules need out of a graph, the same way for offline renders and CrossGuard."""

from __future__ import annotations

from typing import Any

from ..offline.graph import Graph, RecordedResource, Secret

ENVIRONMENT_LABEL = "k8tre.io/environment"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


def environment(graph: Graph) -> str:
    """The environment the graph deploys, from the label every namespace the program creates carries."""
    for resource in graph.resources:
        if resource.type == "kubernetes:core/v1:Namespace":
            labels = (resource.inputs.get("metadata") or {}).get("labels") or {}
            if ENVIRONMENT_LABEL in labels:
                return str(labels[ENVIRONMENT_LABEL])
    return "unknown"


def is_prod(graph: Graph) -> bool:
    """Production is held to the strictest rules; an unknown environment is treated as prod."""
    return environment(graph) in ("prod", "unknown")


def plain(value: Any) -> Any:
    """The value with secrets unwrapped (for rules that read settings, never for output)."""
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def releases(graph: Graph, chart: str | None = None) -> list[RecordedResource]:
    """Helm releases, optionally of one chart."""
    return [r for r in graph.of_type(HELM_RELEASE) if chart is None or r.inputs.get("chart") == chart]


def objects(graph: Graph, kind: str) -> list[RecordedResource]:
    """Kubernetes objects of one kind."""
    return [r for r in graph.kubernetes_objects() if r.inputs.get("kind") == kind]


def managed_clusters(graph: Graph) -> list[RecordedResource]:
    """AKS clusters, whichever API version (stable or preview) declared them."""
    return [
        r for r in graph.resources if r.type.startswith("azure-native:containerservice") and r.type.endswith(":ManagedCluster")
    ]
