"""What the management cluster's Argo CD may do in an environment cluster: manage the delivered namespaces, nothing else."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from ..infrastructure import Cluster
from .argocd_registration import MANAGER, MANAGER_NAMESPACE

MANAGER_VERBS = ("get", "list", "watch", "create", "update", "patch", "delete")
"""What Argo CD does to the objects it delivers: read and watch them, apply, prune. Not ``escalate``, ``bind`` or
``impersonate``: a Role or RoleBinding a chart renders may grant only what this Role already holds (Kubernetes RBAC,
"Privilege escalation prevention": https://kubernetes.io/docs/reference/access-authn-authz/rbac/)."""


class DeliveryGrant(pulumi.ComponentResource):
    """A Role and RoleBinding for ``argocd-manager`` in each namespace Argo CD delivers to; no cluster-wide grant."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        namespaces: Sequence[str],
        after: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:agnostics:DeliveryGrant", name, None, opts)
        for namespace in namespaces:
            # After `after` (the application layer): the namespaces exist by then.
            role = k8s.rbac.v1.Role(
                f"{name}-{namespace}-role",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=MANAGER, namespace=namespace),
                # Every namespaced kind in the namespace: the charts decide which, the AppProject limits them.
                rules=[k8s.rbac.v1.PolicyRuleArgs(api_groups=["*"], resources=["*"], verbs=list(MANAGER_VERBS))],
                opts=cluster.opts(self, depends_on=after),
            )
            k8s.rbac.v1.RoleBinding(
                f"{name}-{namespace}-binding",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=MANAGER, namespace=namespace),
                role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=MANAGER),
                subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=MANAGER, namespace=MANAGER_NAMESPACE)],
                opts=cluster.opts(self, depends_on=[role]),
            )
        self.register_outputs({"namespaces": list(namespaces)})
