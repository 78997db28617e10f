"""Rules across a project's settings: profiles fit the quota, images are allowed, retention is decided.

A profile that asks for more than its project's quota would only fail at spawn time
(the ResourceQuota refuses the pod), long after ``pulumi up`` succeeded; so would an image
from a registry the admission policy refuses. In prod a project's data outlives the
stack file entry only by an explicit decision (``decommission``); JupyterHub cannot be
switched off under projects that still use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import K8treConfig

Issue = tuple[str, str]


def project_issues(config: K8treConfig) -> Iterator[Issue]:
    """Every problem across the projects' settings."""
    hub = config.applications.jupyterhub
    registries = config.agnostics.admission.allowed_registries
    for i, project in enumerate(config.applications.projects):
        key = f"applications.projects[{i}]"
        quota = project.quota
        names = [profile.name for profile in project.profiles or ()]
        for j, profile in enumerate(project.profiles or ()):
            at = f"{key}.profiles[{j}]"
            if names.index(profile.name) != j:
                yield f"{at}.name", f"{profile.name!r} is used by more than one profile of project {project.name!r}"
            if profile.tag == "latest":
                yield f"{at}.tag", "must be a pinned tag, not 'latest'"
            if not any(profile.image.startswith(prefix + "/") for prefix in registries):
                yield f"{at}.image", f"{profile.image!r} is not from a registry in agnostics.admission.allowedRegistries"
            if profile.cpu_request > profile.cpu_limit:
                yield f"{at}.cpuRequest", f"{profile.cpu_request} is more than its cpuLimit {profile.cpu_limit}"
            if profile.memory_request_gib > profile.memory_limit_gib:
                yield f"{at}.memoryRequestGib", f"{profile.memory_request_gib} is more than its memoryLimitGib"
        for j, profile in enumerate(project.workspace_profiles(hub)):
            at = f"{key}.profiles[{j}]" if project.profiles is not None else f"{key}.quota"
            if profile.cpu_limit > quota.cpu:
                yield (
                    at if project.profiles is None else f"{at}.cpuLimit",
                    (f"workspace profile {profile.name!r} may use {profile.cpu_limit} CPUs, more than the quota's {quota.cpu}"),
                )
            if profile.memory_limit_gib > quota.memory_gib:
                yield (
                    at if project.profiles is None else f"{at}.memoryLimitGib",
                    (
                        f"workspace profile {profile.name!r} may use {profile.memory_limit_gib} GiB, more than the quota's "
                        f"{quota.memory_gib}"
                    ),
                )
            if profile.gpus > quota.gpus:
                yield (
                    at if project.profiles is None else f"{at}.gpus",
                    (f"workspace profile {profile.name!r} asks for {profile.gpus} GPUs, more than the quota's {quota.gpus}"),
                )
        volumes = project.volumes
        fixed = volumes.shared_gib + volumes.input_gib + volumes.home_gib
        if fixed > quota.storage_gib:
            yield (
                f"{key}.quota.storageGib",
                (
                    f"{quota.storage_gib} GiB cannot hold the shared ({volumes.shared_gib}), input ({volumes.input_gib}) "
                    f"and one home volume ({volumes.home_gib})"
                ),
            )
        if config.is_prod and project.active and "jupyterhub" in project.applications and not hub.enabled:
            yield (
                "applications.jupyterhub.enabled",
                (
                    f"is false in prod while project {project.name!r} uses JupyterHub: decide first, in the stack file, by "
                    f"removing 'jupyterhub' from k8tre:{key}.applications (members' home volumes stay, protected, in "
                    f"project-{project.name}) or by setting k8tre:{key}.decommission"
                ),
            )
