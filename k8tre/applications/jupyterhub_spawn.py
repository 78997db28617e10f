"""How JupyterHub starts workspaces: in the project's namespace, with the project's image and size.

Each project's profiles become entries of z2jh's ``singleuser.profileList`` whose
``kubespawner_override`` sets the namespace (KubeSpawner starts its pod and event
watchers only after applying the profile, one watcher per namespace, so no ClusterRole
is needed: kubespawner ``spawner.py`` ``_start`` and ``_start_reflector``). The home
volume is created by KubeSpawner in that namespace (``_start``: the PVC is created in
``self.namespace``), so each member has one home volume per project. The hub-side filter
(:mod:`.hub.project_profiles`) offers a user only the profiles of their projects' groups.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Sequence
from typing import Any, Final

from ..agnostics.storage import RWO_CLASS
from ..config.layers import JupyterHubSettings, ProjectSettings
from ..config.projects import WorkspaceProfile
from .hub import project_profiles
from .project_resources import GPU_RESOURCE, INPUT_VOLUME, SHARED_VOLUME

HOME: Final = "/home/jovyan"
"""The Jupyter Docker Stacks' home directory (user ``jovyan``, uid 1000, gid 100)."""
NOTEBOOK_UID: Final = 1000
NOTEBOOK_GID: Final = 100
PROFILES_CONFIG: Final = "k8tre-project-profiles"
"""The ``hub.extraConfig`` key of the group filter."""


def profile_slug(project: ProjectSettings, profile: WorkspaceProfile) -> str:
    """The profile's unique name on the spawn form."""
    return f"{project.name}-{profile.name}"


def _gib(value: float) -> str:
    return f"{round(value * 1024)}M"


def profile_entry(project: ProjectSettings, profile: WorkspaceProfile, namespace: str) -> dict[str, Any]:
    """One ``profileList`` entry: the project's namespace, image, requests and limits, home volume size."""
    override: dict[str, Any] = {
        "namespace": namespace,
        "image": f"{profile.image}:{profile.tag}",
        "cpu_guarantee": profile.cpu_request,
        "cpu_limit": profile.cpu_limit,
        "mem_guarantee": _gib(profile.memory_request_gib),
        "mem_limit": _gib(profile.memory_limit_gib),
        "storage_capacity": f"{project.volumes.home_gib}Gi",
    }
    if profile.gpus:
        override["extra_resource_guarantees"] = {GPU_RESOURCE: str(profile.gpus)}
        override["extra_resource_limits"] = {GPU_RESOURCE: str(profile.gpus)}
    display = profile.display_name or f"{profile.image.rsplit('/', 1)[-1]}:{profile.tag}"
    return {
        "slug": profile_slug(project, profile),
        "display_name": f"{project.name}: {display}",
        "description": f"{profile.cpu_limit} CPUs, {profile.memory_limit_gib} GiB memory"
        + (f", {profile.gpus} GPU" if profile.gpus else ""),
        "kubespawner_override": override,
    }


def filter_config(projects: Sequence[ProjectSettings], hub: JupyterHubSettings) -> str:
    """The hub-side filter, with each profile's slug mapped to its project's group."""
    groups = {profile_slug(p, profile): p.group for p in projects for profile in p.workspace_profiles(hub)}
    return f"{inspect.getsource(project_profiles)}\nconfigure(c, {json.dumps(groups, sort_keys=True)})\n"


def spawn_values(projects: Sequence[ProjectSettings], hub: JupyterHubSettings, namespaces: dict[str, str]) -> dict[str, Any]:
    """The ``singleuser`` values and the KubeSpawner settings for workspaces in project namespaces.

    ``projects`` are those JupyterHub serves; ``namespaces`` maps each to its namespace.
    """
    profiles = [profile_entry(p, profile, namespaces[p.name]) for p in projects for profile in p.workspace_profiles(hub)]
    return {
        "singleuser": {
            "profileList": profiles,
            "image": {"name": hub.singleuser_image, "tag": hub.singleuser_tag, "pullPolicy": "Always"},
            "uid": NOTEBOOK_UID,
            "fsGid": NOTEBOOK_GID,
            "allowPrivilegeEscalation": False,
            "storage": {
                "type": "dynamic",
                "homeMountPath": HOME,
                # One home volume per member and project: the same name in each project's namespace.
                "dynamic": {"storageClass": RWO_CLASS, "pvcNameTemplate": "home-{user_server}"},
                "extraVolumes": [
                    {"name": "shared", "persistentVolumeClaim": {"claimName": SHARED_VOLUME}},
                    {"name": "input", "persistentVolumeClaim": {"claimName": INPUT_VOLUME, "readOnly": True}},
                ],
                "extraVolumeMounts": [
                    {"name": "shared", "mountPath": f"{HOME}/shared"},
                    {"name": "input", "mountPath": f"{HOME}/input", "readOnly": True},
                ],
            },
        },
        "kubespawner": {
            # A notebook never talks to the Kubernetes API: no token in it (SATRE: least privilege).
            "automount_service_account_token": False,
            # Pod Security `restricted` in every project namespace admits only this.
            "pod_security_context": {
                "runAsNonRoot": True,
                "runAsUser": NOTEBOOK_UID,
                "fsGroup": NOTEBOOK_GID,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "container_security_context": {
                "runAsNonRoot": True,
                "runAsUser": NOTEBOOK_UID,
                "allowPrivilegeEscalation": False,
                "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            # The home volume is looked up (and created if missing) at every start in the chosen project's
            # namespace, rather than remembered from the last project the user worked in.
            "remember_pvc_name": False,
            "handle_legacy_names": False,
            # Removing a user from the hub must not delete research data; volumes go with their project.
            "delete_pvc": False,
        },
        "extraConfig": {PROFILES_CONFIG: filter_config(projects, hub)},
    }
