"""Supply-chain rule: charts, applications, manifests and images are pinned to what was reviewed (SATRE 2.2.04, 2.4.02)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ... import chart_lock
from ...offline.graph import Graph, RecordedResource
from ..facts import objects, plain, releases, text
from ..registry import Evaluation, rule

_EXACT = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
_SHA = re.compile(r"^[0-9a-f]{40}$")
# An image reference: [registry/]path[:tag][@sha256:digest] (distribution/reference grammar, simplified to what we judge).
_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")

KNOWN_CHART_REPOSITORIES: dict[str, str] = {
    # Each chart's upstream Helm repository, as recorded with the upstream packages in ../shared/charts/index.yaml
    # (INDEX.md, "Helm repository" column); a chart fetched from anywhere else is not the reviewed one.
    "cilium": "https://helm.cilium.io",
    "cert-manager": "https://charts.jetstack.io",
    "argo-cd": "https://argoproj.github.io/argo-helm",
    "jupyterhub": "https://hub.jupyter.org/helm-chart",
    "external-secrets": "https://charts.external-secrets.io",
    "external-dns": "https://kubernetes-sigs.github.io/external-dns",
    "cloudnative-pg": "https://cloudnative-pg.github.io/charts",
    "plugin-barman-cloud": "https://cloudnative-pg.github.io/charts",
    "kube-prometheus-stack": "https://prometheus-community.github.io/helm-charts",
    "velero": "https://vmware-tanzu.github.io/helm-charts",
    "keycloakx": "https://codecentric.github.io/helm-charts",
    "aws-load-balancer-controller": "https://aws.github.io/eks-charts",
    "aws-ebs-csi-driver": "https://kubernetes-sigs.github.io/aws-ebs-csi-driver",
    "aws-efs-csi-driver": "https://kubernetes-sigs.github.io/aws-efs-csi-driver",
    "fluent-bit": "https://fluent.github.io/helm-charts",
    "longhorn": "https://charts.longhorn.io",
}


def pinned(revision: object) -> bool:
    """An exact semantic version (a tag) or a commit SHA; never a branch, range or ``HEAD``."""
    return isinstance(revision, str) and bool(_EXACT.match(revision) or _SHA.match(revision))


def known_repository(chart: str, url: str) -> bool:
    """``url`` is HTTPS and is the chart's upstream repository."""
    return urlparse(url).scheme == "https" and KNOWN_CHART_REPOSITORIES.get(chart) == url.rstrip("/")


@rule(
    "pinned-versions",
    "Every Helm chart comes from its known HTTPS repository at an exact version (or from a locked vendored archive), "
    "every Argo CD application and manifest is at an exact revision, and every image names a tag or digest.",
    satre=("2.2.04", "2.4.02"),
    severity="mandatory",
)
def pinned_versions(graph: Graph) -> Evaluation:
    """What was tested in stg is exactly what reaches prod."""
    result = Evaluation()
    for release in releases(graph):
        with result.judging(release.urn, "chart source"):
            _release(result, release)
    for application in objects(graph, "Application"):
        with result.judging(application.urn, "spec.source"):
            spec = plain(application.inputs.get("spec")) or {}
            for source in ([spec["source"]] if spec.get("source") else []) + list(spec.get("sources") or []):
                revision, repo = source.get("targetRevision"), str(source.get("repoURL", ""))
                result.check(application.urn, pinned(revision), f"application revision {revision!r} is not exact")
                result.check(application.urn, urlparse(repo).scheme == "https", f"application source {repo} is not HTTPS")
    for manifest in graph.of_type("kubernetes:yaml/v2:ConfigFile"):
        with result.judging(manifest.urn, "file"):
            url = text(manifest.inputs.get("file")) or ""
            if urlparse(url).scheme:
                ok = urlparse(url).scheme == "https" and bool(re.search(r"/v\d+\.\d+\.\d+/", url))
            else:
                # A local manifest is pinned by its bytes: one the lock records (a path starts in the program's directory).
                ok = _sha256(chart_lock.PROGRAM_DIR / url) in chart_lock.recorded_digests()
            result.check(manifest.urn, ok, f"manifest {url} is not a pinned release")
    for urn, where, image in images(graph):
        if image is None:
            result.cannot_judge(urn, f"{where}: image not known")
            continue
        problem = image_problem(image)
        result.check(urn, problem is None, f"{where}: image {image} {problem}")
    return result


def _release(result: Evaluation, release: RecordedResource) -> None:
    chart = text(release.inputs.get("chart")) or ""
    version = text(release.inputs.get("version"))
    repo = text((plain(release.inputs.get("repositoryOpts")) or {}).get("repo"))
    if chart.endswith(".tgz") and not repo:
        # A vendored archive is pinned by its bytes: the file Pulumi hands to Helm (the path starts in the program's
        # directory) must have the digest the lock records for that archive.
        locked = chart_lock.locked_archive_named(chart)
        ok = locked is not None and _sha256(chart_lock.PROGRAM_DIR / chart) == locked.sha256
        result.check(release.urn, ok, f"chart archive {chart} does not match its entry in {chart_lock.LOCK_FILE.name}")
        return
    result.check(release.urn, pinned(version), f"chart {chart} is not pinned ({version!r})")
    result.check(release.urn, known_repository(chart, repo or ""), f"chart {chart} comes from {repo!r}, not its known repository")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def image_problem(image: str) -> str | None:
    """Why ``image`` is not pinned: it needs a digest or an explicit tag other than the moving ``latest``.

    A tag can be re-pushed; a digest cannot. Chart images are mostly tag-pinned upstream, and the workload
    checks report each image without a digest as an advisory; requiring digests in prod is a decision left open.
    """
    if _DIGEST.search(image):
        return None
    name = image.rsplit("/", 1)[-1]
    tag = name.split(":", 1)[1] if ":" in name else ""
    return "has no tag, or the moving tag latest" if not tag or tag == "latest" else None


def images(graph: Graph) -> Iterator[tuple[str, str, str | None]]:
    """``(owner urn, where, image)`` for every container in the rendered objects and the expanded charts."""
    for resource in graph.kubernetes_objects():
        yield from _containers(resource.urn, _label(resource.inputs), plain(resource.inputs))
    for expanded in graph.workloads:
        for obj in expanded.objects:
            yield from _containers(expanded.owner_urn, f"{expanded.name}: {_label(obj)}", obj)


def _label(obj: dict[str, Any]) -> str:
    metadata = obj.get("metadata") or {}
    return f"{obj.get('kind')} {metadata.get('namespace', '')}/{metadata.get('name', '')}"


def _containers(urn: str, where: str, value: Any) -> Iterator[tuple[str, str, str | None]]:
    # A pod spec is wherever a "containers" list sits (Pod, every workload template, CronJob's nested template).
    if isinstance(value, dict):
        if isinstance(value.get("containers"), list):
            for key in ("initContainers", "containers", "ephemeralContainers"):
                for container in value.get(key) or []:
                    image = container.get("image") if isinstance(container, dict) else None
                    yield urn, f"{where} container {container.get('name')}", image if isinstance(image, str) else None
        for key, item in value.items():
            if key not in ("containers", "initContainers", "ephemeralContainers"):
                yield from _containers(urn, where, item)
    elif isinstance(value, list):
        for item in value:
            yield from _containers(urn, where, item)
