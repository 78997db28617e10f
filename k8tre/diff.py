"""What differs between two environments: the view a promotion pull request needs (``k8tre diff STACK_A STACK_B``).

Five views, each a flat mapping from a stable key to a printable value, compared key by key: the stack's
configuration (normalised through the validated model, so layout, key order and defaults spelt out or left out
do not count; a secret shows only whether it is set), chart and application versions, source revisions, each
rendered Application's spec, and a summary of the expanded workloads (kind, namespace and name; images and
replicas). Everything comes from renders, whose secrets are already ``[secret]``: nothing secret can be printed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import yaml

from .config import K8treConfig
from .offline.graph import Graph
from .workload_checks.pods import containers, pod_template

View = dict[str, str]


@dataclass(frozen=True)
class Environment:
    """One side of the comparison: a rendered stack, and its validated config when it came from a stack file."""

    name: str
    graph: Graph
    config: K8treConfig | None = None


@dataclass(frozen=True)
class Change:
    """One key whose value was added, removed or changed from A to B."""

    key: str
    kind: Literal["added", "removed", "changed"]
    before: str | None
    after: str | None


@dataclass(frozen=True)
class Section:
    """One view's changes."""

    title: str
    changes: tuple[Change, ...]
    detail: tuple[str, ...] = ()
    """Unified-diff lines, where a value is a document (Application specs)."""


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """``(dotted.key, value)`` for every leaf; lists are indexed, scalars printed as YAML would."""
    if isinstance(value, Mapping):
        for key in sorted(value, key=str):
            yield from flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, (list, tuple)):
        if not value:
            yield prefix, "[]"
        for index, item in enumerate(value):
            yield from flatten(item, f"{prefix}[{index}]")
    else:
        yield prefix, "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def config_view(config: K8treConfig) -> View:
    """The validated configuration, defaults included; a secret key shows only ``set``."""
    data = config.model_dump(mode="python", by_alias=True, exclude={"secrets"})
    view = dict(flatten(data))
    for _field, ref in config.secrets:
        if ref is not None:
            view[f"secrets.{ref.key}"] = "set"  # never the value: the model holds only the key's name anyway
    return view


def _registration_prefix(graph: Graph) -> str:
    registration = graph.outputs.get("registration")
    return f"{registration}-" if isinstance(registration, str) else ""


def applications(graph: Graph) -> dict[str, dict[str, Any]]:
    """Each rendered Argo CD Application by name (a shared Argo CD's environment prefix removed, so they line up)."""
    prefix = _registration_prefix(graph)
    found = {}
    for obj in graph.manifests():
        if obj.get("kind") == "Application":
            name = str(obj["metadata"]["name"])
            found[name.removeprefix(prefix) if prefix else name] = obj
    return found


def _sources(spec: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [spec["source"]] if isinstance(spec.get("source"), Mapping) else list(spec.get("sources") or [])


def versions_view(graph: Graph) -> View:
    """Chart versions of every Helm release Pulumi installs and every Application Argo CD delivers."""
    view = {f"release {r['namespace']}/{r['name']}": f"{r['chart']} {r['version']}" for r in graph.helm_releases()}
    for name, app in applications(graph).items():
        for index, source in enumerate(_sources(app.get("spec") or {})):
            what = source.get("chart") or source.get("path") or source.get("repoURL")
            view[f"application {name} source[{index}]"] = f"{what} {source.get('targetRevision', 'HEAD')}"
    return view


def revisions_view(graph: Graph) -> View:
    """Where each Application's sources come from and at which revision (a branch, tag, commit or chart version)."""
    view = {}
    for name, app in applications(graph).items():
        for index, source in enumerate(_sources(app.get("spec") or {})):
            view[f"{name} source[{index}]"] = f"{source.get('repoURL')} @ {source.get('targetRevision', 'HEAD')}"
    return view


def application_specs(graph: Graph) -> dict[str, str]:
    """Each Application's spec as sorted YAML: the text a reviewer compares."""
    return {name: yaml.safe_dump(app.get("spec") or {}, sort_keys=True) for name, app in applications(graph).items()}


def workloads_view(graph: Graph) -> View:
    """Every object the charts expand into: its identity, and for workloads their images and replicas."""
    view = {}
    for release in graph.workloads:
        for obj in release.objects:
            metadata = obj.get("metadata") or {}
            key = f"{obj.get('kind')} {metadata.get('namespace') or release.namespace}/{metadata.get('name')}"
            template = pod_template(obj)
            if template is None:
                view[key] = "present"
                continue
            # Images and replicas as keys of their own: a change reads "replicas 1 -> 2", not two long lines.
            view[f"{key} images"] = ", ".join(sorted({str(c.get("image")) for _, c in containers(template.spec)}))
            replicas = (obj.get("spec") or {}).get("replicas")
            view[f"{key} replicas"] = str(replicas) if replicas is not None else "default"
    return view


def compare(before: Mapping[str, str], after: Mapping[str, str]) -> tuple[Change, ...]:
    """Keys added, removed or changed from ``before`` to ``after``, sorted by key."""
    changes = []
    for key in sorted(set(before) | set(after)):
        if key not in after:
            changes.append(Change(key, "removed", before[key], None))
        elif key not in before:
            changes.append(Change(key, "added", None, after[key]))
        elif before[key] != after[key]:
            changes.append(Change(key, "changed", before[key], after[key]))
    return tuple(changes)


def _spec_section(a: Environment, b: Environment) -> Section:
    before, after = application_specs(a.graph), application_specs(b.graph)
    changes = compare(before, after)
    detail: list[str] = []
    for change in changes:
        lines = difflib.unified_diff(
            (change.before or "").splitlines(),
            (change.after or "").splitlines(),
            f"{a.name}: {change.key}",
            f"{b.name}: {change.key}",
            lineterm="",
        )
        detail.extend(lines)
    # The specs are documents: the changes list names the Application, the detail shows the lines.
    named = tuple(Change(c.key, c.kind, None, None) for c in changes)
    return Section("Application specs", named, tuple(detail))


def diff(a: Environment, b: Environment) -> list[Section]:
    """Every view's changes from A to B (the config view only when both sides came from stack files)."""
    sections = []
    if a.config is not None and b.config is not None:
        sections.append(Section("Configuration", compare(config_view(a.config), config_view(b.config))))
    sections += [
        Section("Chart and application versions", compare(versions_view(a.graph), versions_view(b.graph))),
        Section("Source revisions", compare(revisions_view(a.graph), revisions_view(b.graph))),
        _spec_section(a, b),
        Section("Expanded workloads", compare(workloads_view(a.graph), workloads_view(b.graph))),
    ]
    return sections


def lines(sections: list[Section]) -> Iterator[str]:
    """The report as text: a heading per view with changes, ``+``/``-``/``~`` per key, then any document diffs."""
    for section in sections:
        if not section.changes:
            continue
        yield f"## {section.title} ({len(section.changes)})"
        for change in section.changes:
            if change.kind == "added":
                yield f"+ {change.key}" + (f": {change.after}" if change.after is not None else "")
            elif change.kind == "removed":
                yield f"- {change.key}" + (f": {change.before}" if change.before is not None else "")
            elif change.before is None:
                yield f"~ {change.key}"
            else:
                yield f"~ {change.key}: {change.before} -> {change.after}"
        yield from section.detail
