"""Schema validity of every expanded object.

Core kinds go through ``k8tre.offline.schemas.validate_manifest`` (kubernetes-validate,
strict). A custom resource is validated against the CRD that the render itself installs
(a chart's own CRDs, converted from their ``openAPIV3Schema``) when there is one, because
that is the schema the API server will apply; otherwise against the pinned upstream
schema under ``$K8TRE_SCHEMA_DIR/crds``. A missing schema is a finding, never a pass.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from typing import Any

import jsonschema  # type: ignore[import-untyped]

from ..offline.schemas import SchemaMissingError, all_errors, is_custom_resource, plain_data, validate_manifest
from ..offline.workloads import ExpandedRelease
from .findings import Finding, api_group, object_ref

CrdKey = tuple[str, str, str]
"""(group, kind, version) of a custom resource."""


def _json_schema(node: Any) -> Any:
    """A CRD's structural schema as JSON Schema, objects closed like the pinned upstream schemas.

    The OpenAPI extensions are translated (Kubernetes docs, "Extend the Kubernetes API with
    CustomResourceDefinitions", sections "Specifying a structural schema", "IntOrString",
    "RawExtension", https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/):
    ``x-kubernetes-int-or-string`` takes an integer or a string, ``nullable`` adds null,
    ``x-kubernetes-preserve-unknown-fields`` keeps an object open. Other objects are closed:
    the API server would drop (or, with strict field validation, reject) an unknown field.
    """
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    schema = {k: _json_schema(v) for k, v in node.items() if not k.startswith("x-kubernetes-") and k != "nullable"}
    if node.get("x-kubernetes-int-or-string"):
        schema.pop("type", None)
        schema["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in schema:
        schema["type"] = [schema["type"], "null"]
    open_object = node.get("x-kubernetes-preserve-unknown-fields") or "additionalProperties" in node
    if "properties" in node and not open_object:
        schema["additionalProperties"] = False
    return schema


def crd_validators(objects: Iterable[Mapping[str, Any]]) -> dict[CrdKey, Any]:
    """A validator per served version of every CustomResourceDefinition among ``objects``."""
    validators: dict[CrdKey, Any] = {}
    for crd in objects:
        if crd.get("kind") != "CustomResourceDefinition" or api_group(crd) != "apiextensions.k8s.io":
            continue
        spec = crd.get("spec") or {}
        for version in spec.get("versions") or ():
            openapi = (version.get("schema") or {}).get("openAPIV3Schema")
            if not version.get("served") or not isinstance(openapi, Mapping):
                continue
            schema = dict(_json_schema(plain_data(openapi)))
            # Every object has apiVersion, kind and metadata; CRD schemas often leave them out.
            properties = {"apiVersion": {"type": "string"}, "kind": {"type": "string"}, "metadata": {"type": "object"}}
            schema["properties"] = {**properties, **(schema.get("properties") or {})}
            schema.setdefault("additionalProperties", False)
            key = (str(spec.get("group")), str((spec.get("names") or {}).get("kind")), str(version.get("name")))
            validators[key] = jsonschema.Draft7Validator(schema)
    return validators


def check_schemas(
    releases: Iterable[ExpandedRelease], kubernetes_version: str, extra_crds: Iterable[Mapping[str, Any]] = ()
) -> list[Finding]:
    """Schema errors of every object the releases render (``extra_crds``: CRDs installed outside the charts)."""
    releases = list(releases)
    installed = crd_validators([*extra_crds, *(obj for r in releases for obj in r.objects)])
    findings: list[Finding] = []
    for release in releases:
        for obj in release.objects:
            subject = f"{release.name}: {object_ref(obj)}"
            group, _, version = str(obj.get("apiVersion", "")).rpartition("/")
            validator = installed.get((group, str(obj.get("kind")), version))
            try:
                if validator is not None and is_custom_resource(obj):
                    errors = all_errors(validator, plain_data(obj), f"{object_ref(obj)}:")
                else:
                    errors = _core_errors(json.dumps(obj, sort_keys=True, default=str), kubernetes_version)
            except SchemaMissingError as missing:
                errors = [f"{object_ref(obj)}: no schema: {missing}"]
            # Both validators prefix "<Kind>/<namespace>/<name>:", which the subject already says.
            findings += [Finding("schema", subject, error.removeprefix(f"{object_ref(obj)}:").strip()) for error in errors]
    return findings


# kubernetes-validate reads its schema files on every call (most of the check's time); a render is
# checked again after small changes (tests, re-renders), so each distinct object is validated once.
@functools.lru_cache(maxsize=4096)
def _core_errors(text: str, kubernetes_version: str) -> list[str]:
    return validate_manifest(json.loads(text), kubernetes_version)
