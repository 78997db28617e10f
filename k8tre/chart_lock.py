"""The chart lock (``charts/lock.yaml``): which chart archives and manifests are vendored, and their digests.

The lock is the single source of the chart pins (``k8tre.versions`` reads them from here)
and the record of what was reviewed: every archive in ``charts/`` is named with its
sha256, and nothing is installed or expanded from a file whose digest differs. This
module imports no Pulumi, so the configuration can ask it which versions a stack may
override to (:func:`locked_versions`).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CHARTS_DIR = Path(__file__).resolve().parents[1] / "charts"
"""Where the vendored archives and the lock live (``charts/`` at the project's root)."""
LOCK_FILE = CHARTS_DIR / "lock.yaml"
PROGRAM_DIR = CHARTS_DIR.parent / "stacks"
"""Where the Pulumi CLI runs the program (``main: stacks/`` in Pulumi.yaml): where a Release's relative chart path starts."""


class ChartLockError(Exception):
    """The lock is malformed, names no archive for a pin, or an archive does not match its digest."""


@dataclass(frozen=True)
class LockedArchive:
    """One vendored chart package: name, exact version, where it came from and its digest."""

    chart: str
    version: str
    repository: str
    """The upstream Helm repository the same version is published in."""
    path: Path
    """The archive in ``charts/``."""
    sha256: str
    source: dict[str, str]
    """Upstream origin (repository, ref, commit, path) for a reviewer to rebuild or re-download it."""


@dataclass(frozen=True)
class LockedChart:
    """A chart: its upstream repository, the version stacks install by default, and its vendored archives."""

    name: str
    repository: str
    pin: str
    archives: dict[str, LockedArchive]


@dataclass(frozen=True)
class LockedManifest:
    """One vendored plain manifest file (not a chart)."""

    path: Path
    sha256: str
    source: dict[str, str]


@dataclass(frozen=True)
class ChartLock:
    """The whole lock file."""

    charts: dict[str, LockedChart]
    manifests: dict[str, tuple[str, tuple[LockedManifest, ...]]]
    """Manifest set name to (version, files)."""


def _text(value: Any, where: str) -> str:
    # YAML reads 1.20 as the float 1.2: a version must be written so that it stays text.
    if not isinstance(value, str) or not value:
        raise ChartLockError(f"{where}: {value!r} must be a non-empty string (quote versions like '1.20')")
    return value


def _chart(name: str, entry: dict[str, Any], base: Path) -> LockedChart:
    repository = _text(entry.get("repository"), f"charts.{name}.repository")
    pin = _text(entry.get("pin"), f"charts.{name}.pin")
    archives: dict[str, LockedArchive] = {}
    for version, item in (entry.get("archives") or {}).items():
        where = f"charts.{name}.archives.{version}"
        archives[_text(version, where)] = LockedArchive(
            chart=name,
            version=version,
            repository=repository,
            path=base / _text(item.get("file"), f"{where}.file"),
            sha256=_text(item.get("sha256"), f"{where}.sha256").lower(),
            source={str(k): str(v) for k, v in (item.get("source") or {}).items()},
        )
    if pin not in archives:
        raise ChartLockError(f"charts.{name}.pin {pin!r} has no archive in the lock (locked: {sorted(archives)})")
    return LockedChart(name, repository, pin, archives)


def parse(document: dict[str, Any], base: Path) -> ChartLock:
    """A lock from its YAML document; relative file names are resolved against ``base``."""
    charts = {str(name): _chart(str(name), entry or {}, base) for name, entry in (document.get("charts") or {}).items()}
    manifests = {
        str(name): (
            _text(entry.get("version"), f"manifests.{name}.version"),
            tuple(
                LockedManifest(
                    base / _text(f.get("file"), f"manifests.{name}.file"),
                    _text(f.get("sha256"), "sha256").lower(),
                    f.get("source") or {},
                )
                for f in entry.get("files") or ()
            ),
        )
        for name, entry in (document.get("manifests") or {}).items()
    }
    return ChartLock(charts, manifests)


@functools.cache
def load(path: Path = LOCK_FILE) -> ChartLock:
    """The lock file, read once per process."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return parse(document, path.parent)


def locked_chart(chart: str, lock: ChartLock | None = None) -> LockedChart:
    """The lock's entry for ``chart``."""
    charts = (lock or load()).charts
    if chart not in charts:
        raise ChartLockError(f"chart {chart!r} is not in {LOCK_FILE.name} (locked: {sorted(charts)})")
    return charts[chart]


def locked_archive_named(reference: str, lock: ChartLock | None = None) -> LockedArchive | None:
    """The locked archive a Release's ``chart`` input names by path (``../charts/cilium-1.19.6.tgz``), if any."""
    filename = Path(reference).name
    for entry in (lock or load()).charts.values():
        for locked in entry.archives.values():
            if locked.path.name == filename:
                return locked
    return None


def chart_name(reference: str) -> str:
    """The chart a Release's ``chart`` input installs: its name, whether given by name or as a vendored archive path."""
    locked = locked_archive_named(reference) if reference.endswith(".tgz") else None
    return locked.chart if locked else reference


def recorded_digests(lock: ChartLock | None = None) -> frozenset[str]:
    """Every sha256 the lock records, for archives and manifests alike: the bytes that were reviewed."""
    found = lock or load()
    archives = {a.sha256 for chart in found.charts.values() for a in chart.archives.values()}
    return frozenset(archives | {m.sha256 for _, files in found.manifests.values() for m in files})


def locked_versions(chart: str) -> frozenset[str]:
    """The versions of ``chart`` that have a vendored archive: what a stack may pin it to."""
    charts = load().charts
    return frozenset(charts[chart].archives) if chart in charts else frozenset()


def archive(chart: str, version: str, lock: ChartLock | None = None) -> LockedArchive:
    """The locked archive of ``chart`` at ``version``; an error naming the locked versions if there is none."""
    entry = locked_chart(chart, lock)
    if version not in entry.archives:
        raise ChartLockError(f"{chart} {version} has no vendored archive in charts/ (locked: {sorted(entry.archives)})")
    return entry.archives[version]


def sha256_of(path: Path) -> str:
    """The hex sha256 of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified(path: Path, expected: str) -> Path:
    """``path``, after checking that it exists and its sha256 is ``expected``."""
    if not path.is_file():
        raise ChartLockError(f"{path} is locked but missing")
    actual = sha256_of(path)
    if actual != expected:
        raise ChartLockError(f"{path} has sha256 {actual}, the lock says {expected}: refusing an archive that was not reviewed")
    return path


def verified_archive(locked: LockedArchive) -> Path:
    """The archive's path, after checking its digest against the lock."""
    return verified(locked.path, locked.sha256)


def manifest_files(name: str, lock: ChartLock | None = None) -> tuple[str, tuple[Path, ...]]:
    """The version and the verified files of the manifest set ``name`` (e.g. ``gateway-api``)."""
    manifests = (lock or load()).manifests
    if name not in manifests:
        raise ChartLockError(f"manifest set {name!r} is not in {LOCK_FILE.name}")
    version, files = manifests[name]
    return version, tuple(verified(f.path, f.sha256) for f in files)
