"""Writing a recorded graph to disk: graph.json, one file per Kubernetes object, per Helm release and per expanded object.

``workloads/<release>/`` holds what each chart renders (one file per object, named as in
``manifests/``) and ``_release.yaml``, the release's identity; :func:`load_workloads`
reads it back, so a render directory can be checked without running the program again.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .graph import Graph, redacted
from .workloads import ExpandedRelease

LAYERS = ("infrastructure", "agnostics", "applications")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-")


def manifest_filename(obj: dict[str, Any]) -> str:
    """``<kind>-<namespace>-<name>.yaml``; cluster-scoped objects use ``cluster`` as namespace."""
    metadata = obj.get("metadata") or {}
    namespace = metadata.get("namespace") or "cluster"
    return f"{_slug(obj.get('kind', 'object'))}-{_slug(namespace)}-{_slug(str(metadata.get('name', 'unnamed')))}.yaml"


def write(graph: Graph, out: Path) -> None:
    """Write the render into ``out``, replacing a previous render there."""
    out.mkdir(parents=True, exist_ok=True)
    for sub in ("manifests", "helm"):
        shutil.rmtree(out / sub, ignore_errors=True)
        (out / sub).mkdir()
    (out / "graph.json").write_text(json.dumps(graph.to_json(), indent=2, sort_keys=False) + "\n", encoding="utf-8")
    for obj in graph.manifests():
        (out / "manifests" / manifest_filename(obj)).write_text(_object_text(obj), encoding="utf-8")
    for release in graph.helm_releases():
        filename = f"{_slug(str(release['namespace']))}-{_slug(str(release['name']))}.yaml"
        (out / "helm" / filename).write_text(_yaml(release), encoding="utf-8")
    write_hub_firewall_rules(graph, out)


HUB_FIREWALL_RULES_FILE = "hub-firewall-rules.json"
"""The rule collection groups a hub owned elsewhere must apply (the stack output ``hubFirewallRules``), as a file."""


def write_hub_firewall_rules(graph: Graph, out: Path) -> None:
    """Hand the hub owner the exact ARM bodies to apply, as a reviewable file of the render (docs/azure.md).

    Written only when the stack does not own its firewall; a stale file from an earlier render is removed,
    so a file present always matches the stack that was rendered.
    """
    target = out / HUB_FIREWALL_RULES_FILE
    rules = graph.outputs.get("hubFirewallRules")
    if rules is None:
        target.unlink(missing_ok=True)
        return
    target.write_text(json.dumps(redacted(rules), indent=2) + "\n", encoding="utf-8")


RELEASE_FILE = "_release.yaml"
"""The file in each ``workloads/<release>/`` directory that names the release (it is not an object)."""


def write_workloads(graph: Graph, out: Path) -> None:
    """Write ``workloads/<release>/`` for each expanded release, and ``images.txt``, replacing previous ones."""
    shutil.rmtree(out / "workloads", ignore_errors=True)
    (out / "workloads").mkdir(parents=True)
    names = Counter(release.name for release in graph.workloads)
    for order, release in enumerate(graph.workloads):
        # Two releases may share a name in different namespaces; only then does the directory say which.
        directory = out / "workloads" / _slug(release.name if names[release.name] == 1 else f"{release.name}-{release.namespace}")
        directory.mkdir()
        files: list[str] = []
        for obj in release.objects:
            filename = manifest_filename(obj)
            while filename in files:  # the same object twice (a chart bug) must not overwrite the first
                filename = filename.removesuffix(".yaml") + "-again.yaml"
            files.append(filename)
            (directory / filename).write_text(_object_text(obj), encoding="utf-8")
        identity = {
            "name": release.name,
            "namespace": release.namespace,
            "chart": release.chart,
            "version": release.version,
            "source": release.source,
            "ownerUrn": release.owner_urn,
            "project": release.project,
            "order": order,
            "files": files,
        }
        (directory / RELEASE_FILE).write_text(_yaml(identity), encoding="utf-8")
    (out / "images.txt").write_text("".join(f"{image}\n" for image in images(graph)), encoding="utf-8")


def images(graph: Graph) -> list[str]:
    """Every container image the manifests and the expanded charts run, sorted, once each."""
    from ..workload_checks.images import images_in, spawned_images

    charts: list[tuple[str, Any]] = [(str(r["chart"]), r["values"]) for r in graph.helm_releases()]
    for application in (m for m in graph.manifests() if m.get("kind") == "Application"):
        source = (application.get("spec") or {}).get("source") or {}
        charts.append((str(source.get("chart", "")), (source.get("helm") or {}).get("valuesObject") or {}))
    # Notebook servers are started by JupyterHub at run time: their images are mirrored too.
    return sorted(set(images_in(graph.workloads, graph.manifests())) | set(spawned_images(charts)))


def load_workloads(out: Path) -> list[ExpandedRelease]:
    """The expanded releases of a render directory, as :func:`write_workloads` wrote them (empty if none)."""
    releases = []
    identities = [(path, _read_yaml(path)) for path in (out / "workloads").glob(f"*/{RELEASE_FILE}")]
    for identity_file, identity in sorted(identities, key=lambda item: int(item[1].get("order", 0))):
        objects = tuple(_read_yaml(identity_file.parent / name) for name in identity["files"])
        releases.append(
            ExpandedRelease(
                name=identity["name"],
                namespace=identity["namespace"],
                chart=identity["chart"],
                version=str(identity["version"]),
                source=identity["source"],
                owner_urn=identity["ownerUrn"],
                project=identity.get("project"),
                objects=objects,
            )
        )
    return releases


# libyaml's emitter and parser when PyYAML has them: the expanded charts hold megabytes of CRDs.
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_DUMPER, sort_keys=False, default_flow_style=False)


def _object_text(obj: dict[str, Any]) -> str:
    """An object's file: YAML, except a CustomResourceDefinition, written as JSON.

    JSON is YAML too (every YAML tool, kubectl and checkov read it), and the CRDs are
    megabytes of schema that PyYAML takes seconds to write and read back; nobody reviews
    them line by line, while every other object stays in the block style people read.
    """
    if obj.get("kind") == "CustomResourceDefinition":
        return json.dumps(obj, indent=2) + "\n"
    return _yaml(obj)


def _read_yaml(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    if text.startswith("{"):
        return json.loads(text)  # a CRD written by _object_text
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader


@dataclass(frozen=True)
class ComponentSummary:
    """One component and how many resources (by type) it owns, directly or through children."""

    layer: str
    type: str
    name: str
    counts: dict[str, int]


def summarise(graph: Graph) -> list[ComponentSummary]:
    """Per component under each layer: the cloud and Kubernetes resources it owns."""
    by_urn = {r.urn: r for r in graph.resources}
    owners: dict[str, Counter[str]] = {}
    for resource in graph.resources:
        if not resource.custom:
            continue
        chain = list(graph.ancestors(resource))
        # The component right under the layer owns everything beneath it.
        if len(chain) >= 2:
            owner = chain[-2].urn
        elif chain:
            owner = chain[-1].urn
        else:
            continue
        owners.setdefault(owner, Counter())[resource.type] += 1
    summaries = []
    for urn, counts in owners.items():
        component = by_urn[urn]
        layer = component.type.split(":")[1]
        summaries.append(ComponentSummary(layer, component.type.split(":")[-1], component.name, dict(counts)))
    return sorted(summaries, key=lambda s: (LAYERS.index(s.layer) if s.layer in LAYERS else 99, s.name))
