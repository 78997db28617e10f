"""Tests for k8tre.offline.schemas: every rule has a passing and a failing case."""

from __future__ import annotations

import json
import pathlib
from typing import Any

import pytest
import yaml

from k8tre.offline import schemas
from k8tre.offline.helm_values import (
    chart_defaults,
    deep_merge,
    helm_schema_available,
    unknown_value_paths,
    validate_helm_values,
)
from k8tre.offline.schemas import SchemaMissingError, is_custom_resource, schema_dir, validate_manifest

K8S = "1.33"
PROJECT_ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _default_schema_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests of the real schemas must not depend on the caller's environment.
    monkeypatch.delenv(schemas.ENV_VAR, raising=False)


def deployment() -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "apps", "labels": {"app": "web"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}]},
            },
        },
    }


def application() -> dict[str, Any]:
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "root", "namespace": "argocd"},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://example.org/repo.git", "path": "apps", "targetRevision": "main"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "apps"},
            "syncPolicy": {"automated": {"prune": True, "selfHeal": True}},
        },
    }


# --- schema_dir -------------------------------------------------------------


def test_schema_dir_default_is_next_to_project() -> None:
    assert schema_dir() == (PROJECT_ROOT.parent / "shared" / "schemas").resolve()


def test_schema_dir_override(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(schemas.ENV_VAR, str(tmp_path))
    assert schema_dir() == tmp_path.resolve()


def test_schema_dir_override_missing(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    missing = tmp_path / "nowhere"
    monkeypatch.setenv(schemas.ENV_VAR, str(missing))
    with pytest.raises(SchemaMissingError) as exc:
        schema_dir()
    assert str(missing) in str(exc.value)
    assert schemas.ENV_VAR in str(exc.value)


def test_override_dir_is_used_for_crds(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    crd = tmp_path / "crds" / "example.com" / "widget_v1.json"
    crd.parent.mkdir(parents=True)
    crd.write_text(
        json.dumps(
            {
                "type": "object",
                "properties": {
                    "apiVersion": {"type": "string"},
                    "kind": {"type": "string"},
                    "metadata": {"type": "object"},
                    "spec": {"type": "object", "additionalProperties": False, "properties": {"size": {"type": "integer"}}},
                },
            }
        )
    )
    monkeypatch.setenv(schemas.ENV_VAR, str(tmp_path))
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 3}}
    assert validate_manifest(widget, K8S) == []
    widget["spec"] = {"size": "big"}
    assert validate_manifest(widget, K8S) == ["Widget/-/w: $.spec.size: 'big' is not of type 'integer'"]


# --- is_custom_resource -----------------------------------------------------


@pytest.mark.parametrize(
    "api_version",
    [
        "v1",
        "apps/v1",
        "batch/v1",
        "autoscaling/v2",
        "policy/v1",
        "rbac.authorization.k8s.io/v1",
        "networking.k8s.io/v1",
        "storage.k8s.io/v1",
        "admissionregistration.k8s.io/v1",
        "apiextensions.k8s.io/v1",
        "scheduling.k8s.io/v1",
        "coordination.k8s.io/v1",
        "node.k8s.io/v1",
        "certificates.k8s.io/v1",
        "discovery.k8s.io/v1",
        "flowcontrol.apiserver.k8s.io/v1",
        "events.k8s.io/v1",
        "resource.k8s.io/v1",
        "apiregistration.k8s.io/v1",
    ],
)
def test_core_groups(api_version: str) -> None:
    assert not is_custom_resource({"apiVersion": api_version})


@pytest.mark.parametrize(
    "api_version",
    [
        "gateway.networking.k8s.io/v1",
        "argoproj.io/v1alpha1",
        "cilium.io/v2",
        "cert-manager.io/v1",
        "metrics.k8s.io/v1beta1",
    ],
)
def test_custom_groups(api_version: str) -> None:
    assert is_custom_resource({"apiVersion": api_version})


# --- core kinds -------------------------------------------------------------


@pytest.mark.parametrize(
    "obj",
    [
        deployment(),
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "apps"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "apps"}, "data": {"key": "value"}},
    ],
)
def test_valid_core_objects(obj: dict[str, Any]) -> None:
    assert validate_manifest(obj, K8S) == []


