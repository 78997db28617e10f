"""Reading a render directory back into a :class:`Graph`, so a render can be judged without running the program.

Reviewers check the artefacts CI rendered; tests check renders they mutated. The
directory is what ``k8tre render`` writes: ``graph.json`` (every resource), ``manifests/``
(one file per Kubernetes object), ``helm/`` (one file per Helm release) and, once charts
are expanded, ``workloads/``. A person reviews the YAML files, so where a manifest or a
release file differs from ``graph.json`` the file wins: the checks judge what was read.

``graph.json`` writes every secret as ``[secret]``. The loader turns each back into a
secret whose content is unknown, so a rule neither mistakes the marker for a plaintext
credential nor judges a setting it cannot see (it reports it as not evidenced).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ..policies.facts import REDACTED, Unknown
from . import render as render_module
from .graph import SECRET_TEXT, Graph, Options, RecordedResource, Secret
from .render import manifest_filename


class RenderDirectoryError(Exception):
    """The directory is not a render (no readable ``graph.json``)."""


def secret_markers(value: Any) -> Any:
    """``value`` with each ``[secret]`` marker turned back into a secret of unknown content."""
    if value == SECRET_TEXT:
        return Secret(Unknown(REDACTED))
    if isinstance(value, dict):
        return {key: secret_markers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [secret_markers(item) for item in value]
    return value


def is_render_directory(path: Path) -> bool:
    """True when ``path`` holds a render (``graph.json``)."""
    return (path / "graph.json").is_file()


def load(directory: Path) -> Graph:
    """The graph a render directory records, with its reviewed YAML files applied over ``graph.json``."""
    try:
        data = json.loads((directory / "graph.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RenderDirectoryError(f"{directory}: not a render directory ({error})") from None
    manifests = _yaml_files(directory / "manifests")
    releases = _yaml_files(directory / "helm")
    resources = []
    for entry in data.get("resources", []):
        inputs = dict(entry.get("inputs") or {})
        if _is_kubernetes_object(entry):
            inputs = manifests.pop(manifest_filename(inputs), inputs)
        elif entry["type"] == "kubernetes:helm.sh/v3:Release":
            inputs = _release_inputs(inputs, releases)
        resources.append(_resource(entry, inputs))
    for filename, obj in sorted(manifests.items()):
        # An object a reviewer (or a mutation) added to manifests/ is judged like the rest.
        resources.append(_resource(_added(filename, obj, data), obj))
    graph = Graph(
        project=str(data.get("project", "")),
        stack=str(data.get("stack", "")),
        resources=resources,
        outputs=secret_markers(data.get("outputs") or {}),
    )
    loader = getattr(render_module, "load_workloads", None)  # provided with chart expansion (issue 10)
    if callable(loader) and (directory / "workloads").is_dir():
        graph.workloads = list(loader(directory))
    return graph


def _is_kubernetes_object(entry: dict[str, Any]) -> bool:
    kind = str(entry.get("type", ""))
    return kind.startswith("kubernetes:") and bool(entry.get("custom")) and not kind.startswith("kubernetes:helm.sh/")


def _yaml_files(folder: Path) -> dict[str, dict[str, Any]]:
    files: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(loaded, dict):
            files[path.name] = loaded
    return files


def _release_inputs(inputs: dict[str, Any], releases: dict[str, dict[str, Any]]) -> dict[str, Any]:
    for release in releases.values():
        if release.get("name") == inputs.get("name") and release.get("namespace") == inputs.get("namespace"):
            # A vendored release is installed from its archive (the path Pulumi hands to Helm), else by chart name.
            merged = {**inputs, "chart": release.get("archive") or release.get("chart"), "version": release.get("version")}
            merged["values"] = release.get("values") or {}
            if release.get("repository"):
                merged["repositoryOpts"] = {**(inputs.get("repositoryOpts") or {}), "repo": release["repository"]}
            return merged
    return inputs


def _resource(entry: dict[str, Any], inputs: dict[str, Any]) -> RecordedResource:
    options = entry.get("options") or {}
    return RecordedResource(
        urn=str(entry["urn"]),
        type=str(entry["type"]),
        name=str(entry.get("name", "")),
        parent=str(entry.get("parent", "")),
        provider=str(entry.get("provider", "")),
        dependencies=tuple(entry.get("dependencies") or ()),
        custom=bool(entry.get("custom", True)),
        inputs=secret_markers(inputs),
        options=Options(
            protect=bool(options.get("protect")),
            retain_on_delete=bool(options.get("retainOnDelete")),
            delete_before_replace=bool(options.get("deleteBeforeReplace")),
            ignore_changes=tuple(options.get("ignoreChanges") or ()),
            depends_on=tuple(options.get("dependsOn") or ()),
            additional_secret_outputs=(),  # not written to graph.json
            aliases=(),
            replace_on_changes=tuple(options.get("replaceOnChanges") or ()),
        ),
    )


def _added(filename: str, obj: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    api_version, kind = str(obj.get("apiVersion", "v1")), str(obj.get("kind", "Object"))
    token = f"kubernetes:{api_version if '/' in api_version else 'core/' + api_version}:{kind}"
    return {
        "urn": f"urn:pulumi:{data.get('stack')}::{data.get('project')}::{token}::manifests/{filename}",
        "type": token,
        "name": f"manifests/{filename}",
        "custom": True,
    }
