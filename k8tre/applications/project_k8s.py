"""A project's Kubernetes objects as resources, from the manifests of :mod:`.project_resources`.

And the one place that decides how a project's data outlives its stack-file entry:
:func:`data_options`.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..config.layers import JupyterHubSettings, ProjectSettings
from ..stage import Stage
from .project_resources import hub_role, hub_role_binding, limit_range, resource_quota

HUB_SERVICE_ACCOUNT = "hub"
"""The hub's service account (set as ``hub.serviceAccount.name`` in the chart values)."""


def data_options(project: ProjectSettings, stage: Stage) -> pulumi.ResourceOptions:
    """Options for what holds a project's research data (its namespace and volumes).

    Active: protected in prod (``Stage.stateful``), so removing the project from the stack
    file makes ``pulumi up`` stop with "resource ... is protected" before anything is
    deleted. ``decommission: retain`` lifts protection but keeps the objects in the
    cluster when the entry goes (``retain_on_delete``: Pulumi forgets them, the data
    stays, and the volumes' ``Retain`` reclaim policy keeps the disks even after a later
    manual delete). ``decommission: delete`` lifts protection: removing the entry deletes
    the namespace and its volumes (the disks of a ``Retain`` class still remain until an
    operator releases them).
    """
    if project.decommission is None:
        return stage.stateful(pulumi.ResourceOptions())
    return pulumi.ResourceOptions(protect=False, retain_on_delete=project.decommission == "retain")


def _metadata(obj: dict[str, Any]) -> k8s.meta.v1.ObjectMetaArgs:
    meta = obj["metadata"]
    return k8s.meta.v1.ObjectMetaArgs(name=meta["name"], namespace=meta["namespace"], labels=meta.get("labels"))


def guard_rails(
    name: str, namespace: str, project: ProjectSettings, hub: JupyterHubSettings, opts: pulumi.ResourceOptions
) -> None:
    """The project's ResourceQuota and LimitRange."""
    quota = resource_quota(namespace, project)
    k8s.core.v1.ResourceQuota(
        f"{name}-quota", metadata=_metadata(quota), spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=quota["spec"]["hard"]), opts=opts
    )
    limits = limit_range(namespace, project, hub)
    items = [
        k8s.core.v1.LimitRangeItemArgs(
            type=item["type"], default=item.get("default"), default_request=item.get("defaultRequest"), max=item.get("max")
        )
        for item in limits["spec"]["limits"]
    ]
    k8s.core.v1.LimitRange(
        f"{name}-limits", metadata=_metadata(limits), spec=k8s.core.v1.LimitRangeSpecArgs(limits=items), opts=opts
    )


def pvc(name: str, claim: dict[str, Any], opts: pulumi.ResourceOptions) -> k8s.core.v1.PersistentVolumeClaim:
    """A PersistentVolumeClaim from its manifest."""
    spec = claim["spec"]
    return k8s.core.v1.PersistentVolumeClaim(
        name,
        metadata=_metadata(claim),
        spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
            access_modes=spec["accessModes"],
            storage_class_name=spec["storageClassName"],
            resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests=spec["resources"]["requests"]),
        ),
        opts=opts,
    )


def spawner_rbac(name: str, namespace: str, hub_namespace: str, opts: pulumi.ResourceOptions) -> None:
    """The Role and RoleBinding that let the hub spawn here, and only here (no ClusterRole)."""
    role = hub_role(namespace)
    created = k8s.rbac.v1.Role(
        f"{name}-spawner",
        metadata=_metadata(role),
        rules=[
            k8s.rbac.v1.PolicyRuleArgs(api_groups=rule["apiGroups"], resources=rule["resources"], verbs=rule["verbs"])
            for rule in role["rules"]
        ],
        opts=opts,
    )
    binding = hub_role_binding(namespace, hub_namespace, HUB_SERVICE_ACCOUNT)
    k8s.rbac.v1.RoleBinding(
        f"{name}-spawner-binding",
        metadata=_metadata(binding),
        role_ref=k8s.rbac.v1.RoleRefArgs(
            **{"api_group": "rbac.authorization.k8s.io", "kind": "Role", "name": role["metadata"]["name"]}
        ),
        subjects=[k8s.rbac.v1.SubjectArgs(kind=s["kind"], name=s["name"], namespace=s["namespace"]) for s in binding["subjects"]],
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[created])),
    )