def test_core_unknown_field() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["imagePullPolicyy"] = "Always"
    errors = validate_manifest(obj, K8S)
    assert len(errors) == 1
    assert errors[0].startswith("Deployment/apps/web: $.spec.template.spec.containers[0]: ")
    assert "imagePullPolicyy" in errors[0]


def test_core_wrong_type() -> None:
    obj = deployment()
    obj["spec"]["replicas"] = "two"
    assert validate_manifest(obj, K8S) == ["Deployment/apps/web: $.spec.replicas: 'two' is not of type 'integer', 'null'"]


def test_core_kind_not_in_version() -> None:
    # autoscaling/v2beta2 was removed in Kubernetes 1.26.
    hpa = {"apiVersion": "autoscaling/v2beta2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": "h", "namespace": "apps"}}
    errors = validate_manifest(hpa, K8S)
    assert len(errors) == 1 and "does not exist in Kubernetes 1.33" in errors[0]


def test_missing_kind_is_an_error() -> None:
    assert validate_manifest({"apiVersion": "v1", "metadata": {"name": "x"}}, K8S) != []


@pytest.mark.parametrize("version", ["1.33", "1.33.4", "v1.33.0", "1.25", "1.37"])
def test_supported_versions(version: str) -> None:
    assert validate_manifest(deployment(), version) == []


@pytest.mark.parametrize("version", ["1.24", "1.38", "1.4", "latest"])
def test_unsupported_versions(version: str) -> None:
    with pytest.raises(ValueError, match=r"1\.25\.0 to 1\.37\.0"):
        validate_manifest(deployment(), version)


# --- custom resources -------------------------------------------------------


def test_valid_application() -> None:
    assert validate_manifest(application(), K8S) == []


def test_application_unknown_spec_field() -> None:
    app = application()
    app["spec"]["syncPolicyy"] = {}
    expected = "Application/argocd/root: $.spec: Additional properties are not allowed ('syncPolicyy' was unexpected)"
    assert validate_manifest(app, K8S) == [expected]


def test_application_all_errors_reported() -> None:
    app = application()
    app["sepc"] = {}
    app["spec"]["source"]["repoURL"] = 3
    del app["spec"]["project"]
    errors = validate_manifest(app, K8S)
    assert len(errors) == 3
    assert any("'sepc' was unexpected" in e for e in errors)
    assert any("$.spec.source.repoURL" in e for e in errors)
    assert any("'project' is a required property" in e for e in errors)


def test_custom_resource_without_schema() -> None:
    obj = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": {"name": "r"}}
    expected = schema_dir() / "crds" / "argoproj.io" / "rollout_v1alpha1.json"
    with pytest.raises(SchemaMissingError) as exc:
        validate_manifest(obj, K8S)
    assert str(expected) in str(exc.value)
    assert schemas.ENV_VAR in str(exc.value)


# --- deep_merge / unknown_value_paths --------------------------------------


def test_deep_merge() -> None:
    base: dict[str, Any] = {"a": {"b": 1, "c": [1, 2]}, "d": "x", "e": {"f": 1}}
    override: dict[str, Any] = {"a": {"c": [3], "g": True}, "d": {"now": "map"}, "e": None}
    merged = deep_merge(base, override)
    assert merged == {"a": {"b": 1, "c": [3], "g": True}, "d": {"now": "map"}, "e": None}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": "x", "e": {"f": 1}}
    assert override == {"a": {"c": [3], "g": True}, "d": {"now": "map"}, "e": None}
    merged["a"]["c"].append(4)
    assert override["a"]["c"] == [3]


def test_unknown_value_paths() -> None:
    defaults = {
        "image": {"repository": "x", "tag": "1"},
        "annotations": {},
        "config": None,
        "cm": {"url": ""},
        "list": [{"a": 1}],
    }
    values = {
        "image": {"tag": "2", "digest": "sha"},
        "annotations": {"anything": "goes"},
        "config": {"free": {"form": 1}},
        "bogus": {"deep": {"deeper": 1}},
        "cm": {"oidc.config": "x"},
        "list": [{"b": 2}],
    }
    assert unknown_value_paths(defaults, values) == ["bogus", "cm.oidc.config", "image.digest"]
    assert unknown_value_paths(defaults, values, free_form=["cm"]) == ["bogus", "image.digest"]
    assert unknown_value_paths(defaults, {"image": {"tag": "3"}}) == []


# --- Helm values ------------------------------------------------------------


