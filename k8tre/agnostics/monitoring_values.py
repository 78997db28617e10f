"""kube-prometheus-stack's values: Prometheus, Alertmanager, Grafana and the exporters, production-configured.

Keys are the chart's (kube-prometheus-stack 88.5.3 ``values.yaml``) and its subcharts'
(``charts/grafana``, ``charts/kube-state-metrics``, ``charts/prometheus-node-exporter``
in the archive).
"""

from __future__ import annotations

from typing import Any, Final

from ..config.alerting import AlertingSettings
from ..infrastructure.cluster import ControlPlaneMetrics
from ..stage import Stage
from .alerting import RECEIVER_SECRET, RECEIVERS_ANNOTATION, alertmanager_config, endpoints
from .observability_network import LOG_STORE_PORT, MONITORING, NODES, STORE_HOST

RELEASE: Final = "kube-prometheus-stack"
STORAGE_CLASS: Final = "rwo-default"
"""The platform's encrypted block storage class (Retain in prod), made by the storage service."""
GRAFANA_ADMIN_SECRET: Final = "grafana-admin"  # noqa: S105 - the Secret's name, not its content
"""The Secret holding Grafana's break-glass admin (user name and password, both generated)."""
LOG_DATASOURCE_PLUGIN: Final = "victoriametrics-logs-datasource"
"""Grafana's data source for VictoriaLogs (VictoriaMetrics docs, "VictoriaLogs datasource":
https://docs.victoriametrics.com/victorialogs/integrations/grafana/), installed from Grafana's catalogue."""
LOG_DATASOURCE_VERSION: Final = "0.21.0"
"""The plugin's version, pinned (VictoriaMetrics/victorialogs-datasource CHANGELOG.md: signed releases since 0.14.0).
The grafana chart installs ``id@version`` entries at start through ``GF_PLUGINS_PREINSTALL_SYNC``
(``charts/grafana/templates/_pod.tpl``)."""
PLUGIN_HOSTS: Final = ("grafana.com",)
"""Where Grafana downloads catalogue plugins (Grafana docs, "Install a plugin": grafana.com's plugin API)."""
FREE_FORM_VALUES: Final = (
    # Subchart values: Helm hands each map to the subchart, whose own values.yaml (charts/<name>/values.yaml
    # in the archive) declares its keys; the values check reads only the parent's. The rendered objects
    # are still validated strictly, checked for Pod Security and scanned by checkov.
    "grafana",
    "kube-state-metrics",
    "prometheus-node-exporter",
    # Prometheus Operator CRD fields passed through verbatim: checked against the CRD's schema where they land.
    "prometheus.prometheusSpec",
    "alertmanager.alertmanagerSpec",
)
"""Chart value maps whose keys the parent chart's values.yaml cannot judge (see the values check)."""

METRICS_RETENTION_DAYS: Final = {"dev": 7, "stg": 15, "prod": 30}
"""How long Prometheus keeps metrics: enough to compare a week (dev) or a month (prod) of behaviour.
Security events are kept far longer, in the log store (``Stage.audit_retention_days``)."""
METRICS_VOLUME_GIB: Final = {"dev": 20, "stg": 50, "prod": 100}
"""Prometheus's volume per replica; ``retentionSize`` stops it filling up before the days run out."""
_RUN_AS = {
    "runAsNonRoot": True,
    "runAsUser": 65534,
    "runAsGroup": 65534,
    "fsGroup": 65534,
    "seccompProfile": {"type": "RuntimeDefault"},
}
"""``nobody``: the uid the Prometheus and Alertmanager images run as; their data lives on the volume."""
_CONTAINER = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}


def resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, Any]:
    """Requests and limits for one container (checkov CKV_K8S_10 to 13)."""
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu_limit, "memory": memory_limit}}


def _volume(gib: int) -> dict[str, Any]:
    return {
        "volumeClaimTemplate": {
            "spec": {
                "storageClassName": STORAGE_CLASS,
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": f"{gib}Gi"}},
            }
        }
    }


def _control_plane(metrics: ControlPlaneMetrics) -> dict[str, Any]:
    """Scrape only the control-plane components this cloud exposes; their default alerts follow them."""
    return {
        "kubeControllerManager": {"enabled": metrics.controller_manager},
        "kubeScheduler": {"enabled": metrics.scheduler},
        "kubeEtcd": {"enabled": metrics.etcd},
        # Cilium replaces kube-proxy on every cloud (infrastructure/cilium.py): there is nothing to scrape.
        "kubeProxy": {"enabled": False},
    }


