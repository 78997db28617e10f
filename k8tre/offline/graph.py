"""The recorded resource graph: plain data that renders, tests and policies read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..chart_lock import chart_name
from .workloads import ExpandedRelease

SECRET_TEXT = "[secret]"  # noqa: S105 - the redaction marker, not a secret


@dataclass(frozen=True)
class Secret:
    """A value Pulumi marked secret; rendered as ``[secret]``, never as its content."""

    value: Any

    def __repr__(self) -> str:
        return "Secret([secret])"


@dataclass(frozen=True)
class Options:
    """The resource options that change how Pulumi treats a resource over its life."""

    protect: bool
    retain_on_delete: bool
    delete_before_replace: bool
    ignore_changes: tuple[str, ...]
    depends_on: tuple[str, ...]
    additional_secret_outputs: tuple[str, ...]
    aliases: tuple[str, ...]
    replace_on_changes: tuple[str, ...] = ()
    """Properties whose change Pulumi must plan as a replacement (e.g. a create-only setting)."""


@dataclass(frozen=True)
class RecordedResource:
    """One registered resource as the engine saw it."""

    urn: str
    type: str
    name: str
    parent: str
    provider: str
    """URN of the explicit provider ('' means the default provider)."""
    dependencies: tuple[str, ...]
    custom: bool
    inputs: dict[str, Any]
    options: Options
    id: str = ""
    """The physical ID the (mock) provider returned."""

    @property
    def is_component(self) -> bool:
        """True for component resources (no provider behind them)."""
        return not self.custom


@dataclass(frozen=True)
class RecordedInvoke:
    """One provider function call."""

    token: str
    args: dict[str, Any]
    provider: str


@dataclass
class Graph:
    """Everything one run of the program registered."""

    project: str
    stack: str
    resources: list[RecordedResource] = field(default_factory=list)
    invokes: list[RecordedInvoke] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    workloads: list[ExpandedRelease] = field(default_factory=list)
    """The charts expanded into what they install (empty until the render expands them)."""

    def get(self, urn: str) -> RecordedResource:
        """The resource with this URN."""
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise KeyError(urn)

    def of_type(self, *types: str) -> list[RecordedResource]:
        """Resources whose type token is one of ``types``."""
        return [r for r in self.resources if r.type in types]

    def named(self, name: str) -> RecordedResource:
        """The one resource with this logical name."""
        matches = [r for r in self.resources if r.name == name]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources are named {name!r}")
        return matches[0]

    def ancestors(self, resource: RecordedResource) -> Iterator[RecordedResource]:
        """Parent, grandparent, ... up to (not including) the stack."""
        by_urn = {r.urn: r for r in self.resources}
        parent = by_urn.get(resource.parent)
        while parent is not None and parent.type != "pulumi:pulumi:Stack":
            yield parent
            parent = by_urn.get(parent.parent)

    def kubernetes_objects(self) -> list[RecordedResource]:
        """Kubernetes resources that become objects in the cluster (not releases, not providers)."""
        return [
            r
            for r in self.resources
            if r.type.startswith("kubernetes:") and r.custom and not r.type.startswith("kubernetes:helm.sh/")
        ]

    def manifests(self) -> list[dict[str, Any]]:
        """Each Kubernetes object in native form, secrets shown as ``[secret]``."""
        return [manifest(r) for r in self.kubernetes_objects()]

    def helm_releases(self) -> list[dict[str, Any]]:
        """Each Helm release as ``{name, chart, repository, version, namespace, values}``."""
        return [helm_release(r) for r in self.of_type("kubernetes:helm.sh/v3:Release")]

    def to_json(self) -> dict[str, Any]:
        """The documented ``graph.json`` shape, secrets written as ``[secret]``."""
        return {
            "project": self.project,
            "stack": self.stack,
            "resources": [
                {
                    "urn": r.urn,
                    "type": r.type,
                    "name": r.name,
                    "parent": r.parent,
                    "provider": r.provider,
                    "dependencies": list(r.dependencies),
                    "custom": r.custom,
                    "inputs": redacted(r.inputs),
                    "options": {
                        "protect": r.options.protect,
                        "retainOnDelete": r.options.retain_on_delete,
                        "deleteBeforeReplace": r.options.delete_before_replace,
                        "ignoreChanges": list(r.options.ignore_changes),
                        "replaceOnChanges": list(r.options.replace_on_changes),
                        "dependsOn": list(r.options.depends_on),
                    },
                }
                for r in sorted(self.resources, key=lambda r: r.urn)
            ],
            "outputs": redacted(self.outputs),
        }


def redacted(value: Any) -> Any:
    """Plain data with every secret replaced by ``[secret]`` (nothing secret is revealed).

    A secret mapping keeps its keys (names, not values): pulumi-kubernetes marks a Secret's whole
    ``data``/``stringData`` secret, and the object must still have the shape its schema requires.
    """
    if isinstance(value, Secret):
        if isinstance(value.value, dict):
            return {key: SECRET_TEXT for key in value.value}
        return SECRET_TEXT
    if isinstance(value, dict):
        return {key: redacted(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redacted(item) for item in value]
    return value


def contains_secret(value: Any) -> bool:
    """True if any part of ``value`` is a Pulumi secret."""
    if isinstance(value, Secret):
        return True
    if isinstance(value, dict):
        return any(contains_secret(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return any(contains_secret(item) for item in value)
    return False


def manifest(resource: RecordedResource) -> dict[str, Any]:
    """A Kubernetes resource's inputs as the object the API server would receive."""
    data: dict[str, Any] = redacted(resource.inputs)
    ordered: dict[str, Any] = {key: data[key] for key in ("apiVersion", "kind", "metadata") if key in data}
    ordered.update({key: value for key, value in data.items() if key not in ordered})
    return ordered


def helm_release(resource: RecordedResource) -> dict[str, Any]:
    """A Helm release's identity and values."""
    inputs: dict[str, Any] = redacted(resource.inputs)
    return {
        "name": inputs.get("name", resource.name),
        # A vendored archive is named by its path; what the release installs is the chart it holds.
        "chart": chart_name(str(inputs["chart"])) if inputs.get("chart") else None,
        "archive": inputs["chart"] if str(inputs.get("chart", "")).endswith(".tgz") else None,
        "repository": (inputs.get("repositoryOpts") or {}).get("repo"),
        "version": inputs.get("version"),
        "namespace": inputs.get("namespace"),
        "values": inputs.get("values") or {},
    }
