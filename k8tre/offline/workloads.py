"""What the cluster will really run: each Helm chart expanded with the program's values.

The engine records what the program declares (a ``helm.v3.Release``, an Argo CD
``Application``); the chart expansion (``k8tre.offline.expand``) turns each into the
objects its templates produce. This module is only the shape that hand-off takes, so that
the expansion, the checks (Pod Security, AppProject permissions, images, checkov) and the
flow evaluator agree on it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ReleaseSource = Literal["helm-release", "argocd-application"]
"""Who installs the chart: Pulumi (a Helm release) or Argo CD (an Application)."""


@dataclass(frozen=True)
class ExpandedRelease:
    """One chart as it will be installed: the objects its templates render with the program's values."""

    name: str
    """The Helm release name."""
    namespace: str
    """The namespace the release is installed into (objects without one land here)."""
    chart: str
    """The chart's name."""
    version: str
    """The exact chart version expanded."""
    source: ReleaseSource
    """Whether Pulumi or Argo CD installs it."""
    owner_urn: str
    """URN of the ``helm.v3.Release`` or Argo CD ``Application`` resource it expands."""
    project: str | None = None
    """The Argo CD ``AppProject`` of an Application (None for Helm releases)."""
    objects: tuple[dict[str, Any], ...] = field(default=())
    """Every rendered object (CRDs and subcharts included, test hooks excluded), namespace filled in."""
