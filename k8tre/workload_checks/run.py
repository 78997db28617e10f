"""All workload checks over one rendered graph: what ``k8tre check`` and the tests call."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import chart_lock
from ..delivery import on_management_cluster
from ..offline.graph import Graph, manifest, redacted
from ..offline.validation import FREE_FORM
from ..offline.workloads import ExpandedRelease
from .admission import check_admission, check_namespace_labels, namespace_labels
from .app_project import check_application
from .chart_values import check_chart_values
from .findings import Finding
from .images import check_images, images_in, spawned_images
from .pod_security import check_pod_security
from .pods import pod_template
from .project_bounds import check_project
from .schemas import check_schemas
from .scopes import crd_scopes

IN_CLUSTER = "https://kubernetes.default.svc"


@dataclass(frozen=True)
class WorkloadReport:
    """The findings of every workload check, and how much each one examined."""

    findings: tuple[Finding, ...]
    examined: Mapping[str, int] = field(default_factory=dict)
    """Per check, how many things it looked at; a check that examined nothing says so instead of passing."""
    images: tuple[str, ...] = ()
    """Every image the stack runs (what an air-gapped site mirrors)."""

    @property
    def errors(self) -> list[Finding]:
        """The findings that fail the check."""
        return [f for f in self.findings if not f.advisory]

    @property
    def advisories(self) -> list[Finding]:
        """The findings reported without failing."""
        return [f for f in self.findings if f.advisory]


def _owner_inputs(graph: Graph, release: ExpandedRelease) -> dict[str, Any]:
    try:
        return dict(redacted(graph.get(release.owner_urn).inputs))
    except KeyError:
        return {}


def _values(graph: Graph, release: ExpandedRelease) -> Mapping[str, Any]:
    inputs = _owner_inputs(graph, release)
    if release.source == "helm-release":
        return inputs.get("values") or {}
    source = (inputs.get("spec") or {}).get("source") or {}
    return (source.get("helm") or {}).get("valuesObject") or {}


def check_workloads(graph: Graph, kubernetes_version: str) -> WorkloadReport:
    """Schemas, Pod Security, AppProject permissions, images and chart values of everything the graph renders."""
    manifests = graph.manifests()
    releases = list(graph.workloads)
    objects = [obj for r in releases for obj in r.objects]
    crds = [m for m in manifests if m.get("kind") == "CustomResourceDefinition"]
    findings = check_schemas(releases, kubernetes_version, extra_crds=crds)
    findings += check_pod_security(releases, manifests, kubernetes_version)
    scopes = crd_scopes([*crds, *objects])
    projects = {m["metadata"]["name"]: m for m in manifests if m.get("kind") == "AppProject"}
    applications = [r for r in releases if r.source == "argocd-application"]
    for release in applications:
        destination = (_owner_inputs(graph, release).get("spec") or {}).get("destination") or {}
        project = projects.get(release.project or "default")
        findings += check_application(release, project, str(destination.get("server") or IN_CLUSTER), scopes)
    argo_apps = [
        {"urn": r.urn, "name": a["metadata"]["name"], "project": (a.get("spec") or {}).get("project") or "default"}
        for r in graph.resources
        if r.type.startswith("kubernetes:argoproj.io/") and (a := redacted(r.inputs)).get("kind") == "Application"
    ]
    for name, project in projects.items():
        mine = [a for a in argo_apps if a["project"] == name]
        findings += check_project(project, mine, [r for r in applications if (r.project or "default") == name], scopes)
    findings += check_images(releases, manifests)
    spawned = [(r.namespace, image) for r in releases for image in spawned_images([(r.chart, _values(graph, r))])]
    findings += check_admission(releases, manifests, spawned)
    # Objects this environment creates on a management cluster's Argo CD sit in that cluster's namespaces.
    local = [manifest(r) for r in graph.kubernetes_objects() if not on_management_cluster(r.provider)]
    findings += check_namespace_labels(releases, local)
    for release in releases:
        where = f"{release.source} {release.namespace}/{release.name}"
        try:
            archive = chart_lock.verified_archive(chart_lock.archive(release.chart, release.version))
        except chart_lock.ChartLockError as error:
            findings.append(Finding("chart-values", where, f"no reviewed archive to judge the values against: {error}"))
            continue
        findings += check_chart_values(where, release.chart, archive, _values(graph, release), FREE_FORM.get(release.chart, ()))
    examined = {
        "schema": len(objects),
        "pod-security": sum(pod_template(obj) is not None for obj in [*manifests, *objects]),
        "app-project": sum(len(r.objects) for r in applications),
        "project-bounds": len(projects),
        "image": len(images_in(releases, manifests)),
        "admission": sum(m.get("kind") == "ValidatingAdmissionPolicyBinding" for m in manifests),
        "pod-security-label": len(namespace_labels([*manifests, *objects])),
        "chart-values": len(releases),
    }
    return WorkloadReport(tuple(findings), examined, tuple(images_in(releases, manifests)))
