"""The project's stacks with their certificate or DNS settings changed, rendered once per session.

dev, aws-dev and k3s-dev issue self-signed certificates; the ACME variants show each cloud's
DNS-01 solver, and ``k3s-dev`` without ``cluster.rfc2136`` shows the platform with no zone at all.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from conftest import ROOT, stack_file
from k8tre.offline.engine import resolve, run
from k8tre.offline.graph import Graph

_graphs: dict[str, Graph] = {}
_dir = Path(tempfile.mkdtemp(prefix="k8tre-dns-variants-"))


def _acme(config: dict[str, Any]) -> None:
    # Only the issuer changes: the stack's other agnostics settings (its alert receivers) stay as they are.
    config.setdefault("k8tre:agnostics", {})["certManager"] = {
        "issuer": "letsencrypt-staging",
        "acmeEmail": "tre-platform@example.org",
    }


def _no_site_dns(config: dict[str, Any]) -> None:
    config["k8tre:cluster"].pop("rfc2136")
    config.pop("k8tre:rfc2136TsigSecret")


VARIANTS: dict[str, Callable[[dict[str, Any]], None]] = {"acme": _acme, "no-site-dns": _no_site_dns}


def variant(stack: str, change: str) -> Graph:
    """The graph of ``stack`` with one of :data:`VARIANTS` applied to its stack file."""
    key = f"{stack}-{change}"
    if key not in _graphs:
        document = yaml.safe_load(stack_file(stack).path.read_text())
        changed = copy.deepcopy(document)
        VARIANTS[change](changed["config"])
        path = _dir / f"Pulumi.{key}.yaml"
        path.write_text(yaml.safe_dump(changed, sort_keys=False))
        _graphs[key] = run(resolve(str(path), ROOT))
    return _graphs[key]


def objects(graph: Graph, kind: str) -> list[dict[str, Any]]:
    """The rendered Kubernetes objects of one kind."""
    return [m for m in graph.manifests() if m.get("kind") == kind]


def release_values(graph: Graph, chart: str) -> dict[str, Any] | None:
    """The values of the one release of ``chart``, or None when the stack does not install it."""
    found = [r["values"] for r in graph.helm_releases() if r["chart"] == chart]
    return found[0] if found else None
