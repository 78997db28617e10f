"""Chart values that the chart does not declare, and values that change nothing.

Judged against the chart archive that is installed (its own ``values.yaml`` and
``values.schema.json``), not a copy: a key is declared when ``values.yaml`` has it (or its
parent there is an empty or free-form map) or the schema names it. A value equal to the
chart's default is dead configuration: it is reported as an advisory, because a value the
program computes per stack (replicas, a feature flag) legitimately equals the default in
some stacks.
"""

from __future__ import annotations

import functools
import json
import tarfile
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..offline.helm_values import unknown_value_paths
from .findings import Finding


@dataclass(frozen=True)
class ChartDefaults:
    """What a chart archive declares: its default values and its values schema (if it ships one)."""

    values: Mapping[str, Any]
    schema: Mapping[str, Any] | None


def chart_defaults(archive: Path) -> ChartDefaults:
    """Read ``<chart>/values.yaml`` and ``<chart>/values.schema.json`` from a chart archive (parsed once per file state)."""
    stat = archive.stat()
    return _read_defaults(archive, stat.st_size, stat.st_mtime_ns)


# Cilium's values.yaml takes most of a second to parse; callers must not mutate the result.
@functools.lru_cache(maxsize=32)
def _read_defaults(archive: Path, size: int, mtime: int) -> ChartDefaults:
    with tarfile.open(archive, "r:gz") as tar:
        top = tar.getnames()[0].split("/")[0]

        def read(name: str) -> str | None:
            try:
                member = tar.extractfile(f"{top}/{name}")
            except KeyError:
                return None
            return member.read().decode("utf-8") if member else None

        values_text = read("values.yaml")
        schema_text = read("values.schema.json")
    if values_text is None:
        raise FileNotFoundError(f"{archive}: no {top}/values.yaml")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return ChartDefaults(yaml.load(values_text, Loader=loader) or {}, json.loads(schema_text) if schema_text else None)  # noqa: S506


def _schema_node(schema: Mapping[str, Any], node: Mapping[str, Any], path: list[str]) -> Mapping[str, Any] | None:
    """The sub-schema at ``path`` (following local ``$ref``s), None when the schema does not name it."""
    for key in path:
        ref = node.get("$ref")
        while isinstance(ref, str) and ref.startswith("#/"):
            target: Any = schema
            for part in ref[2:].split("/"):
                target = target.get(part, {}) if isinstance(target, Mapping) else {}
            node = target if isinstance(target, Mapping) else {}
            ref = node.get("$ref")
        properties = node.get("properties") or {}
        if key in properties:
            node = properties[key]
        elif isinstance(node.get("additionalProperties"), Mapping) or node.get("additionalProperties") is True:
            return node
        else:
            return None
    return node


def undeclared_values(defaults: ChartDefaults, values: Mapping[str, Any], free_form: Collection[str] = ()) -> list[str]:
    """Dotted paths the program sets that neither ``values.yaml`` nor the values schema declares."""
    unknown = unknown_value_paths(defaults.values, values, free_form)
    schema = defaults.schema
    if schema is None:
        return unknown
    return [path for path in unknown if _schema_node(schema, schema, path.split(".")) is None]


def _leaves(given: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, list[str], Any]]:
    for key, value in given.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from _leaves(value, f"{path}.")
        else:
            yield path, path.split("."), value


def default_values(defaults: ChartDefaults, values: Mapping[str, Any]) -> list[str]:
    """Dotted paths whose value equals the chart's default (setting them changes nothing)."""
    found = []
    for path, parts, value in _leaves(values):
        node: Any = defaults.values
        for part in parts:
            node = node.get(part, _MISSING) if isinstance(node, Mapping) else _MISSING
        if node is not _MISSING and node == value:
            found.append(path)
    return found


_MISSING = object()


def check_chart_values(
    where: str, chart: str, archive: Path, values: Mapping[str, Any], free_form: Collection[str] = ()
) -> list[Finding]:
    """Undeclared keys (errors) and values equal to the default (advisories) of one release's values."""
    defaults = chart_defaults(archive)
    subject = f"{where} ({chart} {archive.name})"
    findings = [
        Finding("chart-values", subject, f"{path}: not declared by the chart's values.yaml or values.schema.json")
        for path in undeclared_values(defaults, values, free_form)
    ]
    findings += [
        Finding("chart-values", subject, f"{path}: equals the chart's default (changes nothing)", advisory=True)
        for path in default_values(defaults, values)
    ]
    return findings
