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


def _sidecars(names: tuple[str, ...]) -> dict[str, Any]:
    # CSI sidecars are small Go programs (external-provisioner and friends); limits keep a leak bounded.
    return {name: {"resources": _resources("10m", "32Mi", "100m", "128Mi")} for name in names}


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
        "sidecars": _sidecars(("provisioner", "attacher", "snapshotter", "livenessProbe", "resizer", "nodeDriverRegistrar")),
        "controller": {
            "replicaCount": replicas,
            "podDisruptionBudget": {"enabled": replicas > 1},
            "resources": _resources("10m", "40Mi", "200m", "256Mi"),
        },
        "node": {"resources": _resources("10m", "40Mi", "200m", "256Mi")},
    }


def efs_values(stage: Stage) -> dict[str, Any]:
    """The EFS CSI driver: controllers by environment, resources on the driver containers."""
    replicas = 1 if stage.environment == "dev" else 2
    return {
        "image": {"pullPolicy": "Always"},
        "controller": {"replicaCount": replicas, "resources": _resources("10m", "40Mi", "200m", "256Mi")},
        "node": {"resources": _resources("10m", "40Mi", "200m", "256Mi")},
    }


FREE_FORM_VALUES: Mapping[str, tuple[str, ...]] = {
    # Kubernetes ResourceRequirements passed through with toYaml (aws-ebs-csi-driver templates/controller.yaml,
    # node.yaml): their keys are Kubernetes fields, checked strictly where they land in the rendered pods.
    "aws-ebs-csi-driver": (
        "controller.resources",
        "node.resources",
        *(
            f"sidecars.{name}.resources"
            for name in ("provisioner", "attacher", "snapshotter", "livenessProbe", "resizer", "nodeDriverRegistrar")
        ),
    ),
    "aws-efs-csi-driver": ("controller.resources", "node.resources"),
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
