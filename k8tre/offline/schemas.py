"""Validate rendered Kubernetes objects and Helm values against upstream schemas.

Core kinds use ``kubernetes-validate`` (strict); custom resources and Helm values use
the pinned files under ``schema_dir()``. A missing schema raises instead of skipping,
because a skipped check looks exactly like a passing one.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import pathlib
from collections.abc import Collection, Mapping
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import yaml
from kubernetes_validate.utils import all_versions  # type: ignore[import-untyped]

ENV_VAR = "K8TRE_SCHEMA_DIR"

# API groups served by kube-apiserver itself (kubernetes-validate has their
# schemas). Listed explicitly because suffix rules fail: gateway.networking.k8s.io
# and metrics.k8s.io end in k8s.io but are installed separately.
CORE_GROUPS = frozenset(
    {
        "",
        "apps",
        "batch",
        "autoscaling",
        "policy",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "authentication.k8s.io",
        "authorization.k8s.io",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "internal.apiserver.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
        "storagemigration.k8s.io",
    }
)

# jsonschema messages embed the offending instance; a whole PodSpec is unreadable.
_MAX_MESSAGE = 400


class SchemaMissingError(Exception):
    """A schema file or directory that a check needs does not exist."""


def _missing(what: str, path: pathlib.Path, hint: str = "") -> SchemaMissingError:
    return SchemaMissingError(
        f"{what} not found: {path}{hint}. Set {ENV_VAR} to the directory holding the upstream schemas (crds/, helm/)."
    )


def _project_root() -> pathlib.Path | None:
    # The installed package may live outside the checkout, so try cwd as well.
    for start in (pathlib.Path(__file__).resolve().parent, pathlib.Path.cwd().resolve()):
        for candidate in (start, *start.parents):
            if (candidate / "pyproject.toml").is_file():
                return candidate
    return None


def schema_dir() -> pathlib.Path:
    """``$K8TRE_SCHEMA_DIR``, else ``<project root>/../shared/schemas``; must exist."""
    override = os.environ.get(ENV_VAR)
    if override:
        path = pathlib.Path(override).expanduser().resolve()
    else:
        root = _project_root()
        if root is None:
            raise SchemaMissingError(f"no pyproject.toml found to locate schemas; set {ENV_VAR}")
        path = (root.parent / "shared" / "schemas").resolve()
    if not path.is_dir():
        raise _missing("schema directory", path)
    return path


# Schemas are parsed once per path: the same CRD/chart is checked many times per run.
# Callers get the cached objects, so nothing below may mutate them.
@functools.cache
def _load(path: pathlib.Path) -> Any:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


@functools.cache
def _validator(path: pathlib.Path, close_root: bool) -> Any:
    schema = _load(path)
    if close_root and "properties" in schema:
        # The CRD files close every nested object but leave the root open, so a
        # typo such as `sepc:` would pass; the API server would drop or reject it.
        schema = {**schema, "additionalProperties": schema.get("additionalProperties", False)}
    # Use the draft the file declares; CRD files declare none and are Draft 7.
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    # Not cls.check_schema: it compiles every "pattern" with Python's re, and upstream CRDs use
    # ECMA-262 classes (Cilium's "^\\PC*$") that re cannot compile. The structure is still checked.
    problem = jsonschema.exceptions.best_match(cls(cls.META_SCHEMA).iter_errors(schema))
    if problem is not None:
        raise jsonschema.exceptions.SchemaError.create_from(problem)
    return cls(schema)


def _format(prefix: str, path: str, message: str) -> str:
    if len(message) > _MAX_MESSAGE:
        message = message[:_MAX_MESSAGE] + "..."
    return f"{prefix} {path}: {message}"


def _all_errors(validator: Any, instance: Any, prefix: str) -> list[str]:
    errors = sorted(validator.iter_errors(instance), key=lambda e: (e.json_path, e.message))
    return [_format(prefix, e.json_path, e.message) for e in errors]


def _plain(value: Any) -> Any:
    # jsonschema only treats dict/list as object/array, so normalise other Mappings.
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _group_version(obj: Mapping[str, Any]) -> tuple[str, str]:
    group, _, version = str(obj.get("apiVersion") or "").rpartition("/")
    return group, version


def is_custom_resource(obj: Mapping[str, Any]) -> bool:
    """True if the object's API group is not built into kube-apiserver."""
    return _group_version(obj)[0] not in CORE_GROUPS