def _grafana(stage: Stage, admin_secret: str) -> dict[str, Any]:
    """Grafana: the generated admin, no anonymous or self sign-up, logs and metrics as data sources."""
    return {
        "replicas": 1,  # one replica: its SQLite database cannot be shared; it keeps no state worth a volume
        "admin": {"existingSecret": admin_secret, "userKey": "admin-user", "passwordKey": "admin-password"},
        "grafana.ini": {
            "auth.anonymous": {"enabled": False},
            "users": {"allow_sign_up": False, "allow_org_create": False},
            "security": {"cookie_secure": True, "disable_gravatar": True, "disable_initial_admin_creation": False},
            "analytics": {"reporting_enabled": False, "check_for_updates": False, "check_for_plugin_updates": False},
            "server": {"root_url": f"https://grafana.{stage.domain}"},
        },
        "plugins": [f"{LOG_DATASOURCE_PLUGIN}@{LOG_DATASOURCE_VERSION}"],
        "image": {"pullPolicy": "Always"},
        "resources": resources("50m", "128Mi", "500m", "512Mi"),
        # The sidecars load dashboards and data sources from ConfigMaps in this namespace alone: with a
        # namespaced Role, Grafana cannot read other namespaces' objects (the chart's ClusterRole would let it
        # read every Secret in the cluster: charts/grafana/templates/clusterrole.yaml).
        "rbac": {"namespaced": True},
        "sidecar": {
            "resources": resources("10m", "64Mi", "200m", "256Mi"),
            "imagePullPolicy": "Always",
            "securityContext": {"readOnlyRootFilesystem": True},
            "dashboards": {"searchNamespace": MONITORING, "resource": "configmap"},
            "datasources": {"resource": "configmap"},
        },
        "testFramework": {"enabled": False},
        "persistence": {"enabled": False},
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 10472,
            "runAsGroup": 10472,
            "fsGroup": 10472,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containerSecurityContext": {**_CONTAINER, "seccompProfile": {"type": "RuntimeDefault"}},
    }


def _log_datasource() -> list[dict[str, Any]]:
    return [
        {
            "name": "Logs",
            "type": LOG_DATASOURCE_PLUGIN,
            "access": "proxy",
            "url": f"http://{STORE_HOST}:{LOG_STORE_PORT}",
        }
    ]


def monitoring_values(
    stage: Stage,
    metrics: ControlPlaneMetrics,
    admin_secret: str = GRAFANA_ADMIN_SECRET,
    alerting: AlertingSettings | None = None,
) -> dict[str, Any]:
    """The chart values for one environment: retention, storage and replicas by environment, no open doors.

    ``alerting``: the receivers Alertmanager notifies (``agnostics/alerting.py``); none keeps the chart's routes.
    """
    env = stage.environment
    replicas = 1 if env == "dev" else 2
    days = METRICS_RETENTION_DAYS[env]
    gib = METRICS_VOLUME_GIB[env]
    grafana = _grafana(stage, admin_secret)
    grafana["additionalDataSources"] = _log_datasource()
    values = {
        "crds": {"enabled": True},
        **_control_plane(metrics),
        "prometheusOperator": {
            "resources": resources("50m", "128Mi", "500m", "512Mi"),
            "image": {"pullPolicy": "Always"},
            "prometheusConfigReloader": {"resources": resources("10m", "32Mi", "100m", "64Mi")},
            "admissionWebhooks": {
                "deployment": {"resources": resources("10m", "32Mi", "100m", "128Mi")},
                "patch": {
                    "resources": resources("10m", "32Mi", "100m", "128Mi"),
                    "image": {"pullPolicy": "Always"},
                    # A static binary that writes nothing locally: any uid above checkov's floor (CKV_K8S_40) serves.
                    "securityContext": {"runAsUser": 65534, "runAsGroup": 65534},
                },
            },
        },
        "prometheus": {
            "podDisruptionBudget": {"enabled": replicas > 1},
            "prometheusSpec": {
                "replicas": replicas,
                "retention": f"{days}d",
                # Drop the oldest blocks before the volume is full (a full volume stops ingestion altogether).
                "retentionSize": f"{int(gib * 0.85)}GB",
                "storageSpec": _volume(gib),
                "resources": resources("200m", "1Gi", "2", "4Gi"),
                "securityContext": _RUN_AS,
                "podMetadata": {"labels": {"k8tre.io/component": "prometheus"}},
            },
        },
        "alertmanager": {
            "podDisruptionBudget": {"enabled": replicas > 1},
            "alertmanagerSpec": {
                "replicas": replicas,
                "retention": "120h",
                "storage": _volume(2),
                "resources": resources("10m", "64Mi", "200m", "256Mi"),
                "securityContext": _RUN_AS,
            },
        },
        "grafana": grafana,
        "kube-state-metrics": {
            "image": {"pullPolicy": "Always"},
            "resources": resources("20m", "64Mi", "500m", "512Mi"),
            "automountServiceAccountToken": True,  # it lists every object it reports on
        },
        "prometheus-node-exporter": {
            # Its own namespace, so the host access it needs weakens nothing else (observability_network).
            "namespaceOverride": NODES,
            "image": {"pullPolicy": "Always"},
            "resources": resources("10m", "32Mi", "200m", "128Mi"),
            # It reads /proc and /sys as `nobody`: host namespaces, yes; privileges or capabilities, none.
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "containerSecurityContext": _CONTAINER,
        },
    }
    routing = alertmanager_config(alerting or AlertingSettings())
    if routing is not None:
        values["alertmanager"]["config"] = routing
        spec = values["alertmanager"]["alertmanagerSpec"]
        spec["secrets"] = [RECEIVER_SECRET]
        spec["podMetadata"] = {"annotations": {RECEIVERS_ANNOTATION: ",".join(endpoints(alerting or AlertingSettings()))}}
    return values
