"""The management topology: one stack runs the shared Argo CD, environment stacks register their clusters with it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from .base import K8treModel
from .types import DnsLabel, Host, Port

if TYPE_CHECKING:
    from .model import K8treConfig

Role = Literal["environment", "management"]
"""What a stack is for: a TRE environment (the default), or the management cluster that runs the shared Argo CD."""

StackName = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")]
"""A fully qualified Pulumi stack name, ``<organisation>/<project>/<stack>``, as ``pulumi.StackReference`` takes it."""


class ManagementLink(K8treModel):
    """The management stack an environment registers its cluster with (its Argo CD then delivers the applications)."""

    stack: StackName
    """``<organisation>/<project>/<stack>`` of the management stack; its outputs ``kubeconfig`` (secret),
    ``argocdNamespace`` and ``clusterName`` are read through a StackReference."""


class RegisteredCluster(K8treModel):
    """An environment cluster the management stack's Argo CD delivers to: where its application controller may connect."""

    name: DnsLabel
    """The registration's name (``<project>-<stack>`` of the environment stack, e.g. ``k8tre-dev``)."""
    api_host: Host
    """The environment's API server host name or address, as in its kubeconfig."""
    api_port: Port = 443
    """The API server's port: 443 on AKS and EKS, 6443 on K3s."""


def management_issues(config: K8treConfig) -> Iterator[tuple[str, str]]:
    """Cross-field rules of the topology, each as (key path, message)."""
    if config.role == "management":
        if config.management is not None:
            yield "management", "a stack with role 'management' runs the shared Argo CD itself and registers with no other"
        if "applications" in config.model_fields_set:
            # Research data never lands on the cluster that holds every environment's deployment credentials.
            yield "applications", "a stack with role 'management' delivers no applications or research projects"
    elif config.registered_clusters:
        yield "registeredClusters", "only a stack with role 'management' runs the Argo CD these clusters register with"
    names = [cluster.name for cluster in config.registered_clusters]
    for i, name in enumerate(names):
        if names.index(name) != i:
            yield f"registeredClusters[{i}].name", f"{name!r} is registered more than once"
