"""``k8tre diff``: what a promotion pull request shows, and that it hides nothing that changed."""

from __future__ import annotations

import copy
import dataclasses
import shutil
from pathlib import Path

import yaml
from typer.testing import CliRunner

from k8tre.cli import app
from k8tre.diff import Environment, config_view, diff, lines
from k8tre.offline.engine import load
from k8tre.offline.graph import Graph, RecordedResource
from k8tre.offline.render import write, write_workloads
from tests.conftest import ROOT, expanded_graph_of, stack_file

runner = CliRunner()


def _section(sections: list, title: str) -> dict[str, tuple[str | None, str | None]]:
    (found,) = [s for s in sections if s.title == title]
    return {c.key: (c.before, c.after) for c in found.changes}


def _with_application_change(graph: Graph, app_name: str, revision: str) -> Graph:
    """A copy of the graph whose Application ``app_name`` tracks another revision."""
    resources: list[RecordedResource] = []
    for resource in graph.resources:
        if resource.inputs.get("kind") == "Application" and resource.inputs["metadata"]["name"] == app_name:
            inputs = copy.deepcopy(resource.inputs)
            inputs["spec"]["source"]["targetRevision"] = revision
            resource = dataclasses.replace(resource, inputs=inputs)
        resources.append(resource)
    return dataclasses.replace(graph, resources=resources)


def test_diff_dev_prod_shows_config_versions_and_workloads_and_no_secret() -> None:
    result = runner.invoke(app, ["diff", "dev", "prod"])
    assert result.exit_code == 1, result.output
    out = result.output
    assert "## Configuration" in out
    assert "~ environment: dev -> prod" in out
    assert "+ secrets.argocdOidcClientSecret: set" in out
    assert "## Expanded workloads" in out
    assert "~ Deployment argocd/argocd-server replicas: 1 -> 2" in out, "prod's HA shows as a replica change"
    assert "offline-placeholder" not in out, "a secret's value (even the offline placeholder) is never printed"


def test_identical_environments_exit_0() -> None:
    dev = Environment("dev", expanded_graph_of("dev"), load(stack_file("dev")))
    assert list(lines(diff(dev, dev))) == []
    result = runner.invoke(app, ["diff", "dev", str(ROOT / "Pulumi.dev.yaml")])
    assert result.exit_code == 0, result.output
    assert "identical" in result.output


def test_a_changed_revision_shows_in_versions_revisions_and_the_application_spec() -> None:
    graph = expanded_graph_of("dev")
    (name,) = [
        m["metadata"]["name"] for m in graph.manifests() if m["kind"] == "Application" and "jupyterhub" in m["metadata"]["name"]
    ]
    before = next(m for m in graph.manifests() if m.get("kind") == "Application" and m["metadata"]["name"] == name)
    old = before["spec"]["source"]["targetRevision"]
    changed = _with_application_change(graph, name, "9.9.9")
    sections = diff(Environment("a", graph), Environment("b", changed))
    revisions = _section(sections, "Source revisions")
    assert [(b, a) for b, a in revisions.values()] == [
        (f"{before['spec']['source']['repoURL']} @ {old}", f"{before['spec']['source']['repoURL']} @ 9.9.9")
    ]
    versions = _section(sections, "Chart and application versions")
    assert list(versions.values()) == [(f"jupyterhub {old}", "jupyterhub 9.9.9")]
    assert name in _section(sections, "Application specs")
    assert any(
        line == "+      targetRevision: 9.9.9" or line.strip() == "+targetRevision: 9.9.9" or "9.9.9" in line
        for line in lines(sections)
    )


def test_a_changed_chart_version_of_a_render_directory_shows_up(tmp_path: Path) -> None:
    graph = expanded_graph_of("dev")
    for directory in ("a", "b"):
        write(graph, tmp_path / directory)
        write_workloads(graph, tmp_path / directory)
    # A render directory is read with its reviewed YAML applied over graph.json: change the release's file.
    release_file = tmp_path / "b" / "helm" / "argocd-argocd.yaml"
    release = yaml.safe_load(release_file.read_text())
    version = release["version"]
    release["version"] = "0.0.1"
    release_file.write_text(yaml.safe_dump(release))
    same = runner.invoke(app, ["diff", str(tmp_path / "a"), str(tmp_path / "a")])
    assert same.exit_code == 0, same.output
    result = runner.invoke(app, ["diff", str(tmp_path / "a"), str(tmp_path / "b")])
    assert result.exit_code == 1, result.output
    assert f"~ release argocd/argocd: argo-cd {version} -> argo-cd 0.0.1" in result.output


def test_a_bad_stack_file_exits_2_naming_it(tmp_path: Path) -> None:
    bad = ROOT / "tests" / "config" / "any.bad.unknown-provider.yaml"
    copied = tmp_path / "Pulumi.bad.yaml"
    shutil.copy(bad, copied)
    result = runner.invoke(app, ["diff", "dev", str(copied)])
    assert result.exit_code == 2
    assert "k8tre:cluster.provider" in result.output


def test_the_config_view_is_normalised_and_shows_only_that_a_secret_is_set() -> None:
    view = config_view(load(stack_file("prod")))
    assert view["secrets.argocdOidcClientSecret"] == "set"
    assert view["agnostics.argocd.highAvailability"] == "true"
    # A default the file leaves out is spelt out, so leaving it out or writing it does not count as a change.
    assert view["role"] == "environment"
    assert not [value for value in view.values() if "v1:" in value or "placeholder" in value]
