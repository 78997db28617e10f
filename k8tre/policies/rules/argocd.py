"""Argo CD's own access controls: who may do what in the engine that deploys everything (SATRE 1.5.03, 3.2.01, 3.2.03)."""

from __future__ import annotations

from typing import Any

from ...offline.graph import Graph, RecordedResource
from ..facts import objects, plain, releases
from ..registry import Evaluation, rule

# Argo CD's AppProject fields that, left absent, permit everything (``sourceRepos`` and ``destinations`` are
# allow-lists; a missing ``namespaceResourceWhitelist`` permits every namespaced kind: Argo CD docs, "Projects").
_LOCKED_FIELDS = ("sourceRepos", "destinations", "clusterResourceWhitelist", "namespaceResourceWhitelist")


def _truthy(value: Any) -> bool:
    # argocd-cm and argocd-cmd-params-cm hold strings; the chart quotes booleans ("true"), Argo CD parses both.
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _settings(release: RecordedResource) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    configs = (plain(release.inputs.get("values")) or {}).get("configs") or {}
    return configs.get("cm") or {}, configs.get("params") or {}, configs.get("rbac") or {}


def _default_project(graph: Graph, namespace: str) -> RecordedResource | None:
    for project in objects(graph, "AppProject"):
        metadata = project.inputs.get("metadata") or {}
        if metadata.get("name") == "default" and metadata.get("namespace") == namespace:
            return project
    return None


@rule(
    "argocd-least-privilege",
    "Argo CD grants nothing by default: no anonymous users, no default role, no web terminal, argocd-server "
    "serving TLS itself, and its permissive built-in `default` project emptied.",
    satre=("1.5.03", "3.2.03"),
    severity="mandatory",
)
def argocd_least_privilege(graph: Graph) -> Evaluation:
    """Judged on the values each argo-cd release passes (what lands in argocd-cm, -cmd-params-cm, -rbac-cm)."""
    result = Evaluation()
    for release in releases(graph, "argo-cd"):
        cm, params, rbac = _settings(release)
        urn = release.urn
        # Argo CD docs, argocd-cm.yaml: users.anonymous.enabled gives everyone policy.default without a login.
        result.check(urn, not _truthy(cm.get("users.anonymous.enabled")), "Argo CD admits anonymous users")
        # Argo CD docs, "Web-based Terminal": a shell in any pod for whoever holds the exec permission.
        result.check(urn, not _truthy(cm.get("exec.enabled")), "Argo CD's web terminal (exec.enabled) is on")
        # Argo CD docs, "RBAC Configuration": policy.default is every authenticated user's role (the chart's default is '').
        default = str(rbac.get("policy.default") or "")
        result.check(urn, default == "", f"every authenticated Argo CD user gets {default!r} (policy.default)")
        # argocd-cmd-params-cm server.insecure: argocd-server serves plain HTTP.
        result.check(urn, not _truthy(params.get("server.insecure")), "argocd-server serves plain HTTP (server.insecure)")
        namespace = str(release.inputs.get("namespace") or "argocd")
        project = _default_project(graph, namespace)
        result.check(
            urn, project is not None, f"Argo CD's built-in `default` project in {namespace} is left permitting everything"
        )
        if project is not None:
            spec = plain(project.inputs.get("spec")) or {}
            for field in _LOCKED_FIELDS:
                value = spec.get(field)
                result.check(project.urn, value == [], f"the `default` AppProject's {field} is {value!r}, not empty")
    return result
