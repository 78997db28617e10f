"""Where pod templates and containers live in each workload kind."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

# The path from a workload object to its pod template (metadata + spec); a Pod is its own template.
# Source: Kubernetes API reference, "Workload Resources" (https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/).
_TEMPLATE_PATH: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("", "Pod"): (),
    ("", "ReplicationController"): ("spec", "template"),
    ("", "PodTemplate"): ("template",),
    ("apps", "Deployment"): ("spec", "template"),
    ("apps", "StatefulSet"): ("spec", "template"),
    ("apps", "DaemonSet"): ("spec", "template"),
    ("apps", "ReplicaSet"): ("spec", "template"),
    ("batch", "Job"): ("spec", "template"),
    ("batch", "CronJob"): ("spec", "jobTemplate", "spec", "template"),
}
CONTAINER_FIELDS = ("containers", "initContainers", "ephemeralContainers")
"""The three lists of containers in a PodSpec (Pod Security and image checks cover all three)."""


@dataclass(frozen=True)
class PodTemplate:
    """A pod template: the pod's metadata and spec as they will be admitted."""

    metadata: Mapping[str, Any]
    spec: Mapping[str, Any]


def pod_template(obj: Mapping[str, Any]) -> PodTemplate | None:
    """The pod template of a workload object, or None for a kind that runs no pods."""
    group, _, _ = str(obj.get("apiVersion") or "").rpartition("/")
    path = _TEMPLATE_PATH.get((group, str(obj.get("kind") or "")))
    if path is None:
        return None
    node: Any = obj
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    if not isinstance(node, Mapping):
        return None
    return PodTemplate(node.get("metadata") or {}, node.get("spec") or {})


def containers(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """``(field, container)`` for every container, init container and ephemeral container."""
    for field in CONTAINER_FIELDS:
        for container in spec.get(field) or ():
            if isinstance(container, Mapping):
                yield field, container
