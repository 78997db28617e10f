"""Every rendered object and every chart's values validate against the real upstream schemas."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import graph_of, stack_file
from k8tre.chart_lock import chart_name
from k8tre.offline.engine import load
from k8tre.offline.schemas import SchemaMissingError, is_custom_resource
from k8tre.offline.validation import helm_sources, validate_render


def test_render_validates_against_upstream_schemas(any_stack: str) -> None:
    graph = graph_of(any_stack)
    config = load(stack_file(any_stack))
    assert validate_render(graph, config.cluster.kubernetes_version) == []


def test_render_checks_both_core_and_custom_kinds(any_stack: str) -> None:
    manifests = graph_of(any_stack).manifests()
    assert any(is_custom_resource(m) for m in manifests)
    assert any(not is_custom_resource(m) for m in manifests)


def test_chart_values_of_applications_are_checked_too() -> None:
    charts = {chart for _, chart, _, _ in helm_sources(graph_of("dev"))}
    assert {"cilium", "cert-manager", "argo-cd", "jupyterhub"} <= charts


def test_a_bad_value_in_a_render_is_reported() -> None:
    graph = graph_of("dev")
    (cilium,) = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if chart_name(r.inputs["chart"]) == "cilium"]
    cilium.inputs["values"]["kubeProxyReplacemnt"] = True  # a typo Cilium's schema itself would let through
    try:
        errors = validate_render(graph, "1.33")
    finally:
        del cilium.inputs["values"]["kubeProxyReplacemnt"]
    assert any("kubeProxyReplacemnt" in error for error in errors)


def test_a_bad_field_in_a_custom_resource_is_reported() -> None:
    graph = graph_of("dev")
    (project,) = [
        p for p in graph.of_type("kubernetes:argoproj.io/v1alpha1:AppProject") if p.inputs["metadata"]["name"] == "research-apps"
    ]
    project.inputs["spec"]["destinationz"] = []
    try:
        errors = validate_render(graph, "1.33")
    finally:
        del project.inputs["spec"]["destinationz"]
    assert any("destinationz" in error for error in errors)


def test_a_missing_schema_fails_naming_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "crds").mkdir()
    (tmp_path / "helm").mkdir()
    monkeypatch.setenv("K8TRE_SCHEMA_DIR", str(tmp_path))
    with pytest.raises(SchemaMissingError) as caught:
        validate_render(graph_of("dev"), "1.33")
    assert str(tmp_path) in str(caught.value)


def test_a_custom_resource_is_judged_by_the_crd_the_render_installs() -> None:
    # TLSRoute v1alpha2 has no pinned upstream schema; the vendored Gateway API CRD the program installs decides.
    graph = graph_of("dev")
    (route,) = graph.of_type("kubernetes:gateway.networking.k8s.io/v1alpha2:TLSRoute")
    route.inputs["spec"]["hostnamez"] = []
    try:
        errors = validate_render(graph, "1.33")
    finally:
        del route.inputs["spec"]["hostnamez"]
    assert any("TLSRoute/argocd/argocd" in error and "hostnamez" in error for error in errors), errors
