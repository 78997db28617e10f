"""The chart lock: every pin has a vendored archive, every archive matches its digest and its own Chart.yaml."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest
import yaml

from k8tre import chart_lock, versions
from k8tre.chart_lock import ChartLockError

LOCK = chart_lock.load()
ARCHIVES = [archive for entry in LOCK.charts.values() for archive in entry.archives.values()]


@pytest.mark.parametrize("archive", ARCHIVES, ids=lambda a: f"{a.chart}-{a.version}")
def test_archive_matches_its_lock_entry(archive: chart_lock.LockedArchive) -> None:
    assert chart_lock.verified_archive(archive) == archive.path
    # The package's own Chart.yaml must say it is the chart and version the lock files it under.
    with tarfile.open(archive.path) as tar:
        member = tar.extractfile(f"{archive.chart}/Chart.yaml")
        assert member is not None
        metadata = yaml.safe_load(member.read())
    assert (metadata["name"], str(metadata["version"])) == (archive.chart, archive.version)


def test_every_program_chart_is_pinned_from_the_lock() -> None:
    assert set(versions.CHARTS) == set(LOCK.charts)
    for name, pin in versions.CHARTS.items():
        assert (pin.version, pin.repository) == (LOCK.charts[name].pin, LOCK.charts[name].repository)
        assert pin.version in chart_lock.locked_versions(name)


def test_only_locked_archives_are_vendored() -> None:
    # The repository carries what the lock uses and nothing else.
    assert {p.name for p in chart_lock.CHARTS_DIR.glob("*.tgz")} == {a.path.name for a in ARCHIVES}


def test_locked_versions() -> None:
    assert chart_lock.locked_versions("cilium") == frozenset({"1.19.6"})
    assert chart_lock.locked_versions("no-such-chart") == frozenset()


def test_an_override_without_an_archive_is_refused() -> None:
    with pytest.raises(ChartLockError, match=r"cilium 1\.20\.0 has no vendored archive"):
        chart_lock.archive("cilium", "1.20.0")


def _copy_lock(tmp_path: Path) -> Path:
    for archive in ARCHIVES:
        shutil.copy(archive.path, tmp_path / archive.path.name)
    (tmp_path / "lock.yaml").write_text(chart_lock.LOCK_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path / "lock.yaml"


def test_an_archive_that_differs_from_its_digest_is_refused(tmp_path: Path) -> None:
    lock = chart_lock.parse(yaml.safe_load(_copy_lock(tmp_path).read_text(encoding="utf-8")), tmp_path)
    archive = chart_lock.archive("jupyterhub", "4.3.2", lock)
    assert chart_lock.verified_archive(archive)  # the copy is intact
    with archive.path.open("ab") as stream:
        stream.write(b"\0")
    with pytest.raises(ChartLockError, match="refusing an archive that was not reviewed"):
        chart_lock.verified_archive(archive)
    archive.path.unlink()
    with pytest.raises(ChartLockError, match="locked but missing"):
        chart_lock.verified_archive(archive)


def test_a_pin_without_an_archive_is_refused() -> None:
    document = yaml.safe_load(chart_lock.LOCK_FILE.read_text(encoding="utf-8"))
    document["charts"]["cilium"]["pin"] = "1.20.0"
    with pytest.raises(ChartLockError, match=r"charts\.cilium\.pin '1\.20\.0' has no archive"):
        chart_lock.parse(document, chart_lock.CHARTS_DIR)


def test_a_version_yaml_reads_as_a_number_is_refused() -> None:
    document = yaml.safe_load("charts: {cilium: {repository: r, pin: 1.20, archives: {}}}")
    with pytest.raises(ChartLockError, match="must be a non-empty string"):
        chart_lock.parse(document, chart_lock.CHARTS_DIR)


def test_gateway_api_manifests_are_verified(tmp_path: Path) -> None:
    version, files = chart_lock.manifest_files("gateway-api")
    assert version == versions.GATEWAY_API_VERSION
    assert [f.name for f in files] == ["standard-install.yaml", "experimental-gateway.networking.k8s.io_tlsroutes.yaml"]
    document = yaml.safe_load(chart_lock.LOCK_FILE.read_text(encoding="utf-8"))
    for entry in document["manifests"]["gateway-api"]["files"]:
        target = tmp_path / entry["file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text((chart_lock.CHARTS_DIR / entry["file"]).read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    with pytest.raises(ChartLockError, match="refusing"):
        chart_lock.manifest_files("gateway-api", chart_lock.parse(document, tmp_path))


def test_the_program_never_needs_helm_and_the_lock_never_needs_pulumi() -> None:
    import subprocess
    import sys

    code = (
        "import sys, k8tre.chart_lock; assert 'pulumi' not in sys.modules, 'chart_lock imports pulumi'; "
        "import k8tre.program; assert 'helm_python' not in sys.modules, 'the program imports helm_python'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
