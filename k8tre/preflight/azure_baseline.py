"""Preflight rules for the AKS security baseline: hardening Microsoft documents for a production cluster.

Each rule reads the recorded ManagedCluster (REST property names, ``Microsoft.ContainerService``
managedClusters specification) and names the Microsoft page that recommends the setting.
"""

from __future__ import annotations

from typing import Any

from ..offline.graph import Graph, RecordedResource
from ..policies.registry import Evaluation
from . import azure_graph as ag
from .registry import PreflightContext, preflight_rule

CRITICAL_ADDONS_ONLY = "CriticalAddonsOnly=true:NoSchedule"
"""The taint that keeps application pods off a system pool."""


def _security(cluster: RecordedResource) -> dict[str, Any]:
    profile: dict[str, Any] = cluster.inputs.get("securityProfile") or {}
    return profile


@preflight_rule(
    "azure-aks-image-cleaner",
    cloud="azure",
    constraint="An AKS cluster runs Image Cleaner (securityProfile.imageCleaner.enabled), which removes unused images, "
    "and with them their known vulnerabilities, from the nodes.",
    source="https://learn.microsoft.com/azure/aks/image-cleaner",
)
def image_cleaner(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Image Cleaner is on."""
    evaluation = Evaluation()
    for cluster in graph.of_type(*ag.MANAGED_CLUSTER):
        cleaner = _security(cluster).get("imageCleaner") or {}
        evaluation.check(cluster.urn, cleaner.get("enabled") is True, "Image Cleaner is off")
    return evaluation


@preflight_rule(
    "azure-aks-defender",
    cloud="azure",
    constraint="An AKS cluster runs Defender for Containers' sensor (securityProfile.defender.securityMonitoring), "
    "which needs the Log Analytics workspace it reports to (logAnalyticsWorkspaceResourceId).",
    source="https://learn.microsoft.com/azure/defender-for-cloud/defender-for-containers-enable",
)
def defender(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Defender's security monitoring is on and names its workspace."""
    evaluation = Evaluation()
    for cluster in graph.of_type(*ag.MANAGED_CLUSTER):
        profile = _security(cluster).get("defender") or {}
        on = (profile.get("securityMonitoring") or {}).get("enabled") is True
        evaluation.check(cluster.urn, on, "Defender for Containers' security monitoring is off")
        workspace = str(profile.get("logAnalyticsWorkspaceResourceId") or "")
        ok = not on or "/providers/microsoft.operationalinsights/workspaces/" in workspace.lower()
        evaluation.check(cluster.urn, ok, f"Defender needs a Log Analytics workspace ID, got {workspace!r}")
    return evaluation


@preflight_rule(
    "azure-aks-azure-policy",
    cloud="azure",
    constraint="An AKS cluster runs the Azure Policy add-on (addonProfiles.azurepolicy), which enforces and reports the "
    "built-in Kubernetes policies assigned to it.",
    source="https://learn.microsoft.com/azure/aks/use-azure-policy",
)
def azure_policy(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """The Azure Policy add-on is enabled."""
    evaluation = Evaluation()
    for cluster in graph.of_type(*ag.MANAGED_CLUSTER):
        addon = (cluster.inputs.get("addonProfiles") or {}).get("azurepolicy") or {}
        evaluation.check(cluster.urn, addon.get("enabled") is True, "the Azure Policy add-on is off")
    return evaluation


@preflight_rule(
    "azure-aks-system-pool-critical-addons-only",
    cloud="azure",
    constraint="Where a cluster has user pools, its system pools carry the CriticalAddonsOnly=true:NoSchedule taint, so "
    "application pods cannot starve the system add-ons.",
    source="https://learn.microsoft.com/azure/aks/use-system-pools#system-and-user-node-pools",
)
def system_pool_taint(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """System pools are tainted whenever user pools exist to take the workloads."""
    evaluation = Evaluation()
    for cluster in graph.of_type(*ag.MANAGED_CLUSTER):
        pools = cluster.inputs.get("agentPoolProfiles") or []
        if not any(pool.get("mode") == "User" for pool in pools):
            continue  # a system pool alone must run everything: tainting it would leave workloads nowhere to go
        for pool in pools:
            if pool.get("mode") == "System":
                tainted = CRITICAL_ADDONS_ONLY in (pool.get("nodeTaints") or [])
                evaluation.check(cluster.urn, tainted, f"system pool {pool.get('name')!r} lacks {CRITICAL_ADDONS_ONLY}")
    return evaluation


@preflight_rule(
    "azure-aks-max-pods-within-cilium-node-range",
    cloud="azure",
    constraint="With Cilium's cluster-pool IPAM each node's pods get addresses from one per-node range "
    "(clusterPoolIPv4MaskSize): every agent pool sets maxPods, and no higher than that range holds.",
    source="https://docs.cilium.io/en/stable/network/concepts/ipam/cluster-pool/",
)
def max_pods_within_node_range(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Every pool of a BYO-CNI cluster sets maxPods, and it fits the per-node range."""
    evaluation = Evaluation()
    masks = ag.cilium_node_mask_sizes(graph)
    for cluster in graph.of_type(*ag.MANAGED_CLUSTER):
        if (cluster.inputs.get("networkProfile") or {}).get("networkPlugin") != "none":
            continue
        # The range's network address and Cilium's router address on the node are not pods'.
        capacity = min((2 ** (32 - mask) - 2 for mask in masks), default=0)
        for pool in cluster.inputs.get("agentPoolProfiles") or []:
            max_pods = pool.get("maxPods")
            ok = isinstance(max_pods, int) and 0 < max_pods <= capacity
            evaluation.check(cluster.urn, ok, f"pool {pool.get('name')!r}: maxPods {max_pods!r}, per-node range holds {capacity}")
    return evaluation


@preflight_rule(
    "azure-aks-private-cluster-no-public-fqdn",
    cloud="azure",
    constraint="A private AKS cluster does not publish a public DNS name for its private API address "
    "(apiServerAccessProfile.enablePrivateClusterPublicFQDN: false).",
    source="https://learn.microsoft.com/azure/aks/private-clusters#disable-a-public-fqdn-on-an-existing-cluster",
)
def private_cluster_no_public_fqdn(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each private cluster has its public FQDN turned off."""
    evaluation = Evaluation()
    for cluster in graph.of_type(*ag.MANAGED_CLUSTER):
        access = cluster.inputs.get("apiServerAccessProfile") or {}
        if access.get("enablePrivateCluster"):
            off = access.get("enablePrivateClusterPublicFQDN") is False
            evaluation.check(cluster.urn, off, "the private cluster's API address is published under a public name")
    return evaluation
