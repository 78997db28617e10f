"""Supply-chain rules: every chart and application pinned, prod on immutable revisions (SATRE 2.2.04, 2.4.02)."""

from __future__ import annotations

import re

from ...offline.graph import Graph
from ..facts import is_prod, objects, releases
from ..registry import Evaluation, rule

_EXACT = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")
_SHA = re.compile(r"^[0-9a-f]{40}$")


def pinned(revision: object, *, prod: bool) -> bool:
    """An exact semantic version (a tag) or a commit SHA; never a branch, range or ``HEAD``."""
    if not isinstance(revision, str) or not revision:
        return False
    if prod:
        return bool(_EXACT.match(revision) or _SHA.match(revision))
    return revision not in ("HEAD", "main", "master", "latest", "*") and not re.search(r"[\^~><*x]", revision.lower().lstrip("v"))


@rule(
    "pinned-versions",
    "Every Helm chart, Argo CD application and CRD manifest is pinned; in prod only to tags or commit SHAs.",
    satre=("2.2.04", "2.4.02"),
    severity="mandatory",
)
def pinned_versions(graph: Graph) -> Evaluation:
    """What was tested in stg is exactly what reaches prod."""
    result = Evaluation()
    prod = is_prod(graph)
    for release in releases(graph):
        version = release.inputs.get("version")
        result.check(release.urn, pinned(version, prod=True), f"chart {release.inputs.get('chart')} is not pinned ({version!r})")
    for application in objects(graph, "Application"):
        source = application.inputs["spec"].get("source") or {}
        revision = source.get("targetRevision")
        result.check(application.urn, pinned(revision, prod=prod), f"application revision {revision!r} is not pinned")
    for manifest in graph.of_type("kubernetes:yaml/v2:ConfigFile"):
        url = str(manifest.inputs.get("file", ""))
        result.check(manifest.urn, bool(re.search(r"/v\d+\.\d+\.\d+/", url)), f"manifest {url} is not a pinned release")
    return result
