"""Helm releases install the reviewed archive (or, when a stack says so, the upstream repository)."""

from __future__ import annotations

import os
from pathlib import Path

import pulumi
import pytest

from k8tre import chart_lock
from k8tre.chart_lock import PROGRAM_DIR, chart_name
from k8tre.helm import chart_reference, helm_release
from k8tre.offline.expand import installs
from k8tre.offline.graph import Graph, Options, RecordedResource
from k8tre.offline.monitor import RecordingMonitor
from k8tre.versions import CHARTS, chart


def test_a_vendored_pin_names_the_locked_archive_and_no_repository() -> None:
    pin = chart("cert-manager", {}, "vendored")
    path, repository = chart_reference(pin)
    assert repository is None
    assert (PROGRAM_DIR / path).resolve() == chart_lock.archive("cert-manager", pin.version).path
    assert not os.path.isabs(path)  # the same recorded input on every checkout


def test_an_upstream_pin_names_the_chart_in_its_repository() -> None:
    path, repository = chart_reference(chart("cert-manager", {}, "upstream"))
    assert path == "cert-manager"
    assert repository is not None


def test_a_vendored_override_without_an_archive_is_refused() -> None:
    with pytest.raises(chart_lock.ChartLockError, match="no vendored archive"):
        chart_reference(chart("cilium", {"cilium": "1.20.0"}, "vendored"))


def test_a_tampered_archive_is_never_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = chart_lock.archive("jupyterhub", "4.3.2")
    copy = tmp_path / locked.path.name
    copy.write_bytes(locked.path.read_bytes() + b"\0")
    document = {
        "charts": {
            "jupyterhub": {
                "repository": locked.repository,
                "pin": "4.3.2",
                "archives": {"4.3.2": {"file": copy.name, "sha256": locked.sha256}},
            }
        }
    }
    monkeypatch.setattr(chart_lock, "load", lambda path=None: chart_lock.parse(document, tmp_path))
    with pytest.raises(chart_lock.ChartLockError, match="refusing"):
        chart_reference(chart("jupyterhub", {}, "vendored"))


@pulumi.runtime.test
def test_a_vendored_release_records_the_archive_and_expands_from_it(pulumi_runtime: RecordingMonitor) -> pulumi.Output[None]:
    release = helm_release(
        "test-argocd",
        release_name="argocd",
        pin=chart("argo-cd", {}, "vendored"),
        namespace="argocd",
        values={"dex": {"enabled": False}},
        opts=pulumi.ResourceOptions(),
    )

    def check(_: object) -> None:
        recorded = next(r for r in pulumi_runtime.recorded.values() if r.name == "test-argocd")
        assert recorded.inputs["chart"].endswith("charts/argo-cd-10.1.1.tgz")
        assert "repositoryOpts" not in recorded.inputs or not recorded.inputs["repositoryOpts"]
        # The expansion recognises the archive and renders the same version from the lock.
        resource = RecordedResource(
            recorded.urn,
            recorded.type,
            recorded.name,
            "",
            "",
            (),
            True,
            recorded.inputs,
            Options(False, False, False, (), (), (), ()),
        )
        (plan,) = installs(Graph("k8tre", "test", [resource]))
        assert (plan.chart, plan.version, plan.release, plan.namespace) == (
            "argo-cd",
            CHARTS["argo-cd"].version,
            "argocd",
            "argocd",
        )

    return release.status.apply(check)


def test_platform_charts_are_installed_from_the_reviewed_archives_by_default() -> None:
    from conftest import graph_of

    releases = graph_of("dev").of_type("kubernetes:helm.sh/v3:Release")
    assert releases
    for release in releases:
        locked = chart_lock.archive(chart_name(release.inputs["chart"]), release.inputs["version"])
        assert release.inputs["chart"].endswith(locked.path.name), "a vendored archive, named by its path"
        assert not release.inputs.get("repositoryOpts"), "no chart repository is contacted"


def test_the_archive_path_starts_where_pulumi_runs_the_program(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import yaml

    main = yaml.safe_load((PROGRAM_DIR.parent / "Pulumi.yaml").read_text())["main"]
    assert (PROGRAM_DIR.parent / main).resolve() == PROGRAM_DIR.resolve(), "Pulumi.yaml's main: is the program directory"
    monkeypatch.chdir(tmp_path)  # wherever the command is started from
    path, _ = chart_reference(chart("cilium", {}, "vendored"))
    assert (PROGRAM_DIR / path).resolve() == chart_lock.archive("cilium", CHARTS["cilium"].version).path.resolve()
    assert path.startswith("../charts/")
