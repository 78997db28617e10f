"""Expand every chart the program installs into the objects the cluster will really run.

Two kinds of installation are expanded, each from the vendored archive the lock names
(``charts/lock.yaml``), never from a network:

- each ``helm.v3.Release`` Pulumi installs (its values, release name and namespace);
- each Argo CD ``Application`` whose source is a Helm chart (``spec.source.helm``:
  ``valuesObject`` or ``values``, ``releaseName``, and the destination namespace).

Helm renders them as ``helm install`` / Argo CD's ``helm template`` would on the real
cluster: with the cluster's Kubernetes version and the API versions it serves (Helm's
built-in set plus every CustomResourceDefinition the program, the charts and the
operators they run install), CRDs and subcharts included, test hooks left out (neither
an install nor Argo CD applies them). Objects a chart leaves without a namespace get
the release's, as Helm's client does for namespaced kinds.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import chart_lock
from ..workload_checks.scopes import crd_scopes, is_namespaced
from .capabilities import operator_crds, served_api_versions
from .chart_render import ChartRenderError, RenderRequest, consults_api_versions, render
from .graph import Graph, redacted
from .workloads import ExpandedRelease, ReleaseSource

__all__ = ["ChartInstall", "ExpansionError", "expand", "installs", "kube_version_of"]


class ExpansionError(Exception):
    """A chart installation cannot be expanded faithfully (no locked archive, an unsupported source, Helm refused it)."""


@dataclass(frozen=True)
class ChartInstall:
    """One chart installation the program declares, in the terms ``helm template`` takes."""

    release: str
    namespace: str
    chart: str
    version: str
    values: dict[str, Any]
    source: ReleaseSource
    owner_urn: str
    project: str | None = None
    include_crds: bool = True


_MAX_PASSES = 3  # charts whose CRDs unlock templates that render further CRDs: more than this is a loop

_TEST_HOOKS = frozenset({"test", "test-success", "test-failure"})
"""Hook events that mark a test (Helm docs, "Chart Tests": `helm.sh/hook: test`; `test-success` is its Helm 2 name)."""


def kube_version_of(version: str) -> str:
    """``1.33`` -> ``v1.33.0``: the form Helm's ``.Capabilities.KubeVersion`` takes."""
    parts = version.lstrip("v").split("+")[0].split(".")
    return "v" + ".".join([*parts, "0", "0"][:3])


def installs(graph: Graph) -> list[ChartInstall]:
    """Every Helm release and Helm-sourced Argo CD Application in the graph, in registration order."""
    found: list[ChartInstall] = []
    for resource in graph.resources:
        if resource.type == "kubernetes:helm.sh/v3:Release":
            found.append(_release_install(resource.urn, resource.name, redacted(resource.inputs)))
        elif resource.type.startswith("kubernetes:argoproj.io/") and resource.inputs.get("kind") == "Application":
            found.extend(_application_installs(resource.urn, redacted(resource.inputs)))
    return found


def _release_install(urn: str, name: str, inputs: dict[str, Any]) -> ChartInstall:
    if inputs.get("valueYamlFiles"):
        raise ExpansionError(f"{urn}: valueYamlFiles are not expanded; give the values inline")
    chart, version = _identify(
        urn, str(inputs.get("chart") or ""), inputs.get("version"), (inputs.get("repositoryOpts") or {}).get("repo")
    )
    return ChartInstall(
        release=str(inputs.get("name") or name),
        namespace=str(inputs.get("namespace") or "default"),
        chart=chart,
        version=version,
        values=dict(inputs.get("values") or {}),
        source="helm-release",
        owner_urn=urn,
        include_crds=not inputs.get("skipCrds", False),
    )


def _identify(urn: str, chart: str, version: Any, repository: str | None) -> tuple[str, str]:
    """(chart, version) of a Release: a vendored archive path, or a chart name in its locked upstream repository."""
    lock = chart_lock.load()
    if chart.endswith(".tgz"):
        archive = chart_lock.locked_archive_named(chart, lock)
        if archive is None:
            raise ExpansionError(f"{urn}: {chart} is not an archive in {chart_lock.LOCK_FILE}")
        if version and str(version) != archive.version:
            raise ExpansionError(f"{urn}: archive {chart} is {archive.version}, the release says {version}")
        if (chart_lock.PROGRAM_DIR / chart).is_file():
            try:
                chart_lock.verified(chart_lock.PROGRAM_DIR / chart, archive.sha256)  # the very file Pulumi would hand to Helm
            except chart_lock.ChartLockError as error:
                raise ExpansionError(f"{urn}: {error}") from error
        return archive.chart, archive.version
    locked = lock.charts.get(chart)
    if locked is None or not version:
        raise ExpansionError(f"{urn}: chart {chart!r} at {version!r} is not locked; cannot expand it")
    if repository and repository.rstrip("/") != locked.repository.rstrip("/"):
        raise ExpansionError(f"{urn}: {chart} comes from {repository}, the lock's repository is {locked.repository}")
    if str(version) not in locked.archives:
        raise ExpansionError(f"{urn}: {chart} {version} has no vendored archive in charts/ (locked: {sorted(locked.archives)})")
    return chart, str(version)


