"""Render one vendored chart with Helm's own template engine, offline, and cache the result.

Helm runs in-process through ``helm-python-sdk`` (``import helm_python``: Helm's Go SDK
bound with ctypes, no ``helm`` binary). It is a render-time and test-time dependency
only, imported on first use, so ``pulumi up`` never needs it, and a render whose
expansions are all cached never loads it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

CACHE_ENV = "K8TRE_EXPAND_CACHE"
"""Environment variable naming the expansion cache directory (default ``~/.cache/k8tre/expand``)."""
_FORMAT = 1  # bump when what is cached changes shape, so old entries are never read


class ChartRenderError(Exception):
    """Helm refused the chart or its values (a template failed, or the cluster's version is not supported)."""


@dataclass(frozen=True)
class RenderRequest:
    """Everything Helm's template engine needs: what ``helm template`` would be given on its command line."""

    archive: Path
    """The vendored chart archive (already checked against the lock)."""
    archive_sha256: str
    release: str
    namespace: str
    values: dict[str, Any]
    kube_version: str
    """``vX.Y.Z``: Helm's ``.Capabilities.KubeVersion`` and the chart's ``kubeVersion`` constraint."""
    api_versions: frozenset[str]
    """Extra API versions the cluster serves (``group/version`` and ``group/version/Kind``), on top of Helm's built-in set."""
    include_crds: bool = True
    """Add the chart's ``crds/`` files, as an install does unless told to skip them."""

    def key(self) -> str:
        """The cache key: chart digest, values, release identity, cluster capabilities, and the Helm SDK build."""
        material = {
            "format": _FORMAT,
            "chart": self.archive_sha256,
            "release": self.release,
            "namespace": self.namespace,
            "values": self.values,
            "kube": self.kube_version,
            "apis": sorted(self.api_versions),
            "crds": self.include_crds,
            "helm": _helm_build(),
        }
        return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


def _helm_build() -> str:
    # The SDK's version from its metadata, so a cache entry from another Helm build is never reused,
    # without loading the 80 MB native library just to ask it.
    from importlib.metadata import version

    return version("helm-python-sdk")


def cache_dir() -> Path:
    """Where expansions are cached: ``$K8TRE_EXPAND_CACHE``, else ``$XDG_CACHE_HOME/k8tre/expand``, else ``~/.cache/...``."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "k8tre" / "expand"


def render(request: RenderRequest, cache: Path | None = None) -> tuple[dict[str, Any], ...]:
    """Every object the chart renders (hooks included, NOTES excluded), from the cache when it has this exact request."""
    directory = cache if cache is not None else cache_dir()
    entry = directory / f"{request.key()}.json"
    if entry.is_file():
        try:
            cached: list[dict[str, Any]] = json.loads(entry.read_text(encoding="utf-8"))
            return tuple(cached)
        except (OSError, ValueError):
            pass  # a damaged entry is rendered again and overwritten
    objects = _render_with_helm(request)
    directory.mkdir(parents=True, exist_ok=True)
    partial = entry.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(list(objects)), encoding="utf-8")
    partial.replace(entry)  # atomic: a concurrent render never reads half an entry
    return objects


@functools.cache
def consults_api_versions(archive: Path, sha256: str) -> bool:
    """Whether any template of the chart or its subcharts reads ``.Capabilities.APIVersions``.

    A chart that never reads them renders the same whatever the cluster serves, so it need
    not be rendered again when more API versions become known. ``sha256`` keys the memo.
    """
    with tarfile.open(archive) as tar:
        for member in tar:
            if member.isfile() and "/templates/" in member.name:
                stream = tar.extractfile(member)
                if stream is not None and b"APIVersions" in stream.read():
                    return True
    return False


def _render_with_helm(request: RenderRequest) -> tuple[dict[str, Any], ...]:
    import helm_python
    from helm_python import _native

    with helm_python.Chart.load(request.archive) as chart:
        metadata = chart.metadata
        constraint = str(metadata.get("kubeVersion") or "")
        if constraint and not satisfies(request.kube_version, constraint):
            identity = f"{metadata.get('name')} {metadata.get('version')}"
            raise ChartRenderError(f"{identity} requires Kubernetes {constraint}; the cluster runs {request.kube_version}")
        options = {
            "name": request.release,
            "namespace": request.namespace,
            "kube_version": request.kube_version,
            "api_versions": sorted(request.api_versions),
        }
        # Chart.render() of helm-python-sdk 0.2.2 does not pass kube_version/api_versions on, but the
        # library's helm_render accepts both in its options (the `renderTweaks` of libhelm_c,
        # shivamkumar99/helm-c-sdk pkg/wrapper; tests/offline/test_expand.py proves they reach the
        # templates). Rendering the templates directly, rather than a client-side dry-run install,
        # keeps the hooks, which the install summary leaves out.
        try:
            rendered: dict[str, str] = json.loads(
                _native.call_string("helm_render", chart._raw(), json.dumps(request.values), json.dumps(options))
            )
        except helm_python.HelmError as error:
            raise ChartRenderError(f"helm could not render {request.archive.name} as {request.release}: {error}") from error
        crds = chart.crds if request.include_crds else []
    objects: list[dict[str, Any]] = []
    for crd in crds:
        objects.extend(_documents(crd["data"], crd["filename"]))
    for template in sorted(rendered):
        # NOTES.txt is shown to the user, never applied (Helm's engine renders it like a template).
        if not template.endswith("NOTES.txt"):
            objects.extend(_documents(rendered[template], template))
    return tuple(objects)


# Helm splits a rendered template into objects at every `---` that starts a line, even one a comment
# follows directly ("---# ..."), which a YAML parser would not (helm/helm pkg/release/util/manifest.go, SplitManifests).
# Splitting at every line that starts with `---` is the same cut, and far cheaper on megabytes of CRDs.
_SEPARATOR = re.compile(r"(?m)^---")
# libyaml's parser when PyYAML was built with it: the charts' CRDs are megabytes of YAML.
_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LOADER(_BASE_LOADER):  # type: ignore[misc,valid-type]
    """The safe loader, reading a bare ``=`` as the string it is to Kubernetes.

    PyYAML resolves a plain ``=`` to YAML 1.1's ``value`` tag and has no constructor for it, while
    Kubernetes' YAML library reads it as the string "=" (the Prometheus Operator's CRDs list it as a
    label-matcher operator: kube-prometheus-stack ``charts/crds/crds/crd-alertmanagerconfigs.yaml``).
    """


_LOADER.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def _documents(text: str, source: str) -> list[dict[str, Any]]:
    try:
        parts = [part for part in _SEPARATOR.split(text) if part.strip()]
        documents = [doc for part in parts if (doc := yaml.load(part, Loader=_LOADER))]  # noqa: S506 - a safe loader
    except yaml.YAMLError as error:
        raise ChartRenderError(f"{source} rendered YAML that does not parse: {error}") from error
    for doc in documents:
        if not isinstance(doc, dict) or "kind" not in doc:
            raise ChartRenderError(f"{source} rendered something that is not a Kubernetes object: {str(doc)[:80]}")
    return documents


_CLAUSE = re.compile(r"(>=|<=|!=|=|>|<)?\s*v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-[0-9A-Za-z.-]+)?")


def satisfies(kube_version: str, constraint: str) -> bool:
    """Whether ``kube_version`` meets a chart's ``kubeVersion`` constraint, as ``helm install`` checks it.

    Helm reads it as a Masterminds/semver constraint (Helm docs, "The Chart.yaml File",
    https://helm.sh/docs/topics/charts/#the-kubeversion-field): clauses joined by spaces
    or commas must all hold, ``||`` separates alternatives. Only plain comparisons are
    understood; anything else (``~``, ``^``, wildcards, ranges with `` - ``) is refused
    rather than guessed. A ``-0`` suffix only admits pre-releases, which a cluster's
    release version is not, so it is ignored.
    """
    version = _triple(kube_version)
    return any(_all_hold(version, alternative) for alternative in constraint.split("||"))


def _triple(text: str) -> tuple[int, int, int]:
    match = _CLAUSE.fullmatch(text.strip().split("+")[0])
    if not match or match.group(1):
        raise ChartRenderError(f"{text!r} is not a Kubernetes version")
    return int(match.group(2)), int(match.group(3) or 0), int(match.group(4) or 0)


def _all_hold(version: tuple[int, int, int], alternative: str) -> bool:
    clauses = list(_CLAUSE.finditer(alternative))
    leftover = _CLAUSE.sub("", alternative)
    if not clauses or leftover.strip(" ,"):
        raise ChartRenderError(f"kubeVersion {alternative.strip()!r} is not a list of plain comparisons; cannot judge it")
    return all(_holds(version, clause) for clause in clauses)


def _holds(version: tuple[int, int, int], clause: re.Match[str]) -> bool:
    bound = (int(clause.group(2)), int(clause.group(3) or 0), int(clause.group(4) or 0))
    return {
        ">=": version >= bound,
        "<=": version <= bound,
        ">": version > bound,
        "<": version < bound,
        "=": version == bound,
        "!=": version != bound,
    }[clause.group(1) or "="]
