"""Helm chart values checked against the chart's own schema and its default ``values.yaml``."""

from __future__ import annotations

import copy
import os
import pathlib
import tarfile
from collections.abc import Collection, Mapping
from typing import Any

from ..chart_lock import ChartLockError, archive, locked_versions, verified_archive
from .schemas import all_errors, load_schema_file, missing_error, plain_data, schema_dir, validator_for_file


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Override wins, mappings merge recursively, lists are replaced.

    Neither input is mutated and the result shares no containers with them. Unlike
    Helm, a null override is kept as null rather than deleting the default key.
    """
    merged: dict[str, Any] = copy.deepcopy(dict(base))
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def unknown_value_paths(defaults: Mapping[str, Any], values: Mapping[str, Any], free_form: Collection[str] = ()) -> list[str]:
    """Sorted dotted paths set in ``values`` that the chart's ``defaults`` lack.

    A key is unknown only if its parent is a non-empty mapping in ``defaults`` that
    lacks it (an empty/null parent such as ``annotations: {}`` takes any key); only
    the topmost unknown key is reported. ``free_form`` lists more dotted parent paths
    that take any key despite non-empty defaults (e.g. argo-cd's ``configs.params``), or that the
    chart's ``values.yaml`` documents only in comments although its templates read them.
    """
    found: list[str] = []

    def walk(known: Mapping[str, Any], given: Mapping[str, Any], prefix: str) -> None:
        for key, value in given.items():
            path = f"{prefix}{key}"
            if key not in known:
                if path not in free_form:
                    found.append(path)
                continue
            child = known[key]
            # Descend only into non-empty mappings; empty/null defaults are free-form.
            nested = isinstance(child, Mapping) and child and isinstance(value, Mapping)
            if nested and path not in free_form:
                walk(child, value, f"{path}.")

    if defaults:
        walk(defaults, values, "")
    return sorted(found)


_CHART_FILES = ("values.yaml", "values.schema.json")


def vendored_chart_dir(chart: str, version: str) -> pathlib.Path | None:
    """The chart's own ``values.yaml`` and ``values.schema.json``, from its vendored, digest-checked archive.

    For charts the shared schema directory does not carry: the archive Pulumi installs is the same
    upstream source, so its files are as real as a copy. Extracted once per digest into
    ``$K8TRE_CHART_FILES_CACHE`` (default ``~/.cache/k8tre/chart-files``). None when not vendored.
    """
    if version not in locked_versions(chart):
        return None
    try:
        locked = archive(chart, version)
        path = verified_archive(locked)
    except ChartLockError:
        return None
    root = pathlib.Path(os.environ.get("K8TRE_CHART_FILES_CACHE", "~/.cache/k8tre/chart-files")).expanduser()
    target = root / chart / locked.sha256
    if not (target / "values.yaml").is_file():
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(path) as bundle:
            for name in _CHART_FILES:
                try:
                    member = bundle.extractfile(f"{chart}/{name}")
                except KeyError:
                    continue
                if member is not None:
                    (target / name).write_bytes(member.read())
    return target


def _chart_version_dir(chart: str, version: str) -> pathlib.Path:
    chart_dir = schema_dir() / "helm" / chart
    if not chart_dir.is_dir():
        vendored = vendored_chart_dir(chart, version)
        if vendored is not None:
            return vendored
        raise missing_error("Helm chart schemas", chart_dir)
    path = chart_dir / version
    if not path.is_dir():
        # A missing version almost always means the chart pin moved on.
        available = ", ".join(sorted(p.name for p in chart_dir.iterdir() if p.is_dir()))
        raise missing_error("Helm chart version", path, f" (available: {available or 'none'})")
    return path


def chart_defaults(chart: str, version: str) -> dict[str, Any]:
    """The chart's default ``values.yaml``, parsed (a fresh copy the caller may mutate)."""
    path = _chart_version_dir(chart, version) / "values.yaml"
    if not path.is_file():
        raise missing_error("Helm chart values.yaml", path)
    return copy.deepcopy(load_schema_file(path) or {})


def helm_schema_available(chart: str, version: str) -> bool:
    """True if the chart version ships a ``values.schema.json`` (in the schema dir, else in its vendored archive)."""
    if (schema_dir() / "helm" / chart).is_dir():
        return (schema_dir() / "helm" / chart / version / "values.schema.json").is_file()
    vendored = vendored_chart_dir(chart, version)
    return vendored is not None and (vendored / "values.schema.json").is_file()


def _root_closed(schema: Mapping[str, Any]) -> bool:
    """Whether the schema's top-level object rejects unknown keys (following a local ``$ref``)."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = schema
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, Mapping) else {}
        return _root_closed(target) if isinstance(target, Mapping) else False
    return schema.get("additionalProperties") is False


def validate_helm_values(
    chart: str,
    version: str,
    values: Mapping[str, Any],
    *,
    require: bool = True,
    free_form: Collection[str] = (),
) -> list[str]:
    """Check Helm values for ``chart`` at ``version``; return errors (empty = valid).

    Reports ``values.schema.json`` violations of defaults deep-merged with
    ``values`` (when the chart ships a schema) and every key path the chart's
    ``values.yaml`` does not know (see ``unknown_value_paths``). With
    ``require=False`` a chart with no directory at all is skipped; otherwise, and
    always for a missing version, SchemaMissingError is raised.
    """
    if not require and not (schema_dir() / "helm" / chart).is_dir() and vendored_chart_dir(chart, version) is None:
        return []
    prefix = f"{chart}@{version}:"
    given = plain_data(values)
    defaults = chart_defaults(chart, version)
    errors: list[str] = []
    schema_path = _chart_version_dir(chart, version) / "values.schema.json"
    closed = False
    if schema_path.is_file():
        errors += all_errors(validator_for_file(schema_path, False), deep_merge(defaults, given), prefix)
        # A closed schema (cert-manager, z2jh) already rejects unknown keys, and knows keys that
        # values.yaml only mentions in comments; an open one (cilium) needs the values.yaml check.
        closed = _root_closed(load_schema_file(schema_path))
    if not closed:
        unknown = unknown_value_paths(defaults, given, free_form)
        errors += [f"{prefix} {path}: key not in the chart's values.yaml" for path in unknown]
    return errors
