"""Argo CD projects: the boundary of what an application's authors may deploy, and where."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..agnostics import Platform
from ..delivery import qualified, retargeted
from ..infrastructure import Cluster

IN_CLUSTER = "https://kubernetes.default.svc"

# Kinds that set a namespace's guard rails; the platform owns them, an application may not change them.
GUARD_RAIL_KINDS: tuple[tuple[str, str], ...] = (
    ("", "ResourceQuota"),
    ("", "LimitRange"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("cilium.io", "CiliumNetworkPolicy"),
    ("cilium.io", "CiliumClusterwideNetworkPolicy"),
)


def app_project_spec(description: str, source_repos: Sequence[str], namespaces: Sequence[str]) -> dict[str, Any]:
    """An AppProject spec: named sources, named namespaces, no cluster-scoped resources."""
    return {
        "description": description,
        "sourceRepos": list(source_repos),
        "destinations": [{"server": IN_CLUSTER, "namespace": namespace} for namespace in namespaces],
        # An empty allow-list: nothing cluster-scoped (CRDs, ClusterRoles, namespaces) can be created.
        "clusterResourceWhitelist": [],
        "namespaceResourceBlacklist": [{"group": group, "kind": kind} for group, kind in GUARD_RAIL_KINDS],
        "orphanedResources": {"warn": True},
    }


def renamed_roles(spec: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """``spec`` with its roles' policies naming the project ``new`` instead of ``old``.

    Argo CD matches a project role's policy subject (``proj:<project>:<role>``) and object (``<project>/*``) against
    the project's own name; on a shared Argo CD the project carries the environment's prefix, so its policies must too.
    """
    if old == new or "roles" not in spec:
        return spec
    roles = [
        {**r, "policies": [p.replace(f"proj:{old}:", f"proj:{new}:").replace(f", {old}/", f", {new}/") for p in r["policies"]]}
        for r in spec["roles"]
    ]
    return {**spec, "roles": roles}


class ArgoProject(pulumi.ComponentResource):
    """An Argo CD ``AppProject`` restricting sources, destinations and kinds."""

    project_name: str
    """The project's name, for Applications to reference."""

    def __init__(
        self,
        name: str,
        project_name: str,
        spec: dict[str, Any],
        cluster: Cluster,
        platform: Platform,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:applications:ArgoProject", name, None, opts)
        # On a management cluster's shared Argo CD (platform.delivery) the project is named for this environment.
        delivery = platform.delivery
        self.project_name = qualified(delivery, project_name)
        self.resource = k8s.apiextensions.CustomResource(
            f"{name}-appproject",
            api_version="argoproj.io/v1alpha1",
            kind="AppProject",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=self.project_name, namespace=delivery.namespace if delivery else platform.argocd_namespace
            ),
            spec=retargeted(renamed_roles(spec, project_name, self.project_name), delivery),
            opts=delivery.opts(self, depends_on=platform.ready) if delivery else cluster.opts(self, depends_on=platform.ready),
        )
        self.register_outputs({"project": project_name})
