"""Preflight rules: the Kubernetes version of every cluster is within its platform's support window today."""

from __future__ import annotations

import re
from typing import Any

from ..offline.graph import Graph, RecordedResource, Secret
from ..policies.registry import Evaluation
from .registry import PreflightContext, preflight_rule
from .support_calendar import AKS_CALENDAR, EKS_CALENDAR, UPSTREAM_POLICY, Platform, SupportEntry, support_entry

AKS_TYPES = ("azure-native:containerservice:ManagedCluster", "azure-native:containerservice/v20260502preview:ManagedCluster")
"""The AKS cluster's type tokens (stable API; the preview API that can switch kube-proxy off)."""
_K3S_VERSION = re.compile(r"^K3S_VERSION='?([^'\n]+)'?$", re.MULTILINE)


def _judge(
    evaluation: Evaluation, resource: RecordedResource, platform: Platform, version: str, ctx: PreflightContext, extended: bool
) -> None:
    entry: SupportEntry | None = support_entry(platform, version)
    if entry is None:
        evaluation.check(resource.urn, False, f"Kubernetes {version} is not in the {platform} support calendar (refresh it)")
        return
    if ctx.today <= entry.end_of_support:
        evaluation.check(resource.urn, True, "")
        return
    covered = extended and entry.extended_until is not None and ctx.today <= entry.extended_until
    evaluation.check(
        resource.urn,
        covered,
        f"Kubernetes {version} on {platform} left standard support on {entry.end_of_support} ({entry.source})"
        + (f"; extended support needs {entry.extended_requires}" if entry.extended_requires else ""),
    )


@preflight_rule(
    "aks-kubernetes-version-supported",
    cloud="azure",
    constraint="An AKS cluster runs a Kubernetes minor version before its end of life, or in LTS with the Premium tier and "
    "the AKSLongTermSupport plan before the LTS end of life.",
    source=AKS_CALENDAR,
)
def aks_version_supported(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Judge each AKS cluster's ``kubernetesVersion`` against Microsoft's calendar at ``ctx.today``."""
    evaluation = Evaluation()
    for cluster in graph.of_type(*AKS_TYPES):
        inputs: dict[str, Any] = cluster.inputs
        lts = (inputs.get("sku") or {}).get("tier") == "Premium" and inputs.get("supportPlan") == "AKSLongTermSupport"
        _judge(evaluation, cluster, "aks", str(inputs.get("kubernetesVersion", "")), ctx, lts)
    return evaluation


@preflight_rule(
    "eks-kubernetes-version-supported",
    cloud="aws",
    constraint="An EKS cluster runs a Kubernetes version in standard support, or in extended support only when its "
    "upgrade policy asks for it, before the end of extended support.",
    source=EKS_CALENDAR,
)
def eks_version_supported(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Judge each EKS cluster's ``version`` against AWS's calendar at ``ctx.today``."""
    evaluation = Evaluation()
    for cluster in graph.of_type("aws:eks/cluster:Cluster"):
        policy = cluster.inputs.get("upgradePolicy") or {}
        _judge(evaluation, cluster, "eks", str(cluster.inputs.get("version", "")), ctx, policy.get("supportType") == "EXTENDED")
    return evaluation


@preflight_rule(
    "k3s-kubernetes-version-supported",
    cloud="k3s",
    constraint="A K3s release is of a Kubernetes minor version upstream still maintains (K3s ships patches only for those).",
    source=UPSTREAM_POLICY,
)
def k3s_version_supported(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Judge the K3s release each install command runs against upstream's end-of-life dates."""
    evaluation = Evaluation()
    for command in graph.of_type("command:remote:Command"):
        stdin = command.inputs.get("stdin")
        script = stdin.value if isinstance(stdin, Secret) else stdin
        match = _K3S_VERSION.search(script) if isinstance(script, str) else None
        if match is not None:
            _judge(evaluation, command, "k3s", match.group(1), ctx, False)
    return evaluation
