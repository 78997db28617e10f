"""The typed hand-off from the agnostics layer to the application layer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pulumi

from ..delivery import ArgoDelivery
from ..infrastructure import ObjectStore
from .gateway import GatewayRef
from .generated_secret import GeneratedSecret


@dataclass(frozen=True)
class Platform:
    """Platform services the applications rely on, as facts rather than strings to guess."""

    domain: str
    """DNS domain applications are published under."""
    cluster_issuer: str
    """Name of the cert-manager ClusterIssuer that signs application certificates."""
    internal_issuer: str
    """Name of the internal CA ClusterIssuer (``k8tre-internal-ca``) for in-cluster TLS between services."""
    argocd_namespace: str
    """Namespace Argo CD watches for Application and AppProject resources."""
    gateway: GatewayRef
    """The shared Gateway applications publish behind."""
    object_store: ObjectStore
    """Where backups go (the cloud's store, or SeaweedFS in the cluster): the database backups' target too."""
    ready: Sequence[pulumi.Resource]
    """Resources an application must wait for (Argo CD and its CRDs, the issuers)."""
    storage_classes: Sequence[pulumi.Resource] = ()
    """``rwo-default`` and ``rwx-default``: what anything with a volume waits for."""
    databases_ready: Sequence[pulumi.Resource] = ()
    """What a ``PostgresDatabase`` waits for: the CloudNativePG operator and plugin (their CRDs) and the classes."""
    delivery: ArgoDelivery | None = None
    """A management cluster's Argo CD this environment is registered with; None: its own Argo CD delivers in-cluster."""
    object_store_grant: Callable[[str, Sequence[pulumi.Resource]], GeneratedSecret] | None = None
    """For an in-cluster object store (SeaweedFS): lets a namespace's pods reach it and delivers its key pair there
    (``SeaweedFs.grant``); None where the cloud's store is reached with a workload identity."""
