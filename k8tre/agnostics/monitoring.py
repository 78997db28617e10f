"""Monitoring: kube-prometheus-stack (Prometheus, Alertmanager, Grafana, kube-state-metrics, node-exporter).

Grafana is not published through the Gateway: until SSO with MFA fronts it (the identity
service), its only account is a shared break-glass admin, and SATRE asks that operators'
access be individual and strongly authenticated (3.2.01). Operators reach it with
``kubectl port-forward``, which the API server authenticates and authorises per person.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from ..config import SecretRef
from ..config.alerting import AlertingSettings
from ..helm import helm_release
from ..infrastructure import Cluster, ControlPlaneMetrics
from ..manifest import custom_object
from ..namespace import platform_namespace
from ..stage import Stage
from ..versions import ChartPin
from .alerting import RECEIVER_SECRET, alertmanager_policy, receivers
from .catalogue import Render, ServiceEntry, kinds, releases
from .generated_secret import generated_secret
from .monitoring_values import GRAFANA_ADMIN_SECRET, PLUGIN_HOSTS, RELEASE, monitoring_values
from .network_policy import opening, service_policy
from .observability_network import (
    CONTROL_PLANE_PORTS,
    MONITORING,
    NODES,
    NODES_POD_SECURITY_REASON,
    OPERATOR,
    OPERATOR_PORT,
    grafana_policy,
    prometheus_scrape_policy,
)
from .provided_secret import provided_secret


def _monitoring_variant(render: Render) -> str:
    """What the render scrapes of the control plane, and how long it keeps metrics."""
    described = []
    for release in releases(render, "kube-prometheus-stack"):
        values = release.get("values") or {}
        spec = (values.get("prometheus") or {}).get("prometheusSpec") or {}
        scraped = [
            key for key in ("kubeControllerManager", "kubeScheduler", "kubeEtcd") if (values.get(key) or {}).get("enabled")
        ]
        plane = ", ".join(scraped) if scraped else "none (managed or loopback-bound)"
        described.append(
            f"Prometheus x{spec.get('replicas', 1)}, metrics {spec.get('retention', '?')}; control plane scraped: {plane}"
        )
    published = any(
        r["spec"]["hostnames"][0].startswith("grafana.") for r in kinds(render, "HTTPRoute") if r["spec"].get("hostnames")
    )
    routed = [
        f"{r['name']} by {', '.join(k.removesuffix('_configs') for k in r if k.endswith('_configs'))}"
        for release in releases(render, "kube-prometheus-stack")
        for r in (((release.get("values") or {}).get("alertmanager") or {}).get("config") or {}).get("receivers") or []
        if r.get("name") != "null"
    ]
    alerts = f"; alerts to {', '.join(routed)}" if routed else "; alerts not sent (no receiver)"
    return "; ".join(described) + alerts + ("; Grafana published" if published else "; Grafana not published")


ENTRY = ServiceEntry(
    name="Monitoring",
    gives="metrics, alerts and dashboards for the platform and every project namespace (Prometheus, Alertmanager, Grafana)",
    charts=("kube-prometheus-stack",),
    flows="Prometheus to each scrape target (nodes 9100/10250, CoreDNS, collectors, log store); Grafana to Prometheus and the "
    "log store; API server to the operator's webhook; nothing from the Gateway",
    variant=_monitoring_variant,
)


class Monitoring(pulumi.ComponentResource):
    """kube-prometheus-stack in ``monitoring``, node-exporter in ``monitoring-nodes``, both under default deny."""

    namespace: str
    """Where Prometheus and Grafana run."""
    namespace_resource: k8s.core.v1.Namespace
    """The ``monitoring`` namespace (OpenCost installs into it)."""
    nodes_namespace: k8s.core.v1.Namespace
    """The namespace of the per-node agents (the log collector runs there too)."""
    release: k8s.helm.v3.Release
    """The chart release: its CRDs (ServiceMonitor) exist once it is installed."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        pin: ChartPin,
        stage: Stage,
        opts: pulumi.ResourceOptions | None = None,
        *,
        alerting: AlertingSettings | None = None,
        receiver_secrets: Mapping[str, SecretRef | None] | None = None,
    ) -> None:
        """``alerting`` and ``receiver_secrets`` (role -> stack secret): where Alertmanager sends alerts."""
        super().__init__("k8tre:agnostics:Monitoring", name, None, opts)
        alerting = alerting or AlertingSettings()
        namespace = platform_namespace(f"{name}-ns", MONITORING, cluster, self, layer="agnostics")
        self.nodes_namespace = platform_namespace(
            f"{name}-nodes-ns",
            NODES,
            cluster,
            self,
            layer="agnostics",
            pod_security="privileged",
            pod_security_reason=NODES_POD_SECURITY_REASON,
        )
        self.namespace = MONITORING
        self.namespace_resource = namespace
        admin = generated_secret(
            f"{name}-grafana-admin",
            secret_name=GRAFANA_ADMIN_SECRET,
            namespace=MONITORING,
            keys=("admin-user", "admin-password"),
            cluster=cluster,
            parent=self,
            depends_on=[namespace],
        )
        metrics = cluster.platform.control_plane_metrics
        values: dict[str, Any] = monitoring_values(stage, metrics, admin.name, alerting)
        secrets = [admin.ready]
        if receivers(alerting):
            secrets.append(self._receiver_secret(name, cluster, alerting, receiver_secrets or {}, namespace))
        self.release = helm_release(
            f"{name}-release",
            release_name=RELEASE,
            pin=pin,
            namespace=namespace.metadata.name,
            values=values,
            # Prometheus keeps the metrics history on its volumes: protected in prod.
            opts=stage.stateful(cluster.opts(self, depends_on=[*secrets, self.nodes_namespace])),
        )
        self._policies(name, cluster, [namespace, self.nodes_namespace], metrics)
        if receivers(alerting):
            targets = [(r.host, r.port) for r in receivers(alerting).values()]
            custom_object(f"{name}-alertmanager-policy", alertmanager_policy(targets), cluster, self, depends_on=[namespace])
        self.register_outputs({"namespace": self.namespace})

    def _receiver_secret(
        self,
        name: str,
        cluster: Cluster,
        alerting: AlertingSettings,
        secrets: Mapping[str, SecretRef | None],
        namespace: k8s.core.v1.Namespace,
    ) -> pulumi.Resource:
        """Each receiver's URL or password, from its stack secret, through the secret store (never in values)."""
        values = {}
        for role in receivers(alerting):
            ref = secrets.get(role)
            if ref is None:  # the config rules refuse this first; guard the contract anyway
                raise ValueError(f"agnostics.alerting.{role} needs k8tre:alerting{role.capitalize()}Secret")
            values[role] = ref.output()
        delivered = provided_secret(
            f"{name}-alert-receivers",
            secret_name=RECEIVER_SECRET,
            namespace=MONITORING,
            values=values,
            cluster=cluster,
            parent=self,
            depends_on=[namespace],
        )
        return delivered.ready

    def _policies(
        self, name: str, cluster: Cluster, namespaces: list[k8s.core.v1.Namespace], metrics: ControlPlaneMetrics
    ) -> None:
        """Under default deny: the API server, each scrape target, Grafana's sources, the operator's webhook."""
        plane = [port for component, port in CONTROL_PLANE_PORTS.items() if getattr(metrics, component)]
        objects = {
            "policy": service_policy(MONITORING, "monitoring", api_server=True),
            # node-exporter runs in the host's network namespace, out of any pod policy's reach; the
            # namespace's other pods (the log collector) get their own policy from the log service.
            "scrape-policy": prometheus_scrape_policy(plane),
            "grafana-policy": grafana_policy(PLUGIN_HOSTS),
            "webhook-policy": opening(
                MONITORING,
                "prometheus-operator-webhook",
                OPERATOR,
                "kube-apiserver",
                OPERATOR_PORT,
                "the API server calls the webhook",
            ),
        }
        for part, obj in objects.items():
            custom_object(f"{name}-{part}", obj, cluster, self, depends_on=namespaces)
