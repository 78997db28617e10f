"""Pinned versions of every chart the program installs: the one place they live.

A stack may override a pin (``k8tre:versions.charts``); promotion dev -> stg -> prod
is then a reviewed change of the stack files. Each pin is an exact version, never a
range, so that what was reviewed is what is deployed (SATRE 2.4.02).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal
from urllib.parse import urlparse

ChartName = Literal["cilium", "cert-manager", "argo-cd", "jupyterhub"]
"""The charts the program knows how to configure."""


@dataclass(frozen=True)
class ChartPin:
    """Where a Helm chart comes from and which exact version is installed."""

    chart: str
    """The chart's name in its repository."""
    repository: str
    """The Helm repository URL."""
    version: str
    """The exact chart version."""

    def with_version(self, version: str | None) -> ChartPin:
        """Return this pin, or a copy at ``version`` when a stack overrides it."""
        if version is None or version == self.version:
            return self
        return ChartPin(self.chart, self.repository, version)


CHARTS: Final[dict[ChartName, ChartPin]] = {
    "cilium": ChartPin("cilium", "https://helm.cilium.io/", "1.19.6"),
    "cert-manager": ChartPin("cert-manager", "https://charts.jetstack.io", "v1.21.1"),
    "argo-cd": ChartPin("argo-cd", "https://argoproj.github.io/argo-helm", "10.1.1"),
    "jupyterhub": ChartPin("jupyterhub", "https://hub.jupyter.org/helm-chart/", "4.3.2"),
}

K3S_DEFAULT_VERSION: Final = "v1.33.5+k3s1"
"""The K3s release installed on machines when a stack does not choose one."""


def chart(name: ChartName, overrides: Mapping[ChartName, str]) -> ChartPin:
    """The pin for ``name``, with this stack's override applied."""
    return CHARTS[name].with_version(overrides.get(name))


GATEWAY_API_VERSION: Final = "v1.4.1"
"""Gateway API CRD release installed before Cilium: the release Cilium 1.19's Gateway controller implements."""
GATEWAY_API_MANIFESTS: Final = (
    f"https://github.com/kubernetes-sigs/gateway-api/releases/download/{GATEWAY_API_VERSION}/standard-install.yaml",
    # TLSRoute is still experimental in this release and Cilium's controller watches it.
    "https://raw.githubusercontent.com/kubernetes-sigs/gateway-api/"
    f"{GATEWAY_API_VERSION}/config/crd/experimental/gateway.networking.k8s.io_tlsroutes.yaml",
)
"""Pinned manifests of the Gateway API CRDs."""


def application_sources() -> tuple[str, ...]:
    """Hosts Argo CD may fetch from: the pinned charts' repositories and GitHub (Git sources, chart files)."""
    hosts = {urlparse(pin.repository).hostname or "" for pin in CHARTS.values()}
    return tuple(sorted(hosts | {"github.com", "*.githubusercontent.com"}))
