"""Validate rendered Kubernetes objects and Helm values against upstream schemas.

Core kinds use ``kubernetes-validate`` (strict); custom resources and Helm values use
the pinned files under ``schema_dir()``. A missing schema raises instead of skipping,
because a skipped check looks exactly like a passing one.
"""

from __future__ import annotations

import functools
import json
import os
import pathlib
from collections.abc import Mapping
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import kubernetes_validate  # type: ignore[import-untyped]
import yaml
from kubernetes_validate.utils import all_versions  # type: ignore[import-untyped]

from .graph import SECRET_TEXT

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


def missing_error(what: str, path: pathlib.Path, hint: str = "") -> SchemaMissingError:
    """The error for an expected schema file or directory that is absent."""
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
        raise missing_error("schema directory", path)
    return path


# Schemas are parsed once per path: the same CRD/chart is checked many times per run.
# Callers get the cached objects, so nothing below may mutate them.
@functools.cache
def load_schema_file(path: pathlib.Path) -> Any:
    """A JSON or YAML schema/values file, parsed once (callers must not mutate it)."""
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


@functools.cache
def validator_for_file(path: pathlib.Path, close_root: bool) -> Any:
    """A validator for the schema in ``path``; ``close_root`` rejects unknown top-level keys."""
    schema = load_schema_file(path)
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


def all_errors(validator: Any, instance: Any, prefix: str) -> list[str]:
    """Every validation error, sorted, each with ``prefix`` and its JSON path."""
    errors = sorted(validator.iter_errors(instance), key=lambda e: (e.json_path, e.message))
    return [_format(prefix, e.json_path, e.message) for e in errors]


def plain_data(value: Any) -> Any:
    """Mappings and sequences turned into dicts and lists, as jsonschema expects."""
    # jsonschema only treats dict/list as object/array, so normalise other Mappings.
    if isinstance(value, Mapping):
        return {k: plain_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_data(v) for v in value]
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
    data = plain_data(obj)
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    kind = str(data.get("kind") or "?")
    prefix = f"{kind}/{meta.get('namespace') or '-'}/{meta.get('name') or '?'}:"
    if not data.get("apiVersion") or not data.get("kind"):
        return [f"{prefix} $: apiVersion and kind are required"]
    if data["apiVersion"] == "v1" and kind == "Secret":
        # pulumi-kubernetes wraps a Secret's whole ``data`` and ``stringData`` in one secret Output
        # (core/v1 Secret: ``pulumi.Output.secret(string_data)``), so a render holds only the redaction
        # marker there: the map's shape is unknowable offline, the rest of the object is still checked.
        data = {key: {} if key in ("data", "stringData") and value == SECRET_TEXT else value for key, value in data.items()}
    if is_custom_resource(data):
        group, version = _group_version(data)
        path = schema_dir() / "crds" / group / f"{kind.lower()}_{version}.json"
        if not path.is_file():
            raise missing_error("CRD schema", path)
        return all_errors(validator_for_file(path, True), data, prefix)
    if kind == "Secret" and data.get("apiVersion") == "v1":
        # pulumi-kubernetes makes a Secret's whole ``data`` and ``stringData`` one secret value, so the
        # render shows "[secret]" where the map was: its keys and values are hidden, not missing.
        data = {**data, **{key: {} for key in ("data", "stringData") if data.get(key) == SECRET_TEXT}}
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