def test_chart_defaults_is_a_copy() -> None:
    defaults = chart_defaults("cilium", "1.19.6")
    assert "ipam" in defaults
    defaults["ipam"]["mode"] = "changed"
    assert chart_defaults("cilium", "1.19.6")["ipam"]["mode"] != "changed"


def test_helm_schema_available() -> None:
    assert helm_schema_available("cilium", "1.19.6")
    assert not helm_schema_available("argo-cd", "10.1.1")
    assert not helm_schema_available("cilium", "0.0.0")


def test_cilium_good_values() -> None:
    values = {"kubeProxyReplacement": True, "ipam": {"mode": "cluster-pool"}, "podAnnotations": {"example.org/x": "y"}}
    assert validate_helm_values("cilium", "1.19.6", values) == []


def test_cilium_wrong_type() -> None:
    assert validate_helm_values("cilium", "1.19.6", {"debug": {"enabled": "yes"}}) == [
        "cilium@1.19.6: $.debug.enabled: 'yes' is not of type 'boolean'"
    ]


def test_cert_manager_wrong_type() -> None:
    errors = validate_helm_values("cert-manager", "v1.21.1", {"crds": {"enabled": "true"}})
    assert errors == ["cert-manager@v1.21.1: $.crds.enabled: 'true' is not of type 'boolean'"]


def test_cilium_unknown_key() -> None:
    # Cilium's schema accepts unknown keys; only the values.yaml check catches this.
    assert validate_helm_values("cilium", "1.19.6", {"ipam": {"mdoe": "cluster-pool"}}) == [
        "cilium@1.19.6: ipam.mdoe: key not in the chart's values.yaml"
    ]


def test_chart_without_schema_checks_keys() -> None:
    good = {"configs": {"params": {"server.insecure": True}}}
    errors = validate_helm_values("argo-cd", "10.1.1", good)
    unknown = "argo-cd@10.1.1: configs.params.server.insecure: key not in the chart's values.yaml"
    assert errors == [unknown]
    assert validate_helm_values("argo-cd", "10.1.1", good, free_form=["configs.params"]) == []


def test_absent_chart_version() -> None:
    with pytest.raises(SchemaMissingError) as exc:
        validate_helm_values("cilium", "1.18.0", {})
    message = str(exc.value)
    assert str(schema_dir() / "helm" / "cilium" / "1.18.0") in message
    assert "1.19.6" in message


def test_absent_chart_version_even_when_not_required() -> None:
    with pytest.raises(SchemaMissingError):
        validate_helm_values("cilium", "1.18.0", {}, require=False)


def test_unknown_chart() -> None:
    assert validate_helm_values("no-such-chart", "1.0.0", {"a": 1}, require=False) == []
    with pytest.raises(SchemaMissingError, match="no-such-chart"):
        validate_helm_values("no-such-chart", "1.0.0", {"a": 1})


def test_helm_override_dir(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    version_dir = tmp_path / "helm" / "demo" / "2.0.0"
    version_dir.mkdir(parents=True)
    (version_dir / "values.yaml").write_text(yaml.safe_dump({"replicas": 1, "labels": {}}))
    (version_dir / "values.schema.json").write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "properties": {"replicas": {"type": "integer", "minimum": 1}},
            }
        )
    )
    monkeypatch.setenv(schemas.ENV_VAR, str(tmp_path))
    assert validate_helm_values("demo", "2.0.0", {"replicas": 3, "labels": {"a": "b"}}) == []
    assert validate_helm_values("demo", "2.0.0", {"replicas": 0, "extra": 1}) == [
        "demo@2.0.0: $.replicas: 0 is less than the minimum of 1",
        "demo@2.0.0: extra: key not in the chart's values.yaml",
    ]
    with pytest.raises(SchemaMissingError, match=r"available: 2\.0\.0"):
        validate_helm_values("demo", "1.0.0", {})


def test_a_closed_chart_schema_decides_which_keys_exist() -> None:
    # cert-manager documents serviceAccount.annotations only in a comment of values.yaml; its schema knows it.
    assert validate_helm_values("cert-manager", "v1.21.1", {"serviceAccount": {"annotations": {"a": "b"}}}) == []
    errors = validate_helm_values("cert-manager", "v1.21.1", {"serviceAccountt": {}})
    assert len(errors) == 1 and "serviceAccountt" in errors[0]
