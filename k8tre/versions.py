"""Pinned versions of every chart the program installs, as the chart lock records them.

The pins live in one place, ``charts/lock.yaml`` (with the digest of each vendored
archive); this module reads them from there. A stack may override a pin
(``k8tre:versions.charts``) to another locked version; promotion dev -> stg -> prod is
then a reviewed change of the stack files. Each pin is an exact version, never a range,
so that what was reviewed is what is deployed (SATRE 2.4.02).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal, get_args
from urllib.parse import urlparse

from . import chart_lock

ChartName = Literal[
    "cilium",
    "cert-manager",
    "argo-cd",
    "jupyterhub",
    "keycloakx",
    "external-secrets",
    "external-dns",
    "cloudnative-pg",
    "plugin-barman-cloud",
    "seaweedfs",
    "kube-prometheus-stack",
    "victoria-logs-single",
    "fluent-bit",
    "opencost",
    "velero",
    "longhorn",
    "aws-ebs-csi-driver",
    "aws-efs-csi-driver",
    "aws-load-balancer-controller",
]
"""The charts the program knows how to configure."""

APPLICATION_CHARTS: Final[tuple[ChartName, ...]] = ("jupyterhub", "keycloakx")
"""Charts delivered as Argo CD Applications (Argo CD fetches them itself); Pulumi installs every other chart."""

ChartSource = Literal["vendored", "upstream"]
"""Where Pulumi's Helm releases take a chart from: the reviewed archive in ``charts/``, or the upstream repository."""


@dataclass(frozen=True)
class ChartPin:
    """Where a Helm chart comes from and which exact version is installed."""

    chart: str
    """The chart's name in its repository."""
    repository: str
    """The Helm repository URL."""
    version: str
    """The exact chart version."""
    source: ChartSource = "upstream"
    """Where a Helm release Pulumi installs takes the chart from (Argo CD always names the repository)."""

    def with_version(self, version: str | None) -> ChartPin:
        """Return this pin, or a copy at ``version`` when a stack overrides it."""
        if version is None or version == self.version:
            return self
        return ChartPin(self.chart, self.repository, version, self.source)

    def archive(self) -> Path:
        """The vendored archive of this exact version, its digest checked against the lock."""
        return chart_lock.verified_archive(chart_lock.archive(self.chart, self.version))


def _pins() -> dict[ChartName, ChartPin]:
    lock = chart_lock.load()
    names: tuple[ChartName, ...] = get_args(ChartName)
    missing = sorted(set(names) - set(lock.charts))
    if missing:
        raise chart_lock.ChartLockError(f"{chart_lock.LOCK_FILE} has no entry for {missing}")
    return {name: ChartPin(name, lock.charts[name].repository, lock.charts[name].pin) for name in names}


CHARTS: Final[dict[ChartName, ChartPin]] = _pins()
"""Each chart's upstream repository and pinned version, from the lock."""

# A maintained minor (Kubernetes 1.35; 1.33 ended upstream in June 2026 and its last K3s releases ship runc with
# CVE-2025-31133, -52565, -52881): k3s-io/k3s pull request #14544, "[release-1.35] Update to v1.35.8-k3s1".
K3S_DEFAULT_VERSION: Final = "v1.35.8+k3s1"
"""The K3s release installed on machines when a stack does not choose one."""


def chart(name: ChartName, overrides: Mapping[ChartName, str], source: ChartSource = "vendored") -> ChartPin:
    """The pin for ``name``, with this stack's override applied, installed from ``source``."""
    pin = CHARTS[name].with_version(overrides.get(name))
    return pin if source == pin.source else ChartPin(pin.chart, pin.repository, pin.version, source)


GATEWAY_API_VERSION: Final = chart_lock.load().manifests["gateway-api"][0]
"""Gateway API CRD release installed before Cilium: the release Cilium 1.19's Gateway controller implements."""


def gateway_api_manifests() -> tuple[Path, ...]:
    """The vendored Gateway API CRD manifests (standard channel, plus the experimental TLSRoute), digests checked."""
    return chart_lock.manifest_files("gateway-api")[1]


def application_sources() -> tuple[str, ...]:
    """Hosts Argo CD may fetch from: the repositories of the charts it delivers and GitHub (Git sources, chart files).

    Only the application charts: the platform's own charts are installed by Pulumi from the
    vendored archives, so Argo CD has no reason to reach their repositories.
    """
    hosts = {urlparse(CHARTS[name].repository).hostname or "" for name in APPLICATION_CHARTS}
    return tuple(sorted(hosts | {"github.com", "*.githubusercontent.com"}))
