"""An in-cluster secret store's namespace and read-only reader (the Kubernetes provider, on K3s).

Created by the agnostics layer, after the CNI, for a store whose facts name a ``remote_namespace``: the
namespace holding the entries (protected in prod: deleting it deletes every generated password), the
service account External Secrets authenticates as, and a Role that reads Secrets there and nowhere else
(a Role binds within its own namespace: Kubernetes docs, RBAC, "Role and ClusterRole").
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from ..infrastructure import Cluster
from ..stage import Stage


def in_cluster_store(
    name: str, cluster: Cluster, namespace: str, reader: str, stage: Stage, parent: pulumi.Resource
) -> list[pulumi.Resource]:
    """The store namespace, the reader account, its Role and RoleBinding; what entries must wait for."""
    store = k8s.core.v1.Namespace(
        f"{name}-ns",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=namespace,
            labels={
                "k8tre.io/layer": "agnostics",
                "app.kubernetes.io/managed-by": "pulumi",
                "k8tre.io/environment": cluster.environment,
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            },
        ),
        opts=stage.stateful(cluster.opts(parent)),
    )
    inside = cluster.opts(parent, depends_on=[store])
    metadata = k8s.meta.v1.ObjectMetaArgs(name=reader, namespace=namespace)
    # No pod runs as the account: External Secrets requests its token (chart value rbac.serviceAccountTokenCreate).
    account = k8s.core.v1.ServiceAccount(f"{name}-reader", metadata=metadata, automount_service_account_token=False, opts=inside)
    role = k8s.rbac.v1.Role(
        f"{name}-reader-role",
        metadata=metadata,
        rules=[k8s.rbac.v1.PolicyRuleArgs(api_groups=[""], resources=["secrets"], verbs=["get", "list", "watch"])],
        opts=inside,
    )
    binding = k8s.rbac.v1.RoleBinding(
        f"{name}-reader-binding",
        metadata=metadata,
        role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=reader),
        subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=reader, namespace=namespace)],
        opts=inside,
    )
    return [store, account, role, binding]
