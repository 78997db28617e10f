"""Namespaces created by the platform, labelled for Pod Security admission."""

from __future__ import annotations

from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from .infrastructure import Cluster

PodSecurityLevel = Literal["privileged", "baseline", "restricted"]
GATEWAY_ACCESS_LABEL = "k8tre.io/gateway-access"
"""Namespaces with this label set to "true" may attach routes to the shared Gateway."""


def platform_namespace(
    name: str,
    namespace: str,
    cluster: Cluster,
    parent: pulumi.Resource,
    *,
    layer: str,
    pod_security: PodSecurityLevel = "restricted",
    gateway_access: bool = False,
    extra_labels: dict[str, str] | None = None,
) -> k8s.core.v1.Namespace:
    """A namespace with Pod Security admission enforced and the owning layer labelled.

    Every namespace the program makes carries ``k8tre.io/layer`` so that policies
    (default-deny, compliance checks) can tell platform from workload namespaces.
    ``gateway_access`` lets the namespace attach HTTPRoutes to the shared Gateway.
    """
    labels = {
        "k8tre.io/layer": layer,
        "app.kubernetes.io/managed-by": "pulumi",
        "k8tre.io/environment": cluster.environment,
        "pod-security.kubernetes.io/enforce": pod_security,
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
        **(extra_labels or {}),
    }
    if gateway_access:
        labels[GATEWAY_ACCESS_LABEL] = "true"
    return k8s.core.v1.Namespace(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=namespace,
            labels=labels,
        ),
        opts=cluster.opts(parent),
    )
