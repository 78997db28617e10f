"""The Postgres instance pods CloudNativePG starts at run time, for the flow matrix.

The program renders only the ``Cluster`` resource; the operator creates its pods, labelled
``cnpg.io/cluster: <name>`` and ``cnpg.io/podRole: instance`` (CloudNativePG docs, "Labels and
annotations"), with the service account named after the cluster, serving Postgres on 5432 and the
instance manager's status on 8000.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..flows.model import Pod
from .cloudnative_pg import INSTANCE_LABELS, POSTGRES_PORT, STATUS_PORT


def database_pods(objects: Sequence[Mapping[str, Any]], namespaces: Mapping[str, Mapping[str, str]]) -> list[Pod]:
    """One instance pod for each rendered CloudNativePG ``Cluster`` (one stands for all: they share labels)."""
    pods = []
    for obj in objects:
        if obj.get("kind") != "Cluster" or not str(obj.get("apiVersion", "")).startswith("postgresql.cnpg.io/"):
            continue
        name = obj["metadata"]["name"]
        namespace = obj["metadata"].get("namespace", "default")
        pods.append(
            Pod(
                name=f"{name}-1",
                namespace=namespace,
                labels={"cnpg.io/cluster": name, **INSTANCE_LABELS},
                namespace_labels=dict(namespaces.get(namespace, {})),
                service_account=name,
                ports={"postgresql": POSTGRES_PORT, "status": STATUS_PORT},
                origin="runtime (cloudnative-pg)",
            )
        )
    return pods
