"""Check a whole render against the upstream schemas: every object, every chart's values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..agnostics.argocd import FREE_FORM_VALUES as ARGOCD_FREE_FORM
from ..agnostics.cert_manager import FREE_FORM_VALUES as CERT_MANAGER_FREE_FORM
from ..agnostics.cloudnative_pg import FREE_FORM_VALUES as CNPG_FREE_FORM
from ..agnostics.costs import FREE_FORM_VALUES as OPENCOST_FREE_FORM
from ..agnostics.external_secrets import FREE_FORM_VALUES as EXTERNAL_SECRETS_FREE_FORM
from ..agnostics.log_collector import FREE_FORM_VALUES as FLUENT_BIT_FREE_FORM
from ..agnostics.logs import FREE_FORM_VALUES as VICTORIA_LOGS_FREE_FORM
from ..agnostics.monitoring_values import FREE_FORM_VALUES as KUBE_PROMETHEUS_STACK_FREE_FORM
from ..agnostics.seaweedfs import FREE_FORM_VALUES as SEAWEEDFS_FREE_FORM
from ..agnostics.storage_drivers import FREE_FORM_VALUES as STORAGE_FREE_FORM
from ..agnostics.velero_values import FREE_FORM_VALUES as VELERO_FREE_FORM
from ..applications.keycloak_values import FREE_FORM_VALUES as KEYCLOAK_FREE_FORM
from ..infrastructure.aws.load_balancer_controller import FREE_FORM_VALUES as LB_CONTROLLER_FREE_FORM
from ..infrastructure.cilium import FREE_FORM_VALUES as CILIUM_FREE_FORM
from ..versions import CHARTS
from ..workload_checks.schemas import crd_validators
from .graph import SECRET_TEXT, Graph, manifest
from .helm_values import validate_helm_values
from .schemas import all_errors, is_custom_resource, plain_data, validate_manifest

FREE_FORM: Mapping[str, tuple[str, ...]] = {
    "argo-cd": ARGOCD_FREE_FORM,
    "cilium": CILIUM_FREE_FORM,
    "cert-manager": CERT_MANAGER_FREE_FORM,
    "kube-prometheus-stack": KUBE_PROMETHEUS_STACK_FREE_FORM,
    "victoria-logs-single": VICTORIA_LOGS_FREE_FORM,
    "fluent-bit": FLUENT_BIT_FREE_FORM,
    "opencost": OPENCOST_FREE_FORM,
    "external-secrets": EXTERNAL_SECRETS_FREE_FORM,
    # z2jh passes hub.config straight to JupyterHub's traitlets: its keys are JupyterHub classes.
    "jupyterhub": ("hub.config",),
    **STORAGE_FREE_FORM,
    "cloudnative-pg": CNPG_FREE_FORM,
    "plugin-barman-cloud": CNPG_FREE_FORM,
    "seaweedfs": SEAWEEDFS_FREE_FORM,
    "velero": VELERO_FREE_FORM,
    "aws-load-balancer-controller": LB_CONTROLLER_FREE_FORM,
    "keycloakx": KEYCLOAK_FREE_FORM,
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


def _without_redacted_data(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """The object, less a Secret's ``data``/``stringData`` that Pulumi holds as one secret.

    pulumi-kubernetes marks both maps secret wholesale; their content is unknowable offline, and the
    provider's typed arguments (``Mapping[str, str]``) already fix their shape. Nothing else is skipped.
    """
    if obj.get("kind") != "Secret" or obj.get("apiVersion") != "v1":
        return obj
    return {key: value for key, value in obj.items() if not (key in ("data", "stringData") and value == SECRET_TEXT)}


def validate_render(graph: Graph, kubernetes_version: str) -> list[str]:
    """Every schema error in the render; raises ``SchemaMissingError`` when a needed schema is absent.

    A custom resource whose CRD the render itself installs (the vendored Gateway API CRDs, e.g. the
    experimental TLSRoute's v1alpha2) is validated against that CRD: it is the schema the API server
    will apply. Any other goes to the pinned upstream schemas.
    """
    errors: list[str] = []
    manifests = graph.manifests()
    installed = crd_validators(manifests)
    for resource in graph.kubernetes_objects():
        if resource.type.endswith("Patch"):
            continue  # a server-side apply patch names only the fields it sets: no full object to validate
        obj = manifest(resource)
        group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
        validator = installed.get((group, str(obj.get("kind")), version))
        if validator is not None and is_custom_resource(obj):
            meta = obj.get("metadata") or {}
            prefix = f"{obj.get('kind')}/{meta.get('namespace') or '-'}/{meta.get('name') or '?'}:"
            errors += all_errors(validator, plain_data(obj), prefix)
        else:
            errors += validate_manifest(_without_redacted_data(obj), kubernetes_version)
    for where, chart, version, values in helm_sources(graph):
        # A vendored, digest-locked chart is judged against its own archive by the workload checks
        # (``workload_checks.chart_values``); a copy of its values under ../shared/schemas is then optional.
        vendored = chart in CHARTS and CHARTS[chart].version == version
        problems = validate_helm_values(chart, version, values, free_form=FREE_FORM.get(chart, ()), require=not vendored)
        errors += [f"{where}: {problem}" for problem in problems]
    return errors
