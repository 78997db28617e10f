"""The pods a render will run: from workload objects, and the ones spawned at run time.

Rendered pods come from the pod templates of Deployments, StatefulSets, DaemonSets,
ReplicaSets, Jobs, CronJobs and bare Pods (their real labels, namespace, service
account and named container ports). Host-network pods are left out: Cilium gives them
the host's identity, not a pod's, and pod policies do not apply to them.

Spawned pods are the single-user servers JupyterHub starts. Their labels are
KubeSpawner's (jupyterhub/kubespawner ``kubespawner/spawner.py``,
``_build_common_labels``/``_build_pod_labels``: ``hub.jupyter.org/username``,
``hub.jupyter.org/servername``, ``component`` and ``app.kubernetes.io/component`` =
``singleuser-server``) plus the ``common_labels`` and ``extra_labels`` z2jh configures
(jupyterhub chart ``files/hub/jupyterhub_config.py``: ``app``/``release`` and their
``app.kubernetes.io`` forms, ``singleuser.extraLabels``), in the namespace KubeSpawner
is given (``KubeSpawner.namespace``, else the hub's own, ``POD_NAMESPACE``); the
notebook listens on the port named ``notebook-port``, 8888 by default
(``KubeSpawner.port``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from .model import Pod

_TEMPLATE_PATHS: Final = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
Z2JH_SINGLEUSER_EXTRA_LABELS: Final = {"hub.jupyter.org/network-access-hub": "true"}
"""``singleuser.extraLabels`` in the z2jh chart's default values."""


def namespace_labels(objects: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Each rendered Namespace's labels."""
    return {
        o["metadata"]["name"]: dict(o["metadata"].get("labels") or {})
        for o in objects
        if o.get("kind") == "Namespace" and o.get("apiVersion") == "v1"
    }


def workload_pods(
    objects: Iterable[Mapping[str, Any]],
    namespaces: Mapping[str, Mapping[str, str]],
    *,
    origin: str,
    default_namespace: str = "default",
) -> list[Pod]:
    """One pod per workload object (replicas share one identity, so one stands for all)."""
    pods = []
    for obj in objects:
        kind = obj.get("kind", "")
        if kind == "Pod":
            template: Mapping[str, Any] | None = obj
        elif kind in _TEMPLATE_PATHS:
            template = obj
            for key in _TEMPLATE_PATHS[kind]:
                template = (template or {}).get(key)
        else:
            continue
        if not template:
            continue
        spec = template.get("spec") or {}
        if spec.get("hostNetwork"):
            continue
        namespace = obj["metadata"].get("namespace") or default_namespace
        ports = {
            p["name"]: int(p["containerPort"])
            for c in spec.get("containers") or []
            for p in c.get("ports") or []
            if p.get("name") and str(p.get("containerPort", "")).isdigit()
        }
        pods.append(
            Pod(
                name=obj["metadata"]["name"],
                namespace=namespace,
                labels=dict((template.get("metadata") or {}).get("labels") or {}),
                namespace_labels=dict(namespaces.get(namespace, {})),
                service_account=spec.get("serviceAccountName") or "default",
                ports=ports,
                origin=origin,
            )
        )
    return pods


def spawned_workspaces(
    values: Mapping[str, Any],
    *,
    release: str,
    release_namespace: str,
    users: Sequence[str],
    namespaces: Mapping[str, Mapping[str, str]],
    chart: str = "jupyterhub",
) -> list[Pod]:
    """The single-user servers JupyterHub would spawn for ``users``, one per user and namespace."""
    singleuser = values.get("singleuser") or {}
    kubespawner = ((values.get("hub") or {}).get("config") or {}).get("KubeSpawner") or {}
    default = kubespawner.get("namespace") or release_namespace
    # Profiles may send servers elsewhere (kubespawner_override.namespace); with a profile list, servers start
    # only from its profiles (the hub refuses a spawn without one), so the default namespace hosts one only
    # when no profile list is given or a profile leaves the namespace alone.
    profiles = singleuser.get("profileList")
    if profiles is None:
        targets = {default}
    else:
        targets = {(profile.get("kubespawner_override") or {}).get("namespace") or default for profile in profiles}
    name = values.get("nameOverride") or chart
    common = {"app": name, "app.kubernetes.io/name": name, "release": release, "app.kubernetes.io/instance": release}
    extra = dict(singleuser["extraLabels"]) if "extraLabels" in singleuser else dict(Z2JH_SINGLEUSER_EXTRA_LABELS)
    extra.update(kubespawner.get("extra_labels") or {})
    pods = []
    for namespace in sorted(targets):
        for user in users:
            labels = {
                "hub.jupyter.org/username": user,
                **{key: str(value) for key, value in extra.items()},
                **common,
                "app.kubernetes.io/managed-by": "kubespawner",
                "component": "singleuser-server",
                "app.kubernetes.io/component": "singleuser-server",
                "hub.jupyter.org/servername": "",
            }
            pods.append(
                Pod(
                    name=f"jupyter-{user}",
                    namespace=namespace,
                    labels=labels,
                    namespace_labels=dict(namespaces.get(namespace, {})),
                    ports={"notebook-port": int(kubespawner.get("port") or 8888)},
                    origin="runtime",
                )
            )
    return pods


def project_workload(namespace: str, namespaces: Mapping[str, Mapping[str, str]]) -> Pod:
    """A pod a project runs in its namespace (a database, a service): what project isolation protects."""
    return Pod(
        name="project-service",
        namespace=namespace,
        labels={"app.kubernetes.io/name": "project-service"},
        namespace_labels=dict(namespaces.get(namespace, {})),
        ports={"http": 8080},
        origin="runtime",
    )
