"""Check a whole render against the upstream schemas: every object, every chart's values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..agnostics.argocd import FREE_FORM_VALUES as ARGOCD_FREE_FORM
from ..agnostics.cert_manager import FREE_FORM_VALUES as CERT_MANAGER_FREE_FORM
from ..agnostics.seaweedfs import FREE_FORM_VALUES as SEAWEEDFS_FREE_FORM
from ..agnostics.velero_values import FREE_FORM_VALUES as VELERO_FREE_FORM
from ..infrastructure.cilium import FREE_FORM_VALUES as CILIUM_FREE_FORM
from ..versions import CHARTS
from .graph import Graph
from .helm_values import validate_helm_values
from .schemas import validate_manifest

FREE_FORM: Mapping[str, tuple[str, ...]] = {
    "argo-cd": ARGOCD_FREE_FORM,
    "cilium": CILIUM_FREE_FORM,
    "cert-manager": CERT_MANAGER_FREE_FORM,
    # z2jh passes hub.config straight to JupyterHub's traitlets: its keys are JupyterHub classes.
    "jupyterhub": ("hub.config",),
    "seaweedfs": SEAWEEDFS_FREE_FORM,
    "velero": VELERO_FREE_FORM,
}
"""Per chart, value maps whose children are not chart keys (so not in the chart's values.yaml)."""


def helm_sources(graph: Graph) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(where, chart, version, values) for each Helm release and each Argo CD Application of a chart."""
    sources = [
        (f"helm release {r['namespace']}/{r['name']}", str(r["chart"]), str(r["version"]), r["values"])
        for r in graph.helm_releases()
    ]
    for obj in graph.manifests():
        if obj.get("kind") != "Application" or not obj.get("apiVersion", "").startswith("argoproj.io/"):
            continue
        source = obj["spec"].get("source") or {}
        if "chart" in source:
            values = (source.get("helm") or {}).get("valuesObject") or {}
            where = f"application {obj['metadata']['name']}"
            sources.append((where, source["chart"], source["targetRevision"], values))
    return sources


def validate_render(graph: Graph, kubernetes_version: str) -> list[str]:
    """Every schema error in the render; raises ``SchemaMissingError`` when a needed schema is absent."""
    errors: list[str] = []
    for obj in graph.manifests():
        errors += validate_manifest(obj, kubernetes_version)
    for where, chart, version, values in helm_sources(graph):
        # A vendored chart without a copy in the shared schema directory is judged from its own archive
        # (values.yaml and values.schema.json) by the workload checks' chart-values rule.
        problems = validate_helm_values(chart, version, values, require=chart not in CHARTS, free_form=FREE_FORM.get(chart, ()))
        errors += [f"{where}: {problem}" for problem in problems]
    return errors
