"""What Velero backs up and for how long: the schedules as data, and which namespaces hold research data.

One daily schedule covers every namespace except a short list, each excluded for a stated reason, so a
namespace added later (a new project) is backed up without anyone remembering to add it. Volumes are
copied file by file by Velero's node agent into the object store (file-system backup with Kopia), which
works the same with every storage driver K8TRE uses (Azure Disk and Files, EBS and EFS, Longhorn and
local-path on K3s) and keeps the copy outside the cluster and its cloud's disk snapshots
(Velero docs, "File System Backup": https://velero.io/docs/main/file-system-backup/).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from ..stage import Stage

NOT_BACKED_UP: Final[Mapping[str, str]] = {
    "kube-system": "the cluster's own add-ons and Cilium, reinstalled by the infrastructure layer; no research data",
    "kube-public": "holds only the public cluster-info ConfigMap",
    "kube-node-lease": "holds only node heartbeat Leases",
    "velero": "Velero itself: a restore must not overwrite the Velero that runs it; its settings come from Pulumi",
    "seaweedfs": "on K3s it holds the backups themselves: a copy of it would land in itself",
}
"""Namespaces the schedule leaves out, each with the reason. Never a project or ``jupyterhub``."""
RESEARCH_LABEL: Final = "k8tre.io/project"
"""The label every research project namespace carries (k8tre.applications.research_project)."""
JUPYTERHUB_CHART: Final = "jupyterhub"


def retention_days(stage: Stage, configured: int | None) -> int:
    """Days a backup is kept: the stack file's, else the environment's audit retention (30/90/365)."""
    return configured if configured is not None else stage.audit_retention_days


def schedule_spec(cron: str, days: int, location: str) -> dict[str, Any]:
    """The daily Schedule: every namespace but :data:`NOT_BACKED_UP`, volumes through the node agent.

    ``ttl`` is when Velero deletes the backup and its data (Velero API, Backup ``spec.ttl``);
    ``useOwnerReferencesInBackup: false`` keeps backups when the Schedule is replaced.
    """
    return {
        "schedule": cron,
        "useOwnerReferencesInBackup": False,
        "template": {
            "includedNamespaces": ["*"],
            "excludedNamespaces": sorted(NOT_BACKED_UP),
            "includeClusterResources": True,
            "defaultVolumesToFsBackup": True,
            "snapshotVolumes": False,
            "storageLocation": location,
            "ttl": f"{days * 24}h0m0s",
        },
    }


def covers(spec: Mapping[str, Any], namespace: str) -> bool:
    """Whether a Schedule's backups include ``namespace`` (``*`` is every namespace; exclusions win)."""
    template = spec.get("template") or {}
    included = template.get("includedNamespaces") or ["*"]
    excluded = template.get("excludedNamespaces") or []
    return ("*" in included or namespace in included) and namespace not in excluded and "*" not in excluded


def _jupyterhub_keeps_volumes(values: Mapping[str, Any]) -> bool:
    # z2jh gives each user a PVC unless singleuser.storage.type is "none" (chart default "dynamic").
    return bool(((values.get("singleuser") or {}).get("storage") or {}).get("type", "dynamic") != "none")


def research_namespaces(objects: Iterable[Mapping[str, Any]], default_namespace: str = "") -> set[str]:
    """Namespaces holding data worth a backup: projects, PVCs, StatefulSet claims, JupyterHub users' claims.

    ``objects`` are rendered and expanded objects; ``default_namespace`` is the release's for chart
    objects that name none.
    """
    found: set[str] = set()
    for obj in objects:
        kind, meta = obj.get("kind"), obj.get("metadata") or {}
        namespace = meta.get("namespace") or default_namespace
        spec = obj.get("spec") or {}
        if kind == "Namespace" and RESEARCH_LABEL in (meta.get("labels") or {}):
            found.add(meta["name"])
        elif kind == "PersistentVolumeClaim" or (kind == "StatefulSet" and spec.get("volumeClaimTemplates")):
            found.add(namespace)
        elif kind == "Application" and (spec.get("source") or {}).get("chart") == JUPYTERHUB_CHART:
            values = ((spec.get("source") or {}).get("helm") or {}).get("valuesObject") or {}
            if _jupyterhub_keeps_volumes(values):
                found.add(spec["destination"]["namespace"])
    return found


def uncovered(schedules: Sequence[Mapping[str, Any]], namespaces: Iterable[str]) -> list[str]:
    """The namespaces no schedule covers, leaving out the documented exclusions."""
    return sorted(ns for ns in set(namespaces) if ns not in NOT_BACKED_UP and not any(covers(spec, ns) for spec in schedules))
