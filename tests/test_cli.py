"""The k8tre command: exit codes, messages and the files a render writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from conftest import ROOT
from k8tre.cli import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _in_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_validate_accepts_a_good_stack() -> None:
    result = runner.invoke(app, ["validate", "prod"])
    assert result.exit_code == 0, result.output
    assert "valid (prod on azure" in result.output


def test_validate_rejects_a_bad_file_with_exit_2_and_every_key() -> None:
    bad = ROOT / "tests" / "config" / "azure.bad.several-problems.yaml"
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert "4 problems" in result.output
    for key in ("k8tre:domain", "k8tre:cluster.kubernetesVersion", "k8tre:cluster.nodePools[1].vmSize"):
        assert key in result.output
    assert "Traceback" not in result.output


def test_validate_unknown_stack_exits_2() -> None:
    result = runner.invoke(app, ["validate", "qa"])
    assert result.exit_code == 2
    assert "no stack file" in result.output


def test_render_writes_graph_manifests_and_helm(tmp_path: Path) -> None:
    out = tmp_path / "render"
    result = runner.invoke(app, ["render", "dev", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for layer in ("infrastructure", "agnostics", "applications"):
        assert layer in result.output
    graph = json.loads((out / "graph.json").read_text())
    assert graph["project"] == "k8tre" and graph["stack"] == "dev"
    first = graph["resources"][0]
    assert set(first) == {"urn", "type", "name", "parent", "provider", "dependencies", "custom", "inputs", "options"}
    assert set(first["options"]) == {
        "protect",
        "retainOnDelete",
        "deleteBeforeReplace",
        "ignoreChanges",
        "replaceOnChanges",
        "dependsOn",
    }
    assert graph["outputs"]["kubeconfig"] == "[secret]"
    manifests = [yaml.safe_load(p.read_text()) for p in sorted((out / "manifests").glob("*.yaml"))]
    assert {m["kind"] for m in manifests} >= {"Namespace", "ClusterIssuer", "AppProject", "Application"}
    assert all({"apiVersion", "kind", "metadata"} <= set(m) for m in manifests)
    releases = [yaml.safe_load(p.read_text()) for p in (out / "helm").glob("*.yaml")]
    assert {r["chart"] for r in releases} >= {
        "cilium",
        "cert-manager",
        "argo-cd",
        "cloudnative-pg",
        "plugin-barman-cloud",
        "kube-prometheus-stack",
        "external-dns",
        "velero",
        "external-secrets",
    }
    for release in releases:
        assert set(release) == {"name", "chart", "archive", "repository", "version", "namespace", "values"}
        assert release["archive"].startswith("../charts/") and release["repository"] is None, "the vendored archive"


def test_render_replaces_stale_files(tmp_path: Path) -> None:
    (tmp_path / "manifests").mkdir()
    stale = tmp_path / "manifests" / "deleted-object.yaml"
    stale.write_text("kind: Gone\n")
    result = runner.invoke(app, ["render", "dev", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert not stale.exists()


def test_render_of_a_bad_file_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    bad = ROOT / "tests" / "config" / "azure.bad.cidr-overlap.yaml"
    result = runner.invoke(app, ["render", str(bad), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "k8tre:cluster.network.podCidrs[0]" in result.output
    assert not (tmp_path / "out").exists()


def test_a_stack_reference_is_answered_from_a_render_of_that_stack(tmp_path: Path) -> None:
    hub_render = tmp_path / "dev"
    assert runner.invoke(app, ["render", "dev", "--out", str(hub_render)]).exit_code == 0
    spoke = str(ROOT / "tests" / "stacks" / "Pulumi.azure-stackhub.yaml")
    missing = runner.invoke(app, ["render", spoke, "--out", str(tmp_path / "spoke")])
    assert missing.exit_code == 1
    assert "--reference" in missing.output
    given = runner.invoke(
        app, ["render", spoke, "--out", str(tmp_path / "spoke"), "--reference", f"example-org/k8tre/management={hub_render}"]
    )
    assert given.exit_code == 0, given.output
    graph = json.loads((tmp_path / "spoke" / "graph.json").read_text())
    hub = json.loads((hub_render / "graph.json").read_text())["outputs"]["hub"]
    peerings = [r for r in graph["resources"] if r["type"] == "azure-native:network:VirtualNetworkPeering"]
    assert any(p["inputs"]["remoteVirtualNetwork"]["id"] == hub["vnetId"] for p in peerings), "the spoke peers with that hub"