@functools.cache
def _k8s_version(kubernetes_version: str) -> str:
    # kubernetes_validate compares versions as strings ("1.4" > "1.37") and crashes
    # below its oldest bundle, so map the minor version to a bundled one ourselves.
    bundled = all_versions()
    parts = kubernetes_version.removeprefix("v").split(".")
    wanted = ".".join(parts[:2])
    for candidate in bundled:
        if candidate.rsplit(".", 1)[0] == wanted:
            return str(candidate)
    raise ValueError(
        f"Kubernetes {kubernetes_version!r} is not supported by kubernetes-validate "
        f"{kubernetes_validate.__version__}: supported {bundled[0]} to {bundled[-1]}"
    )


def validate_manifest(obj: Mapping[str, Any], kubernetes_version: str) -> list[str]:
    """Validate one object; return ``"<kind>/<namespace>/<name>: <json path>: <msg>"`` errors.

    Core kinds use kubernetes-validate in strict mode for ``kubernetes_version``
    ("1.33" or "1.33.4"); it stops at the first error, so at most one is reported.
    Custom resources use ``crds/<group>/<kind>_<version>.json`` and report all errors.
    Raises ValueError for an unsupported Kubernetes version and SchemaMissingError
    when a custom resource has no schema file.
    """
    data = _plain(obj)
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    kind = str(data.get("kind") or "?")
    prefix = f"{kind}/{meta.get('namespace') or '-'}/{meta.get('name') or '?'}:"
    if not data.get("apiVersion") or not data.get("kind"):
        return [f"{prefix} $: apiVersion and kind are required"]
    if is_custom_resource(data):
        group, version = _group_version(data)
        path = schema_dir() / "crds" / group / f"{kind.lower()}_{version}.json"
        if not path.is_file():
            raise _missing("CRD schema", path)
        return _all_errors(_validator(path, True), data, prefix)
    k8s = _k8s_version(kubernetes_version)
    try:
        kubernetes_validate.validate(data, k8s, strict=True)
    except kubernetes_validate.ValidationError as e:
        return [_format(prefix, e.json_path, e.message)]
    except kubernetes_validate.SchemaNotFoundError:
        # A core group with no such kind/version (e.g. a removed beta API) would be
        # rejected by the API server, so it is an error, not a skip.
        return [f"{prefix} $: {data['apiVersion']} {kind} does not exist in Kubernetes {k8s}"]
    return []


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
    that take any key despite non-empty defaults (e.g. argo-cd's ``configs.params``).
    """
    found: list[str] = []

    def walk(known: Mapping[str, Any], given: Mapping[str, Any], prefix: str) -> None:
        for key, value in given.items():
            path = f"{prefix}{key}"
            if key not in known:
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


def _chart_version_dir(chart: str, version: str) -> pathlib.Path:
    chart_dir = schema_dir() / "helm" / chart
    if not chart_dir.is_dir():
        raise _missing("Helm chart schemas", chart_dir)
    path = chart_dir / version
    if not path.is_dir():
        # A missing version almost always means the chart pin moved on.
        available = ", ".join(sorted(p.name for p in chart_dir.iterdir() if p.is_dir()))
        raise _missing("Helm chart version", path, f" (available: {available or 'none'})")
    return path


def chart_defaults(chart: str, version: str) -> dict[str, Any]:
    """The chart's default ``values.yaml``, parsed (a fresh copy the caller may mutate)."""
    path = _chart_version_dir(chart, version) / "values.yaml"
    if not path.is_file():
        raise _missing("Helm chart values.yaml", path)
    return copy.deepcopy(_load(path) or {})


def helm_schema_available(chart: str, version: str) -> bool:
    """True if the chart version ships a ``values.schema.json`` in the schema dir."""
    return (schema_dir() / "helm" / chart / version / "values.schema.json").is_file()


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
    if not require and not (schema_dir() / "helm" / chart).is_dir():
        return []
    prefix = f"{chart}@{version}:"
    given = _plain(values)
    defaults = chart_defaults(chart, version)
    errors: list[str] = []
    schema_path = _chart_version_dir(chart, version) / "values.schema.json"
    if schema_path.is_file():
        errors += _all_errors(_validator(schema_path, False), deep_merge(defaults, given), prefix)
    errors += [f"{prefix} {path}: key not in the chart's values.yaml" for path in unknown_value_paths(defaults, given, free_form)]
    return errors
