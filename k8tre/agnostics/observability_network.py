"""Where observability runs and who may talk to whom: namespaces, pod labels, policies and declared flows.

Three namespaces, so that what each holds is reachable only by what needs it:

- ``monitoring`` (Pod Security ``restricted``): the Prometheus Operator, Prometheus,
  Alertmanager, Grafana, kube-state-metrics and OpenCost;
- ``logging`` (``restricted``): the log store, written only by the node collectors and
  read only by Grafana, so no workload can read or rewrite the security record;
- ``monitoring-nodes`` (``privileged``, with its reason): the per-node agents that must see
  the host (node-exporter, the log collector).

Each policy is plain data; ``observability_flows`` declares what must be allowed and what
must stay denied, and the flow matrix judges both against the rendered policies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from ..flows.expect import Expect, FlowContext, PodsOf, allow, deny
from ..flows.model import Entity, Pod
from .network_policy import NAMESPACE_LABEL, dns_egress_rule

MONITORING: Final = "monitoring"
LOGGING: Final = "logging"
NODES: Final = "monitoring-nodes"
NODES_POD_SECURITY_REASON: Final = (
    "node-exporter reads the host's metrics through its network and PID namespaces and /proc, /sys and / "
    "mounted from the host; fluent-bit tails container logs and Cilium's Hubble flow log from host paths. "
    "Baseline forbids host namespaces and hostPath volumes (Pod Security Standards), so these agents live "
    "here alone and every other observability pod stays restricted."
)
"""Why ``monitoring-nodes`` enforces ``privileged`` (kept on the namespace, read by the Pod Security check)."""

NAME: Final = "app.kubernetes.io/name"
PROMETHEUS: Final = {NAME: "prometheus"}
"""Prometheus pods, labelled by the Prometheus Operator (prometheus-operator ``pkg/prometheus``: the
StatefulSet's pods carry ``app.kubernetes.io/name: prometheus``)."""
ALERTMANAGER: Final = {NAME: "alertmanager"}
"""Alertmanager pods, labelled by the operator the same way (``pkg/alertmanager``)."""
GRAFANA: Final = {NAME: "grafana"}
"""Grafana's pods (grafana chart, ``grafana.selectorLabels`` in ``templates/_helpers.tpl``)."""
OPERATOR: Final = {"app": "kube-prometheus-stack-operator"}
"""The operator's pods (kube-prometheus-stack ``templates/prometheus-operator/deployment.yaml``)."""
KUBE_STATE_METRICS: Final = {NAME: "kube-state-metrics"}
FLUENT_BIT: Final = {NAME: "fluent-bit"}
"""The log collector's pods (fluent-bit chart, ``fluent-bit.selectorLabels``)."""
LOG_STORE: Final = {NAME: "victoria-logs-single"}
"""VictoriaLogs' pods (victoria-metrics-common ``vm.selectorLabels``: the chart's name)."""
OPENCOST: Final = {NAME: "opencost"}

PROMETHEUS_PORT: Final = 9090
ALERTMANAGER_PORT: Final = 9093
GRAFANA_PORT: Final = 3000
OPERATOR_PORT: Final = 10250
"""The operator's ``https`` port: its admission webhook and its metrics."""
KUBE_STATE_METRICS_PORT: Final = 8080
NODE_EXPORTER_PORT: Final = 9100
KUBELET_PORT: Final = 10250
FLUENT_BIT_PORT: Final = 2020
LOG_STORE_PORT: Final = 9428
"""VictoriaLogs' one HTTP port: ingestion, queries and its own metrics."""
OPENCOST_PORT: Final = 9003
STORE_HOST: Final = f"victoria-logs-victoria-logs-single-server.{LOGGING}.svc.cluster.local"
"""The store's Service (victoria-logs-single ``templates/server/service.yaml``: ``<fullname>-server``
for the release ``victoria-logs``)."""
COREDNS_METRICS_PORT: Final = 9153
CONTROL_PLANE_PORTS: Final = {"controller_manager": 10257, "scheduler": 10259, "etcd": 2381}
"""Metrics ports of the control-plane components (kube-prometheus-stack ``kubeControllerManager``,
``kubeScheduler`` and ``kubeEtcd`` service defaults)."""
NODE_ENTITIES: Final = ["host", "remote-node"]
"""Cilium's identities for a node's own addresses: where hostNetwork pods (node-exporter) and the kubelet answer."""


def _tcp(*ports: int) -> list[dict[str, Any]]:
    return [{"ports": [{"port": str(port), "protocol": "TCP"} for port in ports]}]


def _pods(namespace: str, labels: Mapping[str, str]) -> dict[str, Any]:
    return {"matchLabels": {NAMESPACE_LABEL: namespace, **labels}}


def _policy(namespace: str, name: str, subject: Mapping[str, str], why: str, **rules: Any) -> dict[str, Any]:
    return {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumNetworkPolicy",
        "metadata": {"name": name, "namespace": namespace, "labels": {"k8tre.io/policy": "service"}},
        "spec": {"description": why, "endpointSelector": {"matchLabels": dict(subject)}, **rules},
    }


def prometheus_scrape_policy(control_plane_ports: Sequence[int]) -> dict[str, Any]:
    """Prometheus's egress to each scrape target outside its namespace, and nothing else.

    Node-exporter (host network) and the kubelet answer on the nodes' own addresses; CoreDNS
    in kube-system; the log collector and the log store in their namespaces. Control-plane
    ports only where the cloud lets them be reached (``ControlPlaneMetrics``).
    """
    egress = [
        {"toEntities": NODE_ENTITIES, "toPorts": _tcp(NODE_EXPORTER_PORT, KUBELET_PORT, *control_plane_ports)},
        {"toEndpoints": [_pods("kube-system", {"k8s:k8s-app": "kube-dns"})], "toPorts": _tcp(COREDNS_METRICS_PORT)},
        {"toEndpoints": [_pods(NODES, FLUENT_BIT)], "toPorts": _tcp(FLUENT_BIT_PORT)},
        {"toEndpoints": [_pods(LOGGING, LOG_STORE)], "toPorts": _tcp(LOG_STORE_PORT)},
    ]
    return _policy(MONITORING, "prometheus-scrape", PROMETHEUS, "Prometheus reaches its scrape targets", egress=egress)


def grafana_policy(plugin_hosts: Sequence[str]) -> dict[str, Any]:
    """Grafana's egress beyond its namespace: the log store's query API and the plugin catalogue."""
    egress: list[dict[str, Any]] = [{"toEndpoints": [_pods(LOGGING, LOG_STORE)], "toPorts": _tcp(LOG_STORE_PORT)}]
    if plugin_hosts:
        egress.append(dns_egress_rule(plugin_hosts))
        egress.append({"toFQDNs": [{"matchName": host} for host in plugin_hosts], "toPorts": _tcp(443)})
    return _policy(MONITORING, "grafana-egress", GRAFANA, "Grafana queries the log store", egress=egress)


def log_store_ingress_policy() -> dict[str, Any]:
    """Who reaches the log store: the collectors (write), Grafana (read), Prometheus (metrics); no one else."""
    sources = [_pods(NODES, FLUENT_BIT), _pods(MONITORING, GRAFANA), _pods(MONITORING, PROMETHEUS)]
    ingress = [{"fromEndpoints": sources, "toPorts": _tcp(LOG_STORE_PORT)}]
    return _policy(
        LOGGING, "log-store-clients", LOG_STORE, "collectors write, Grafana reads, Prometheus scrapes", ingress=ingress
    )


def collector_policy() -> dict[str, Any]:
    """The log collector's egress to the store, and Prometheus's scrape of the collector."""
    return _policy(
        NODES,
        "fluent-bit-store",
        FLUENT_BIT,
        "fluent-bit ships to the log store; Prometheus scrapes it",
        egress=[{"toEndpoints": [_pods(LOGGING, LOG_STORE)], "toPorts": _tcp(LOG_STORE_PORT)}],
        ingress=[{"fromEndpoints": [_pods(MONITORING, PROMETHEUS)], "toPorts": _tcp(FLUENT_BIT_PORT)}],
    )


def operator_pods(objects: Sequence[Mapping[str, Any]], namespaces: Mapping[str, Mapping[str, str]]) -> list[Pod]:
    """The pods the Prometheus Operator starts at run time for each rendered Prometheus and Alertmanager.

    The chart renders only the custom resources; the operator makes their StatefulSets, whose
    pods carry ``app.kubernetes.io/name`` of their kind plus the resource's ``podMetadata`` labels.
    """
    pods = []
    for obj in objects:
        kind = obj.get("kind")
        if kind not in ("Prometheus", "Alertmanager") or not str(obj.get("apiVersion", "")).startswith("monitoring.coreos.com/"):
            continue
        namespace = obj["metadata"].get("namespace", MONITORING)
        extra = ((obj.get("spec") or {}).get("podMetadata") or {}).get("labels") or {}
        labels = {**extra, NAME: kind.lower(), "app.kubernetes.io/managed-by": "prometheus-operator"}
        port = PROMETHEUS_PORT if kind == "Prometheus" else ALERTMANAGER_PORT
        pods.append(
            Pod(
                name=f"{obj['metadata']['name']}-0",
                namespace=namespace,
                labels=labels,
                namespace_labels=dict(namespaces.get(namespace, {})),
                ports={"http-web": port, "web": port},
                origin="runtime (prometheus-operator)",
            )
        )
    return pods


def observability_flows(context: FlowContext) -> list[Expect]:
    """What observability needs, and what must stay closed (nothing published, logs out of workloads' reach)."""
    prometheus = PodsOf(MONITORING, PROMETHEUS, "prometheus")
    grafana = PodsOf(MONITORING, GRAFANA, "grafana")
    store = PodsOf(LOGGING, LOG_STORE, "log store")
    collector = PodsOf(NODES, FLUENT_BIT, "fluent-bit")
    operator = PodsOf(MONITORING, OPERATOR, "prometheus-operator")
    flows = [
        allow(prometheus, Entity("kube-apiserver"), 443, "scrape the API server and discover targets"),
        allow(prometheus, Entity("remote-node"), NODE_EXPORTER_PORT, "scrape node-exporter (host network)"),
        allow(prometheus, Entity("remote-node"), KUBELET_PORT, "scrape the kubelet and cAdvisor"),
        allow(prometheus, PodsOf(MONITORING, ALERTMANAGER, "alertmanager"), ALERTMANAGER_PORT, "send alerts"),
        allow(prometheus, PodsOf(MONITORING, KUBE_STATE_METRICS, "kube-state-metrics"), KUBE_STATE_METRICS_PORT, "scrape"),
        allow(prometheus, PodsOf(MONITORING, OPENCOST, "opencost"), OPENCOST_PORT, "scrape cost metrics"),
        allow(prometheus, collector, FLUENT_BIT_PORT, "scrape the log pipeline (alert when logs stop)"),
        allow(prometheus, store, LOG_STORE_PORT, "scrape the log store"),
        allow(prometheus, PodsOf("kube-system", {"k8s-app": "kube-dns"}, "kube-dns"), COREDNS_METRICS_PORT, "scrape CoreDNS"),
        allow(PodsOf(MONITORING, OPENCOST, "opencost"), prometheus, PROMETHEUS_PORT, "OpenCost reads usage from Prometheus"),
        allow(grafana, prometheus, PROMETHEUS_PORT, "dashboards query metrics"),
        allow(grafana, store, LOG_STORE_PORT, "operators review logs"),
        allow(collector, store, LOG_STORE_PORT, "ship logs and denied flows"),
        allow(collector, Entity("kube-apiserver"), 443, "pod metadata for each log line"),
        allow(Entity("kube-apiserver"), operator, OPERATOR_PORT, "the API server calls the operator's admission webhook"),
        deny(Entity("ingress"), grafana, GRAFANA_PORT, "Grafana is not published until SSO with MFA fronts it"),
        deny(Entity("ingress"), prometheus, PROMETHEUS_PORT, "Prometheus is not published"),
        deny(Entity("ingress"), store, LOG_STORE_PORT, "the log store is not published"),
        deny(
            PodsOf(MONITORING, KUBE_STATE_METRICS, "kube-state-metrics"),
            store,
            LOG_STORE_PORT,
            "only named clients reach the logs",
        ),
        # kube-system is outside the default deny, so there the store's own ingress policy is all that keeps others out.
        deny(PodsOf("kube-system", {}, "kube-system pods"), store, LOG_STORE_PORT, "only named clients reach the logs"),
    ]
    for project in context.projects:
        workload = PodsOf(project.namespace, {}, f"{project.namespace} workloads")
        flows += [
            deny(workload, store, LOG_STORE_PORT, "a project can neither read nor rewrite the security record"),
            deny(workload, prometheus, PROMETHEUS_PORT, "a project cannot read the platform's metrics"),
            deny(workload, grafana, GRAFANA_PORT, "a project cannot reach the operators' dashboards"),
        ]
    return flows
