"""Check a whole render against the upstream schemas: every object, every chart's values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import chart_lock
from ..agnostics.argocd import FREE_FORM_VALUES as ARGOCD_FREE_FORM
from ..agnostics.cert_manager import FREE_FORM_VALUES as CERT_MANAGER_FREE_FORM
from ..agnostics.external_secrets import FREE_FORM_VALUES as EXTERNAL_SECRETS_FREE_FORM
from ..infrastructure.cilium import FREE_FORM_VALUES as CILIUM_FREE_FORM
from .graph import Graph
from .helm_values import deep_merge, validate_helm_values
from .schemas import all_errors, plain_data, schema_dir, validate_manifest

FREE_FORM: Mapping[str, tuple[str, ...]] = {
    "argo-cd": ARGOCD_FREE_FORM,
    "cilium": CILIUM_FREE_FORM,
    "cert-manager": CERT_MANAGER_FREE_FORM,
    "external-secrets": EXTERNAL_SECRETS_FREE_FORM,
    # z2jh passes hub.config straight to JupyterHub's traitlets: its keys are JupyterHub classes.
    "jupyterhub": ("hub.config",),
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
        problems = _values_problems(chart, version, values, FREE_FORM.get(chart, ()))
        errors += [f"{where}: {problem}" for problem in problems]
    return errors


def _values_problems(chart: str, version: str, values: Mapping[str, Any], free_form: tuple[str, ...]) -> list[str]:
    """A chart's values against its schema: the upstream copy in the schema directory, else the vendored archive.

    The schema directory holds copies for the charts it was seeded with; a chart vendored since carries the
    same files (``values.yaml``, ``values.schema.json``) in the archive the lock pins by digest, which is
    what Pulumi installs, so judging against it is judging against upstream.
    """
    if (schema_dir() / "helm" / chart).is_dir() or version not in chart_lock.locked_versions(chart):
        return validate_helm_values(chart, version, values, free_form=free_form)
    # Imported here: the workload checks import this module.
    from ..workload_checks.chart_values import chart_defaults, undeclared_values

    defaults = chart_defaults(chart_lock.verified_archive(chart_lock.archive(chart, version)))
    prefix = f"{chart}@{version}:"
    given = plain_data(values)
    errors: list[str] = []
    if defaults.schema is not None:
        import jsonschema  # type: ignore[import-untyped]

        cls = jsonschema.validators.validator_for(defaults.schema, default=jsonschema.Draft7Validator)
        errors += all_errors(cls(defaults.schema), deep_merge(defaults.values, given), prefix)
    unknown = undeclared_values(defaults, given, free_form)
    errors += [f"{prefix} {path}: key not in the chart's values.yaml or values.schema.json" for path in unknown]
    return errors
