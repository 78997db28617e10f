"""A research project's resources in the stack file: quota, workspace profiles, data volumes, retention.

Defaults are production defaults: a project gets a bounded share of the cluster, one
workspace profile (the JupyterHub settings' image and size), a shared and an input-data
volume, and in prod its namespace and volumes are protected until the stack file records
a decision about its data (``decommission``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .base import K8treModel

_TAG = r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$"
_IMAGE = r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]([a-z0-9._-]*[a-z0-9])?)+$"
"""A fully qualified image name without its tag: registry host first (``quay.io/jupyter/scipy-notebook``)."""

Application = Literal["jupyterhub"]
"""A user-facing application a project can use."""


class WorkspaceProfile(K8treModel):
    """A workspace a project's members may start: one image and one size."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")]
    """Short name, unique in the project; the spawn form's choice is ``<project>-<name>``."""
    display_name: Annotated[str, Field(min_length=1, max_length=80)] | None = None
    """What the spawn form shows; default the image and size."""
    image: Annotated[str, Field(pattern=_IMAGE)]
    """Image name with its registry, without the tag; must come from ``agnostics.admission.allowedRegistries``."""
    tag: Annotated[str, Field(pattern=_TAG)]
    """Image tag; ``latest`` is refused so what runs is what was reviewed."""
    cpu_request: Annotated[float, Field(gt=0, le=64)] = 0.5
    """CPU cores reserved for the workspace (its share of the project's quota)."""
    cpu_limit: Annotated[float, Field(gt=0, le=64)] = 2.0
    """CPU cores the workspace may use at most."""
    memory_request_gib: Annotated[float, Field(gt=0, le=512)] = 1.0
    """Memory reserved for the workspace, in GiB."""
    memory_limit_gib: Annotated[float, Field(gt=0, le=512)] = 8.0
    """Memory the workspace may use at most, in GiB (it is killed beyond it)."""
    gpus: Annotated[int, Field(ge=0, le=8)] = 0
    """NVIDIA GPUs (``nvidia.com/gpu``) the workspace gets; needs GPU nodes and the project's ``quota.gpus``."""


class ProjectQuota(K8treModel):
    """What the project's namespace may consume in total (a ``ResourceQuota``), workspaces included."""

    cpu: Annotated[float, Field(gt=0, le=1024)] = 16.0
    """CPU cores: the sum of every pod's requests, and of their limits."""
    memory_gib: Annotated[int, Field(ge=1, le=8192)] = 64
    """Memory in GiB: the sum of every pod's requests, and of their limits."""
    gpus: Annotated[int, Field(ge=0, le=64)] = 0
    """NVIDIA GPUs requested at once; 0 means no workspace may ask for one."""
    storage_gib: Annotated[int, Field(ge=1, le=1048576)] = 2048
    """Storage in GiB requested by all the project's volumes (shared, input data, every home volume)."""
    volumes: Annotated[int, Field(ge=2, le=1000)] = 50
    """PersistentVolumeClaims: the two project volumes plus one home volume per member who has started a workspace."""
    pods: Annotated[int, Field(ge=1, le=1000)] = 20
    """Pods at once (each running workspace is one)."""


class ProjectVolumes(K8treModel):
    """The project's data volumes (on the ``rwx-default`` class, home volumes on ``rwo-default``)."""

    shared_gib: Annotated[int, Field(ge=1, le=65536)] = 100
    """The shared read-write volume every member's workspace mounts at ``/home/jovyan/shared``."""
    input_gib: Annotated[int, Field(ge=1, le=65536)] = 100
    """The input-data volume, mounted read-only in workspaces at ``/home/jovyan/input``; data stewards fill it."""
    home_gib: Annotated[int, Field(ge=1, le=1024)] = 10
    """Each member's home volume in this project (one per member and project)."""


Decommission = Literal["retain", "delete"]
"""What happens to a retired project's namespace and volumes when it leaves the stack file."""
