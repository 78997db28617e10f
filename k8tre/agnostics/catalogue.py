"""The agnostics catalogue: what each platform service gives the applications, and how each cloud provides it.

``docs/agnostics.md`` is generated from this table and from real renders of one stack per
cloud (``tests/agnostics/test_catalogue.py`` fails when the page is stale): the chart column comes
from the chart lock, and the per-cloud column is what each service's ``variant`` function
reads out of that cloud's render, not what this file claims.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..versions import CHARTS, ChartName

Render = Mapping[str, Sequence[Mapping[str, Any]]]
"""A render reduced to what a variant reads: ``manifests`` (Kubernetes objects) and ``releases`` (Helm releases)."""


@dataclass(frozen=True)
class ServiceEntry:
    """One platform service of the agnostics layer."""

    name: str
    """The service, as operators call it."""
    gives: str
    """What it gives the applications (one sentence)."""
    charts: tuple[ChartName, ...]
    """Charts it installs (empty for plain manifests)."""
    flows: str
    """Its declared flows, in short (the full list is in the flow matrix)."""
    variant: Callable[[Render], str]
    """Reads this service's per-cloud choice out of one cloud's render."""


def kinds(render: Render, kind: str) -> list[Mapping[str, Any]]:
    """The rendered objects of one kind."""
    return [m for m in render["manifests"] if m.get("kind") == kind]


def releases(render: Render, chart: str) -> list[Mapping[str, Any]]:
    """The rendered Helm releases of one chart."""
    return [r for r in render["releases"] if r.get("chart") == chart]


def _catalogue() -> list[ServiceEntry]:
    # Imported here: each service module imports the layer's other modules, and this table is
    # only needed by the documentation command and its test.
    from . import (
        admission,
        argocd,
        cert_manager,
        cloudnative_pg,
        costs,
        external_dns,
        external_secrets,
        gateway,
        logs,
        monitoring,
        network_policy,
        seaweedfs,
        storage,
        velero,
    )

    return [
        cert_manager.ENTRY,
        external_dns.ENTRY,
        argocd.ENTRY,
        gateway.ENTRY,
        network_policy.ENTRY,
        admission.ENTRY,
        storage.ENTRY,
        cloudnative_pg.ENTRY,
        monitoring.ENTRY,
        logs.ENTRY,
        costs.ENTRY,
        seaweedfs.ENTRY,
        velero.ENTRY,
        external_secrets.ENTRY,
    ]


def chart_versions(charts: Sequence[ChartName]) -> str:
    """``chart version`` of each chart, as pinned in the lock."""
    return "<br>".join(f"{name} {CHARTS[name].version}" for name in charts) or "manifests"


def markdown(renders: Mapping[str, Render]) -> str:
    """The table of ``docs/agnostics.md``: one row per service, one variant column per cloud render."""
    clouds = list(renders)
    head = ["Service", "Gives the applications", "Chart and version", *clouds, "Flows"]
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for entry in _catalogue():
        variants = [entry.variant(renders[cloud]) or "-" for cloud in clouds]
        row = [entry.name, entry.gives, chart_versions(entry.charts), *variants, entry.flows]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines) + "\n"
