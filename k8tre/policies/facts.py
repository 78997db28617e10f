"""Reading the facts rules need out of a graph, the same way for offline renders, reloaded renders and CrossGuard.

A value a rule cannot see is an :class:`Unknown`: a value Pulumi will only know after
the update (CrossGuard during ``pulumi preview``), or a secret whose content a reloaded
``graph.json`` redacted. An ``Unknown`` refuses to be compared, tested or read, raising
:class:`UnknownValue`; a rule judges each resource inside ``Evaluation.judging`` so that
the resource is reported as not judged instead of passing or failing on a guess.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NoReturn

from ..chart_lock import chart_name
from ..offline.graph import Graph, RecordedResource, Secret

ENVIRONMENT_LABEL = "k8tre.io/environment"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"


class UnknownValue(Exception):  # noqa: N818 - it is a value that cannot be read, not an error in the rule
    """A rule tried to read a value that is not known."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Unknown:
    """A value the rule cannot see; every use of it raises :class:`UnknownValue`."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def _refuse(self, *_: Any, **__: Any) -> NoReturn:
        raise UnknownValue(self.reason)

    __eq__ = __ne__ = __lt__ = __le__ = __gt__ = __ge__ = _refuse
    __bool__ = __len__ = __iter__ = __contains__ = __getitem__ = __str__ = __format__ = __int__ = _refuse
    __hash__ = None  # type: ignore[assignment]
    get = keys = items = values = startswith = endswith = split = _refuse

    def __repr__(self) -> str:
        return f"Unknown({self.reason})"


REDACTED = "the value is secret and graph.json redacts it"
"""Why a reloaded render cannot show a secret's content."""


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


def text(value: Any) -> str | None:
    """A string setting: the string, None when absent, :class:`UnknownValue` raised when it cannot be seen."""
    value = plain(value)
    if isinstance(value, Unknown):
        raise UnknownValue(value.reason)
    return value if isinstance(value, str) else None


def unknown_paths(value: Any, path: str = "") -> Iterator[str]:
    """Where under ``value`` something is not known (to say so per resource)."""
    if isinstance(value, Unknown):
        yield path or "(whole value)"
    elif isinstance(value, Secret):
        yield from unknown_paths(value.value, path)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from unknown_paths(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from unknown_paths(item, f"{path}[{index}]")


def releases(graph: Graph, chart: str | None = None) -> list[RecordedResource]:
    """Helm releases, optionally of one chart."""
    return [r for r in graph.of_type(HELM_RELEASE) if chart is None or chart_name(str(r.inputs.get("chart", ""))) == chart]


def objects(graph: Graph, kind: str) -> list[RecordedResource]:
    """Kubernetes objects of one kind."""
    return [r for r in graph.kubernetes_objects() if r.inputs.get("kind") == kind]


def managed_clusters(graph: Graph) -> list[RecordedResource]:
    """AKS clusters, whichever API version (stable or preview) declared them."""
    return [
        r for r in graph.resources if r.type.startswith("azure-native:containerservice") and r.type.endswith(":ManagedCluster")
    ]