def _application_installs(urn: str, app: dict[str, Any]) -> list[ChartInstall]:
    spec = app.get("spec") or {}
    sources = [spec["source"]] if spec.get("source") else list(spec.get("sources") or [])
    name = str((app.get("metadata") or {}).get("name") or urn)
    found = []
    for source in sources:
        if not source.get("chart"):
            continue  # a Git directory, not a Helm chart: nothing to expand here
        helm = source.get("helm") or {}
        unsupported = sorted(k for k in ("parameters", "fileParameters", "valueFiles") if helm.get(k))
        if unsupported:
            raise ExpansionError(f"{urn}: helm {', '.join(unsupported)} are not expanded; use valuesObject")
        # Argo CD: valuesObject takes precedence over values when both are given (Argo CD docs, "Helm": Values).
        values = helm.get("valuesObject") or yaml.safe_load(helm.get("values") or "") or {}
        chart, version = _identify(urn, str(source["chart"]), source.get("targetRevision"), source.get("repoURL"))
        namespace = (spec.get("destination") or {}).get("namespace")
        if not namespace:
            raise ExpansionError(f"{urn}: the Application has no destination namespace")
        found.append(
            ChartInstall(
                # Argo CD names the release after the Application unless releaseName says otherwise.
                release=str(helm.get("releaseName") or name),
                namespace=str(namespace),
                chart=chart,
                version=version,
                values=dict(values),
                source="argocd-application",
                owner_urn=urn,
                project=str(spec.get("project") or "default"),
                include_crds=not helm.get("skipCrds", False),
            )
        )
    return found


def expand(graph: Graph, kubernetes_version: str, *, cache: Path | None = None) -> list[ExpandedRelease]:
    """Expand every chart installation in ``graph``; the result is also put on ``graph.workloads``.

    The API versions are those the cluster serves once everything is installed (what a
    later upgrade or Argo CD sync sees): a first pass finds the CRDs the charts themselves
    render and, if that adds any, the charts whose templates consult the API versions are
    rendered again with them (every pass is cached).
    """
    plans = installs(graph)
    kube = kube_version_of(kubernetes_version)
    known = [m for m in graph.manifests() if m.get("kind") == "CustomResourceDefinition"] + operator_crds(plans)
    apis = served_api_versions(known)
    rendered = [_render(plan, kube, apis, cache) for plan in plans]
    for _ in range(_MAX_PASSES):
        chart_crds = [obj for objects in rendered for obj in objects if obj.get("kind") == "CustomResourceDefinition"]
        if served_api_versions(chart_crds) <= apis:
            break
        apis |= served_api_versions(chart_crds)
        # Only a chart whose templates ask which APIs the cluster serves can render differently now.
        rendered = [
            _render(plan, kube, apis, cache) if _consults(plan) else objects
            for plan, objects in zip(plans, rendered, strict=True)
        ]
    else:
        raise ExpansionError(f"the API versions the charts install did not settle after {_MAX_PASSES} passes")
    scopes = crd_scopes([*known, *chart_crds])
    releases = [
        ExpandedRelease(
            name=plan.release,
            namespace=plan.namespace,
            chart=plan.chart,
            version=plan.version,
            source=plan.source,
            owner_urn=plan.owner_urn,
            project=plan.project,
            objects=tuple(_placed(obj, plan.namespace, scopes) for obj in objects if not _is_test_hook(obj)),
        )
        for plan, objects in zip(plans, rendered, strict=True)
    ]
    graph.workloads = releases
    return releases


def _consults(plan: ChartInstall) -> bool:
    locked = chart_lock.archive(plan.chart, plan.version)
    return consults_api_versions(locked.path, locked.sha256)


def _render(plan: ChartInstall, kube: str, apis: frozenset[str], cache: Path | None) -> tuple[dict[str, Any], ...]:
    try:
        locked = chart_lock.archive(plan.chart, plan.version)
        request = RenderRequest(
            archive=chart_lock.verified_archive(locked),
            archive_sha256=locked.sha256,
            release=plan.release,
            namespace=plan.namespace,
            values=plan.values,
            kube_version=kube,
            api_versions=apis,
            include_crds=plan.include_crds,
        )
        return render(request, cache)
    except (chart_lock.ChartLockError, ChartRenderError) as error:
        raise ExpansionError(f"{plan.owner_urn}: {error}") from error


def _is_test_hook(obj: Mapping[str, Any]) -> bool:
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    events = {event.strip() for event in str(annotations.get("helm.sh/hook", "")).split(",")}
    return bool(events & _TEST_HOOKS)


def _placed(obj: dict[str, Any], namespace: str, scopes: Mapping[tuple[str, str], bool]) -> dict[str, Any]:
    """The object with the release namespace filled in where the chart left it out (namespaced kinds only)."""
    metadata = obj.get("metadata") or {}
    if metadata.get("namespace"):
        return obj
    api_version = str(obj.get("apiVersion", ""))
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    if not is_namespaced(group, str(obj.get("kind", "")), scopes):
        return obj  # cluster-scoped, or a custom kind whose scope nothing here tells: left as rendered
    placed = copy.copy(obj)
    placed["metadata"] = {**metadata, "namespace": namespace}
    return placed
