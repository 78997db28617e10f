"""Argo CD Applications: how user-facing services are delivered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..agnostics import Platform
from ..delivery import qualified, retargeted
from ..infrastructure import Cluster
from ..versions import ChartPin
from .project import IN_CLUSTER


@dataclass(frozen=True)
class HelmSource:
    """A pinned chart and the values Argo CD renders it with."""

    pin: ChartPin
    """Chart, repository and exact version."""
    release_name: str
    """Helm release name inside the destination namespace."""
    values: dict[str, Any]
    """Values, rendered by Argo CD (``valuesObject``)."""


@dataclass(frozen=True)
class GitDirectory:
    """A directory of a Git repository at one revision (branch in dev, release tag or commit SHA in prod)."""

    repository: str
    """Repository URL."""
    path: str
    """Directory inside it."""
    revision: str
    """Branch, tag or commit (``targetRevision``)."""


SYNC_OPTIONS = ("ServerSideApply=true", "PruneLast=true")
RETRY: dict[str, Any] = {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "5m"}}


def sync_policy(automated: bool) -> dict[str, Any]:
    """Automated with prune and self-heal, or manual (a person syncs after review); retries either way."""
    policy: dict[str, Any] = {"syncOptions": list(SYNC_OPTIONS), "retry": RETRY}
    if automated:
        # selfHeal reverts hand edits in the cluster: git (and this program) stay the record.
        policy["automated"] = {"prune": True, "selfHeal": True}
    return policy


def source_spec(source: HelmSource | GitDirectory) -> dict[str, Any]:
    """An Application ``source``: a chart from its repository at its exact version, or a Git directory at a revision."""
    if isinstance(source, GitDirectory):
        return {"repoURL": source.repository, "path": source.path, "targetRevision": source.revision}
    return {
        "repoURL": source.pin.repository,
        "chart": source.pin.chart,
        # A chart's revision is its version, pinned exactly (never a range).
        "targetRevision": source.pin.version,
        "helm": {"releaseName": source.release_name, "valuesObject": source.values},
    }


def application_spec(
    project: str,
    namespace: str,
    source: HelmSource | GitDirectory,
    *,
    server: str = IN_CLUSTER,
    automated: bool = True,
) -> dict[str, Any]:
    """An Application spec: one source into one namespace of the cluster at ``server`` (default: Argo CD's own)."""
    return {
        "project": project,
        "source": source_spec(source),
        "destination": {"server": server, "namespace": namespace},
        "syncPolicy": sync_policy(automated),
    }


class ArgoApplication(pulumi.ComponentResource):
    """An Argo CD ``Application`` in the Argo CD namespace."""

    def __init__(
        self,
        name: str,
        app_name: str,
        spec: dict[str, Any],
        cluster: Cluster,
        platform: Platform,
        depends_on: list[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:applications:ArgoApplication", name, None, opts)
        # On a management cluster's shared Argo CD (platform.delivery): named for this environment, delivering to it.
        delivery, after = platform.delivery, [*platform.ready, *depends_on]
        self.resource = k8s.apiextensions.CustomResource(
            f"{name}-application",
            api_version="argoproj.io/v1alpha1",
            kind="Application",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=qualified(delivery, app_name),
                namespace=delivery.namespace if delivery else platform.argocd_namespace,
                # Deleting the Application deletes what it deployed, instead of orphaning it.
                finalizers=["resources-finalizer.argocd.argoproj.io"],
            ),
            spec=retargeted(spec, delivery),
            opts=delivery.opts(self, depends_on=after) if delivery else cluster.opts(self, depends_on=after),
        )
        self.register_outputs({"application": app_name})
