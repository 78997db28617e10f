"""Where an environment's Argo CD objects live and what they deliver to: its own Argo CD, or a management cluster's.

Without a management stack the environment runs Argo CD itself: AppProjects and Applications go into its own
cluster and deliver to ``https://kubernetes.default.svc``. Registered with a management stack, they go into the
management cluster's Argo CD namespace, named with the registration's prefix (several environments share that
Argo CD, and ``jupyterhub`` from dev must not overwrite ``jupyterhub`` from prod), and deliver to the
environment cluster's API server as registered there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

IN_CLUSTER = "https://kubernetes.default.svc"
"""Argo CD's name for the cluster it runs in."""


@dataclass(frozen=True)
class ArgoDelivery:
    """A management cluster's Argo CD, as an environment registered with it sees it."""

    provider: k8s.Provider
    """The Kubernetes provider of the management cluster (credentials from its stack, a secret)."""
    namespace: pulumi.Output[str]
    """The Argo CD namespace there (the management stack's ``argocdNamespace`` output)."""
    server: pulumi.Output[str]
    """This environment's API server URL, as registered: every destination of its Applications and AppProjects."""
    prefix: str
    """The registration's name: prefix of every Argo CD object this environment creates there."""
    ready: Sequence[pulumi.Resource]
    """What an Application waits for: the cluster Secret that registers the destination."""

    def opts(self, parent: pulumi.Resource, *, depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        """Options for an Argo CD object on the management cluster, after the registration."""
        return pulumi.ResourceOptions(parent=parent, provider=self.provider, depends_on=[*self.ready, *depends_on])

    def qualified(self, name: str) -> str:
        """The object's name on the shared Argo CD."""
        return f"{self.prefix}-{name}"


def qualified(delivery: ArgoDelivery | None, name: str) -> str:
    """An Argo CD object's name: as given in the environment's own Argo CD, prefixed on a shared one."""
    return delivery.qualified(name) if delivery else name


def destination_server(delivery: ArgoDelivery | None) -> pulumi.Input[str]:
    """The server every Application and AppProject destination names."""
    return delivery.server if delivery else IN_CLUSTER


def retargeted(spec: dict[str, Any], delivery: ArgoDelivery | None) -> dict[str, Any]:
    """An Application or AppProject spec whose in-cluster destinations point at the registered cluster instead."""
    if delivery is None:
        return spec

    def moved(destination: dict[str, Any]) -> dict[str, Any]:
        return {**destination, "server": delivery.server} if destination.get("server") == IN_CLUSTER else destination

    result = dict(spec)
    if isinstance(spec.get("destination"), dict):
        result["destination"] = moved(spec["destination"])
    if isinstance(spec.get("destinations"), list):
        result["destinations"] = [moved(d) for d in spec["destinations"]]
    return result


MANAGEMENT_PROVIDER = "k8tre:agnostics:ManagementCluster$pulumi:providers:kubernetes"
"""The type chain in the URN of the provider that creates objects on a management cluster."""


def on_management_cluster(provider_urn: str) -> bool:
    """Whether a recorded resource with this provider lives on the management cluster rather than this one.

    Its namespaces (Argo CD's) are the management stack's: that stack's own render judges their labels.
    """
    return MANAGEMENT_PROVIDER in provider_urn
