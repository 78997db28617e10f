"""Writing a recorded graph to disk: graph.json, one file per Kubernetes object and per Helm release."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .graph import Graph

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
        (out / "manifests" / manifest_filename(obj)).write_text(_yaml(obj), encoding="utf-8")
    for release in graph.helm_releases():
        filename = f"{_slug(str(release['namespace']))}-{_slug(str(release['name']))}.yaml"
        (out / "helm" / filename).write_text(_yaml(release), encoding="utf-8")


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


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
