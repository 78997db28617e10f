"""Production values of the CSI driver charts a cloud's storage facts may name.

The table is keyed by chart, not by cloud: a cloud says which driver it needs
(``StorageFacts.drivers``), and this module knows how to run that chart well.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..stage import Stage


def _resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, Any]:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu_limit, "memory": memory_limit}}


EBS_SIDECARS = ("provisioner", "attacher", "snapshotter", "livenessProbe", "resizer", "nodeDriverRegistrar", "volumemodifier")
"""The EBS chart's sidecar containers (values.yaml ``sidecars``)."""
EFS_SIDECARS = ("livenessProbe", "nodeDriverRegistrar", "csiProvisioner")
"""The EFS chart's sidecar containers (values.yaml ``sidecars``)."""


def _sidecars(names: tuple[str, ...]) -> dict[str, Any]:
    # CSI sidecars are small Go programs (external-provisioner and friends); limits keep a leak bounded, and each
    # image is checked against its registry at every start like the driver's own (values ``sidecars.<x>.image``).
    # They need no capability and write nothing to their image.
    return {
        name: {
            "resources": _resources("10m", "32Mi", "100m", "128Mi"),
            "image": {"pullPolicy": "Always"},
            "securityContext": _UNPRIVILEGED_CONTAINER,
        }
        for name in names
    }


_UNPRIVILEGED_POD = {
    "runAsNonRoot": True,
    "runAsUser": 65532,
    "runAsGroup": 65532,
    "fsGroup": 65532,
    "seccompProfile": {"type": "RuntimeDefault"},
}
"""A controller pod that only calls cloud and Kubernetes APIs: non-root (above checkov's 10000 floor), RuntimeDefault."""
_UNPRIVILEGED_CONTAINER = {
    "privileged": False,
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "capabilities": {"drop": ["ALL"]},
}


def longhorn_values(stage: Stage) -> dict[str, Any]:
    """Longhorn: no class of its own (the platform's classes replace it), nothing phoned home, replicas by environment.

    ``upgradeChecker`` and usage metrics call Longhorn's servers on the internet (Longhorn docs,
    "Settings": Upgrade Checker, Allow Collecting Longhorn Usage Metrics); a TRE has no such egress.
    """
    return {
        "image": {"pullPolicy": "Always"},
        "persistence": {"createStorageClass": False, "defaultClass": False, "reclaimPolicy": "Retain"},
        "defaultSettings": {
            "upgradeChecker": False,
            "allowCollectingLonghornUsageMetrics": False,
            # A node that dies takes its pods' volumes with it until they are deleted and rescheduled.
            "nodeDownPodDeletionPolicy": "delete-both-statefulset-and-deployment-pod",
        },
        "longhornManager": {"resources": _resources("100m", "256Mi", "1", "1Gi")},
        "longhornUI": {"replicas": 1 if stage.environment == "dev" else 2},
        "networkPolicies": {"enabled": False},
    }


def ebs_values(stage: Stage) -> dict[str, Any]:
    """The EBS CSI driver: two controllers outside dev with a PDB, resources on every container."""
    replicas = 1 if stage.environment == "dev" else 2
    return {
        "image": {"pullPolicy": "Always"},
        "sidecars": _sidecars(EBS_SIDECARS),
        "controller": {
            "replicaCount": replicas,
            "podDisruptionBudget": {"enabled": replicas > 1},
            "resources": _resources("10m", "40Mi", "200m", "256Mi"),
            # The controller calls the EC2 API only; the chart already runs it as uid 1000 with a read-only root.
            "securityContext": _UNPRIVILEGED_POD,
            "containerSecurityContext": {**_UNPRIVILEGED_CONTAINER, "seccompProfile": {"type": "RuntimeDefault"}},
        },
        # EKS node groups here are Linux only: no Windows DaemonSet to run (or to judge).
        "node": {"resources": _resources("10m", "40Mi", "200m", "256Mi"), "enableWindows": False},
    }


def efs_values(stage: Stage) -> dict[str, Any]:
    """The EFS CSI driver: controllers by environment, resources on the driver containers."""
    replicas = 1 if stage.environment == "dev" else 2
    return {
        "image": {"pullPolicy": "Always"},
        "sidecars": _sidecars(EFS_SIDECARS),
        "controller": {
            "replicaCount": replicas,
            "resources": _resources("10m", "40Mi", "200m", "256Mi"),
            # The controller only calls the EFS API (CreateAccessPoint, DeleteAccessPoint); it mounts nothing unless
            # deleteAccessPointRootDir is on (off here), which is what its default privilege is for (values.yaml:
            # "Setting privileged=false will cause the delete-access-point-root-dir controller option to fail").
            "securityContext": _UNPRIVILEGED_POD,
            "containerSecurityContext": _UNPRIVILEGED_CONTAINER,
        },
        "node": {"resources": _resources("10m", "40Mi", "200m", "256Mi")},
    }


FREE_FORM_VALUES: Mapping[str, tuple[str, ...]] = {
    # Kubernetes ResourceRequirements passed through with toYaml (aws-ebs-csi-driver templates/controller.yaml,
    # node.yaml): their keys are Kubernetes fields, checked strictly where they land in the rendered pods.
    "aws-ebs-csi-driver": (
        "controller.resources",
        "controller.securityContext",
        "controller.containerSecurityContext",
        "node.resources",
        *(f"sidecars.{name}.{part}" for name in EBS_SIDECARS for part in ("resources", "securityContext")),
    ),
    "aws-efs-csi-driver": (
        "controller.resources",
        "controller.securityContext",
        "controller.containerSecurityContext",
        "node.resources",
        *(f"sidecars.{name}.{part}" for name in EFS_SIDECARS for part in ("resources", "securityContext")),
    ),
    "longhorn": ("longhornManager.resources",),
}
"""Per driver chart, value maps whose children are Kubernetes fields rather than chart keys."""

DRIVER_VALUES: Mapping[str, Callable[[Stage], dict[str, Any]]] = {
    "longhorn": longhorn_values,
    "aws-ebs-csi-driver": ebs_values,
    "aws-efs-csi-driver": efs_values,
}
"""Production values per driver chart."""


def driver_values(chart: str, stage: Stage, cloud_values: Mapping[str, Any]) -> dict[str, Any]:
    """The chart's production values with the cloud's own (region, identity) laid over them."""
    if chart not in DRIVER_VALUES:
        raise ValueError(f"storage driver chart {chart!r} has no production values in k8tre/agnostics/storage_drivers.py")
    return _merge(DRIVER_VALUES[chart](stage), cloud_values)


def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        current = merged.get(key)
        merged[key] = _merge(current, value) if isinstance(current, Mapping) and isinstance(value, Mapping) else value
    return merged
