"""Security-relevant logs kept and reviewable for the environment's retention (SATRE 2.5.03).

With the metrics and costs, they are also the platform's usage record (SATRE 2.2.13).

VictoriaLogs (one StatefulSet with a volume) is the store; fluent-bit on every node ships
container logs, Cilium's Hubble log of denied flows and, where the cluster runs its own
control plane, the API server's audit log. The same store on every cloud: an assessor
reviews one system, the retention is one setting, and the logs never leave the
environment's network. Why not Loki or the cloud's log service: ``docs/agnostics.md``.
"""

from __future__ import annotations

from typing import Any, Final

import pulumi
import pulumi_kubernetes as k8s

from ..helm import helm_release
from ..infrastructure import Cluster
from ..manifest import custom_object
from ..namespace import platform_namespace
from ..stage import Stage
from ..versions import ChartPin
from .catalogue import Render, ServiceEntry, releases
from .costs import service_monitor
from .log_collector import collector_values
from .monitoring_values import STORAGE_CLASS, resources
from .network_policy import service_policy
from .observability_network import FLUENT_BIT, LOG_STORE, LOGGING, NODES, collector_policy, log_store_ingress_policy

STORE_RELEASE: Final = "victoria-logs"
COLLECTOR_RELEASE: Final = "fluent-bit"
LOG_VOLUME_GIB: Final = {"dev": 20, "stg": 50, "prod": 200}
"""The store's volume: sized for the retention (a year in prod); the disk alert warns before it fills."""
FREE_FORM_VALUES: Final = ("server.podSecurityContext", "server.securityContext")
"""VictoriaLogs' security contexts: Kubernetes objects the chart passes through minus its own ``enabled`` switch
(victoria-metrics-common ``vm.securityContext`` in ``templates/_pod.tpl``), checked strictly where they land."""
STORE_UID: Final = 10001
"""The uid VictoriaLogs runs as, above checkov's floor of 10000 (CKV_K8S_40); a static binary whose
only writes go to its volume, made writable for the uid by ``fsGroup``."""


def store_values(stage: Stage) -> dict[str, Any]:
    """VictoriaLogs: retention from the environment, on the platform's encrypted volume.

    Retention is a number of days (VictoriaLogs docs, "Retention": ``-retentionPeriod`` takes
    ``d`` units, https://docs.victoriametrics.com/victorialogs/#retention). No size-based
    deletion: dropping the oldest logs to make room would shorten the record silently; a full
    disk stops ingestion and raises an alert instead.
    """
    days = stage.audit_retention_days
    return {
        "server": {
            "retentionPeriod": f"{days}d",
            # The chart's repository "victoriametrics/victoria-logs" has no registry: Docker Hub, named explicitly.
            "image": {"registry": "docker.io", "pullPolicy": "Always"},
            "resources": resources("100m", "256Mi", "1", "2Gi"),
            "persistentVolume": {
                "enabled": True,
                "storageClassName": STORAGE_CLASS,
                "size": f"{LOG_VOLUME_GIB[stage.environment]}Gi",
            },
            "podSecurityContext": {
                "enabled": True,
                "runAsNonRoot": True,
                "runAsUser": STORE_UID,
                "runAsGroup": STORE_UID,
                "fsGroup": STORE_UID,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "securityContext": {
                "enabled": True,
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"},
            },
        },
        # Its own service account, with no API token mounted: the store never calls the Kubernetes API
        # (the chart sets the pod's automountServiceAccountToken only with a named or created account).
        "serviceAccount": {"create": True, "automountToken": False},
    }


def _logs_variant(render: Render) -> str:
    """The store's retention and what the collector ships, as rendered."""
    described = [
        f"VictoriaLogs, kept {(r.get('values') or {}).get('server', {}).get('retentionPeriod', '?')}"
        for r in releases(render, "victoria-logs-single")
    ]
    for release in releases(render, "fluent-bit"):
        inputs = str(((release.get("values") or {}).get("config") or {}).get("inputs", ""))
        shipped = (
            ["containers"]
            + (["Hubble denied flows"] if "hubble" in inputs else [])
            + (["API audit"] if "audit" in inputs else [])
        )
        described.append("fluent-bit: " + ", ".join(shipped))
    return "; ".join(described)


ENTRY = ServiceEntry(
    name="Logs",
    gives="container logs, denied network flows and (K3s) the API audit log kept for the environment's retention, "
    "reviewable in Grafana",
    charts=("victoria-logs-single", "fluent-bit"),
    flows="fluent-bit to the log store; Grafana and Prometheus to the store; nothing else, no project, nothing from the Gateway",
    variant=_logs_variant,
)


class Logs(pulumi.ComponentResource):
    """The log store in ``logging`` and the node collector beside node-exporter."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        store_pin: ChartPin,
        collector_pin: ChartPin,
        stage: Stage,
        nodes_namespace: k8s.core.v1.Namespace,
        crds: pulumi.Resource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:agnostics:Logs", name, None, opts)
        namespace = platform_namespace(f"{name}-ns", LOGGING, cluster, self, layer="agnostics")
        self.store = helm_release(
            f"{name}-store",
            release_name=STORE_RELEASE,
            pin=store_pin,
            namespace=namespace.metadata.name,
            values=store_values(stage),
            # The security record lives on its volume: protected from deletion in prod.
            opts=stage.stateful(cluster.opts(self)),
        )
        self.collector = helm_release(
            f"{name}-collector",
            release_name=COLLECTOR_RELEASE,
            pin=collector_pin,
            namespace=nodes_namespace.metadata.name,
            values=collector_values(cluster.platform.host_audit_log),
            opts=cluster.opts(self),
        )
        objects = {
            "store-policy": service_policy(LOGGING, "log-store"),
            "store-clients-policy": log_store_ingress_policy(),
            "collector-policy": service_policy(NODES, "fluent-bit", api_server=True),
            "collector-store-policy": collector_policy(),
        }
        for part, obj in objects.items():
            custom_object(f"{name}-{part}", obj, cluster, self, depends_on=[namespace, nodes_namespace])
        # Prometheus watches the pipeline (an alert when logs stop arriving); the kind exists once the
        # monitoring chart has installed its CRDs, so only these objects wait for it, not the releases.
        monitors = {
            "store-monitor": service_monitor("log-store", LOGGING, dict(LOG_STORE), "http"),
            "collector-monitor": service_monitor("fluent-bit", NODES, dict(FLUENT_BIT), "http"),
        }
        for part, obj in monitors.items():
            custom_object(f"{name}-{part}", obj, cluster, self, depends_on=[crds])
        self.register_outputs({"namespace": LOGGING})
