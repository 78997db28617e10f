"""The render writes what each chart expands to, and reads it back exactly; images.txt lists what runs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from conftest import ROOT, expanded_graph_of
from k8tre.cli import app
from k8tre.offline.render import RELEASE_FILE, load_workloads, manifest_filename, write, write_workloads


def test_workloads_round_trip(tmp_path: Path) -> None:
    graph = expanded_graph_of("prod")
    write_workloads(graph, tmp_path)
    assert load_workloads(tmp_path) == graph.workloads
    for release in graph.workloads:
        directory = tmp_path / "workloads" / release.name
        files = sorted(p.name for p in directory.glob("*.yaml") if p.name != RELEASE_FILE)
        assert files == sorted(manifest_filename(obj) for obj in release.objects)
        # Every file is YAML to any reader (CRDs are written in JSON, which is YAML too).
        assert all(yaml.safe_load((directory / name).read_text(encoding="utf-8")) for name in files[:3])


def test_images_lists_every_container_image_once(tmp_path: Path) -> None:
    graph = expanded_graph_of("dev")
    write_workloads(graph, tmp_path)
    images = (tmp_path / "images.txt").read_text(encoding="utf-8").splitlines()
    assert images == sorted(set(images)) and images
    cilium = next(r for r in graph.workloads if r.chart == "cilium")
    agent = next(o for o in cilium.objects if o["kind"] == "DaemonSet" and o["metadata"]["name"] == "cilium")
    assert {c["image"] for c in agent["spec"]["template"]["spec"]["containers"]} <= set(images)
    jupyterhub = next(r for r in graph.workloads if r.chart == "jupyterhub")
    hub = next(o for o in jupyterhub.objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "hub")
    assert hub["spec"]["template"]["spec"]["containers"][0]["image"] in images


def test_a_removed_release_does_not_linger(tmp_path: Path) -> None:
    graph = expanded_graph_of("dev")
    write_workloads(graph, tmp_path)
    (tmp_path / "workloads" / "gone").mkdir()
    (tmp_path / "workloads" / "gone" / RELEASE_FILE).write_text("name: gone\n", encoding="utf-8")
    write_workloads(graph, tmp_path)
    assert not (tmp_path / "workloads" / "gone").exists()


def test_crd_manifests_read_back_as_written(tmp_path: Path) -> None:
    graph = expanded_graph_of("dev")
    write(graph, tmp_path)
    crds = [m for m in graph.manifests() if m["kind"] == "CustomResourceDefinition"]
    assert crds
    for crd in crds:
        assert yaml.safe_load((tmp_path / "manifests" / manifest_filename(crd)).read_text(encoding="utf-8")) == crd


@pytest.mark.parametrize("stack", ["dev"])
def test_render_command_writes_and_lists_the_workloads(stack: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, ["render", stack, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for release in expanded_graph_of(stack).workloads:
        assert f"{release.namespace}/{release.name} ({release.chart} {release.version}" in result.output
        assert (tmp_path / "workloads" / release.name / RELEASE_FILE).is_file()
    # The same releases as the session's own expansion; not necessarily in the same order, since releases are
    # registered concurrently and a loaded machine can finish them in another order.
    assert sorted(r.name for r in load_workloads(tmp_path)) == sorted(r.name for r in expanded_graph_of(stack).workloads)
    assert (tmp_path / "images.txt").read_text(encoding="utf-8").strip()


def test_images_list_includes_the_notebook_image_jupyterhub_starts_at_run_time() -> None:
    from k8tre.offline.render import images

    graph = expanded_graph_of("dev")
    listed = images(graph)
    (application,) = [m for m in graph.manifests() if m.get("kind") == "Application" and m["metadata"]["name"] == "jupyterhub"]
    image = application["spec"]["source"]["helm"]["valuesObject"]["singleuser"]["image"]
    assert f"{image['name']}:{image['tag']}" in listed, "no rendered pod names it, but every workspace runs it"
