"""Check a whole render against the upstream schemas: every object, every chart's values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..agnostics.argocd import FREE_FORM_VALUES as ARGOCD_FREE_FORM
from ..agnostics.cert_manager import FREE_FORM_VALUES as CERT_MANAGER_FREE_FORM
from ..agnostics.cloudnative_pg import FREE_FORM_VALUES as CNPG_FREE_FORM
from ..agnostics.storage_drivers import FREE_FORM_VALUES as STORAGE_FREE_FORM
from ..infrastructure.cilium import FREE_FORM_VALUES as CILIUM_FREE_FORM
from .graph import SECRET_TEXT, Graph, manifest
from .helm_values import validate_helm_values
from .schemas import validate_manifest

FREE_FORM: Mapping[str, tuple[str, ...]] = {
    "argo-cd": ARGOCD_FREE_FORM,
    "cilium": CILIUM_FREE_FORM,
    "cert-manager": CERT_MANAGER_FREE_FORM,
    # z2jh passes hub.config straight to JupyterHub's traitlets: its keys are JupyterHub classes.
    "jupyterhub": ("hub.config",),
    **STORAGE_FREE_FORM,
    "cloudnative-pg": CNPG_FREE_FORM,
    "plugin-barman-cloud": CNPG_FREE_FORM,
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


def _secret_shapes(obj: dict[str, Any]) -> dict[str, Any]:
    """A Secret whose whole ``data``/``stringData`` is a Pulumi secret, checked as an empty map.

    The SDK marks the whole map secret: its keys and values are not visible in a render, and the SDK types them
    as strings.
    """
    if obj.get("kind") == "Secret" and obj.get("apiVersion") == "v1":
        return {**obj, **{field: {} for field in ("data", "stringData") if obj.get(field) == SECRET_TEXT}}
    return obj


def validate_render(graph: Graph, kubernetes_version: str) -> list[str]:
    """Every schema error in the render; raises ``SchemaMissingError`` when a needed schema is absent."""
    errors: list[str] = []
    for resource in graph.kubernetes_objects():
        if resource.type.endswith("Patch"):
            continue  # a server-side apply patch names only the fields it sets: no full object to validate
        errors += validate_manifest(_secret_shapes(manifest(resource)), kubernetes_version)
    for where, chart, version, values in helm_sources(graph):
        problems = validate_helm_values(chart, version, values, free_form=FREE_FORM.get(chart, ()))
        errors += [f"{where}: {problem}" for problem in problems]
    return errors
