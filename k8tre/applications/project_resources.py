"""What a project's namespace holds besides its policies: quota, limits, data volumes, the hub's Role.

Each function returns a manifest (plain data), so tests read exactly what the program
applies. Volume names are the same in every project namespace: a workspace finds its
project's data at the same paths whichever project it was started in.
"""

from __future__ import annotations

from typing import Any, Final

from ..config.layers import JupyterHubSettings, ProjectSettings

SHARED_VOLUME: Final = "project-shared"
"""The project's shared read-write volume (``rwx-default``)."""
INPUT_VOLUME: Final = "project-input"
"""The project's input-data volume: written by data stewards, mounted read-only in workspaces."""
HUB_ROLE: Final = "jupyterhub-spawner"
"""The Role (and its binding) that lets JupyterHub's hub start workspaces in one project namespace."""
GPU_RESOURCE: Final = "nvidia.com/gpu"
DECOMMISSION_LABEL: Final = "k8tre.io/decommission"
"""On a retired project's namespace and volumes: the stack file's decision (read by the protected-state rule)."""


def _gib(value: float) -> str:
    """A quantity in Mi (exact for fractional GiB, which Kubernetes also accepts as ``Gi`` decimals)."""
    return f"{round(value * 1024)}Mi"


def resource_quota(namespace: str, project: ProjectSettings) -> dict[str, Any]:
    """The project's total: CPU, memory, GPUs, storage, volumes and pods (requests and limits both bounded)."""
    quota = project.quota
    hard = {
        "requests.cpu": str(quota.cpu),
        "limits.cpu": str(quota.cpu),
        "requests.memory": f"{quota.memory_gib}Gi",
        "limits.memory": f"{quota.memory_gib}Gi",
        # Extended resources are quota'd by their request only (kubernetes.io/docs/concepts/policy/resource-quotas,
        # "Resource quota for extended resources").
        f"requests.{GPU_RESOURCE}": str(quota.gpus),
        "requests.storage": f"{quota.storage_gib}Gi",
        "persistentvolumeclaims": str(quota.volumes),
        "pods": str(quota.pods),
        # Nothing in a project is published on its own: the Gateway reaches workspaces through the proxy.
        "services.loadbalancers": "0",
        "services.nodeports": "0",
    }
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "project-quota", "namespace": namespace},
        "spec": {"hard": hard},
    }


def limit_range(namespace: str, project: ProjectSettings, hub: JupyterHubSettings) -> dict[str, Any]:
    """Defaults for containers that name no resources (the quota needs them), and the largest allowed.

    The maximum per container is the largest workspace profile, so a pod made by hand
    cannot take more than the biggest workspace the project reviewed.
    """
    profiles = project.workspace_profiles(hub)
    max_cpu = max(p.cpu_limit for p in profiles)
    max_memory = max(p.memory_limit_gib for p in profiles)
    volumes = project.volumes
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "project-limits", "namespace": namespace},
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {"cpu": "500m", "memory": "512Mi"},
                    "defaultRequest": {"cpu": "100m", "memory": "256Mi"},
                    "max": {"cpu": str(max_cpu), "memory": _gib(max_memory)},
                },
                {
                    "type": "PersistentVolumeClaim",
                    "max": {"storage": f"{max(volumes.shared_gib, volumes.input_gib, volumes.home_gib)}Gi"},
                },
            ]
        },
    }


def data_volume(
    namespace: str, name: str, size_gib: int, storage_class: str, labels: dict[str, str] | None = None
) -> dict[str, Any]:
    """A project volume many workspaces mount at once (ReadWriteMany on the shared-file class)."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace, "labels": {"k8tre.io/data": name, **(labels or {})}},
        "spec": {
            "accessModes": ["ReadWriteMany"],
            "storageClassName": storage_class,
            "resources": {"requests": {"storage": f"{size_gib}Gi"}},
        },
    }


def hub_role(namespace: str) -> dict[str, Any]:
    """Exactly what KubeSpawner does in a namespace it spawns into, and nothing more.

    From kubespawner's ``spawner.py`` (7.x): it creates, reads, watches and deletes the
    user's pod (``create_namespaced_pod``, the per-namespace ``PodReflector`` list/watch,
    ``delete_namespaced_pod``), creates and reads the home PVC
    (``create_namespaced_persistent_volume_claim``, ``read_namespaced_persistent_volume_claim``)
    and watches pod events for the progress page (``EventReflector``). It deletes a PVC
    only in ``delete_forever`` when ``delete_pvc`` is on; that is off here (a member
    leaving must not delete research data), so PVCs get no ``delete``. Services and
    Secrets are only made for internal SSL, which is off.
    """
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": HUB_ROLE, "namespace": namespace},
        "rules": [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch", "create", "delete"]},
            {"apiGroups": [""], "resources": ["persistentvolumeclaims"], "verbs": ["get", "create"]},
            {"apiGroups": [""], "resources": ["events"], "verbs": ["get", "list", "watch"]},
        ],
    }


def hub_role_binding(namespace: str, hub_namespace: str, service_account: str) -> dict[str, Any]:
    """Binds the Role to the hub's service account, in this namespace alone."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": HUB_ROLE, "namespace": namespace},
        "subjects": [{"kind": "ServiceAccount", "name": service_account, "namespace": hub_namespace}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": HUB_ROLE},
    }
