"""What Argo CD and the research AppProject will really allow, judged on the rendered chart and project.

The chart expansion shows the ConfigMaps Argo CD reads (``argocd-cm``, ``argocd-rbac-cm``), so these
tests judge the settings Argo CD will run with, not the values the program meant to pass.
"""

from __future__ import annotations

from typing import Any

import pytest

from conftest import ALL_STACKS, expanded_graph_of
from k8tre.workload_checks.app_project import kind_permitted

# Kinds that would let an application's authors change the cluster itself (RBAC, CRDs, namespaces, admission).
CLUSTER_KINDS = (
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("", "Namespace"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
)


def _argocd_config(stack: str, name: str) -> dict[str, Any]:
    graph = expanded_graph_of(stack)
    (found,) = [
        obj
        for release in graph.workloads
        if release.chart == "argo-cd"
        for obj in release.objects
        if obj.get("kind") == "ConfigMap" and obj["metadata"]["name"] == name
    ]
    return dict(found.get("data") or {})


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_argocd_offers_no_web_terminal(stack: str) -> None:
    # Argo CD docs, "Web-based Terminal": exec.enabled in argocd-cm turns it on for anyone granted exec.
    assert str(_argocd_config(stack, "argocd-cm").get("exec.enabled", "false")).lower() == "false"


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_argocd_users_are_read_only_unless_a_role_says_otherwise(stack: str) -> None:
    # Argo CD docs, "RBAC Configuration": policy.default is the role every authenticated user gets.
    default = _argocd_config(stack, "argocd-rbac-cm").get("policy.default", "")
    assert default in ("", "role:readonly"), f"every Argo CD user would get {default}"


def _project_specs(stack: str) -> list[dict[str, Any]]:
    return [m["spec"] for m in expanded_graph_of(stack).manifests() if m.get("kind") == "AppProject"]


@pytest.mark.parametrize("stack", ALL_STACKS)
@pytest.mark.parametrize(("group", "kind"), CLUSTER_KINDS)
def test_application_projects_permit_no_cluster_scoped_kind(stack: str, group: str, kind: str) -> None:
    specs = _project_specs(stack)
    assert specs, "the render has the projects applications are delivered through"
    for spec in specs:
        assert not kind_permitted(spec, group, kind, "anything", namespaced=False), f"{kind} is allowed"


# The namespace guard rails the platform owns: quotas, limits and every kind of network policy.
GUARD_RAILS = (
    ("", "ResourceQuota"),
    ("", "LimitRange"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("cilium.io", "CiliumNetworkPolicy"),
)


@pytest.mark.parametrize("stack", ALL_STACKS)
@pytest.mark.parametrize(("group", "kind"), GUARD_RAILS)
def test_applications_cannot_change_a_namespaces_guard_rails(stack: str, group: str, kind: str) -> None:
    # An application that could create a network policy could open its own namespace (Cilium adds allows).
    for spec in _project_specs(stack):
        assert not kind_permitted(spec, group, kind, "anything", namespaced=True), f"{kind} is allowed"
