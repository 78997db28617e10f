"""Namespaces created by the platform, labelled for Pod Security admission."""

from __future__ import annotations

from typing import Literal

import pulumi
import pulumi_kubernetes as k8s

from .infrastructure import Cluster

PodSecurityLevel = Literal["privileged", "baseline", "restricted"]
GATEWAY_ACCESS_LABEL = "k8tre.io/gateway-access"
"""Namespaces with this label set to "true" may attach routes to the shared Gateway."""
POD_SECURITY_REASON = "k8tre.io/pod-security-reason"
"""Annotation carrying why a namespace enforces less than ``restricted`` (read by the Pod Security check)."""


def platform_namespace(
    name: str,
    namespace: str,
    cluster: Cluster,
    parent: pulumi.Resource,
    *,
    layer: str,
    pod_security: PodSecurityLevel = "restricted",
    pod_security_reason: str = "",
    gateway_access: bool = False,
    extra_labels: dict[str, str] | None = None,
    extra_opts: pulumi.ResourceOptions | None = None,
) -> k8s.core.v1.Namespace:
    """A namespace with Pod Security admission enforced and the owning layer labelled.

    Every namespace the program makes carries ``k8tre.io/layer`` so that policies
    (default-deny, compliance checks) can tell platform from workload namespaces.
    ``gateway_access`` lets the namespace attach HTTPRoutes to the shared Gateway; ``extra_opts``
    (e.g. protection of a namespace holding research data) merge into its resource options.
    Pod Security is ``restricted`` unless the caller names a weaker level *and* the reason
    for it; the reason is kept on the namespace, where the Pod Security check reads it.
    """
    if pod_security != "restricted" and not pod_security_reason.strip():
        raise ValueError(f"namespace {namespace!r}: Pod Security {pod_security!r} needs a reason (pod_security_reason)")
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
            annotations={POD_SECURITY_REASON: pod_security_reason} if pod_security != "restricted" else None,
        ),
        opts=pulumi.ResourceOptions.merge(cluster.opts(parent), extra_opts),
    )
