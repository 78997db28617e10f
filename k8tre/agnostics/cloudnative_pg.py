"""CloudNativePG: the Postgres operator, and the Barman Cloud plugin that backs its clusters up to object storage.

Applications declare their databases with :mod:`k8tre.agnostics.postgres`; this module runs the
machinery those declarations need. Both charts go in ``cnpg-system``: the plugin must share the
operator's namespace, which finds it by its Service there (plugin-barman-cloud docs, "Installation").
"""

from __future__ import annotations

from typing import Any

import pulumi

from ..flows.expect import Expect, FlowContext, PodsOf, allow, deny
from ..flows.model import Entity
from ..helm import helm_release
from ..infrastructure import Cluster
from ..manifest import custom_object
from ..namespace import platform_namespace
from ..stage import Stage
from ..versions import ChartPin
from .catalogue import Render, ServiceEntry, releases
from .network_policy import NAMESPACE_LABEL, opening, service_policy

NAMESPACE = "cnpg-system"
OPERATOR_LABELS = {"app.kubernetes.io/name": "cloudnative-pg"}
"""The operator pod's labels (cloudnative-pg chart, ``cloudnative-pg.selectorLabels``)."""
PLUGIN_LABELS = {"app.kubernetes.io/name": "plugin-barman-cloud"}
"""The plugin pod's labels (plugin-barman-cloud chart, ``plugin-barman-cloud.selectorLabels``)."""
WEBHOOK_PORT = 9443
"""The operator's admission webhook (chart value ``webhook.port``)."""
PLUGIN_PORT = 9090
"""The plugin's gRPC port the operator calls, over mutual TLS (chart value ``service.port``)."""
STATUS_PORT = 8000
"""Each Postgres instance's status endpoint the operator polls (CloudNativePG docs, "Security", network ports)."""
POSTGRES_PORT = 5432
INSTANCE_LABELS = {"cnpg.io/podRole": "instance"}
"""The label CloudNativePG puts on every Postgres instance pod (CloudNativePG docs, "Labels and annotations")."""
TO_INSTANCES_ANYWHERE = {
    "toEndpoints": [
        {
            "matchLabels": {f"k8s:{k}": v for k, v in INSTANCE_LABELS.items()},
            "matchExpressions": [{"key": NAMESPACE_LABEL, "operator": "Exists"}],
        }
    ],
    "toPorts": [{"ports": [{"port": str(STATUS_PORT), "protocol": "TCP"}]}],
}
"""Egress from the operator to the status port of instance pods in any namespace: an endpoint selector in a
namespaced policy matches its own namespace only unless it names the namespace label (Cilium docs,
"Layer 3 examples", namespaces)."""
FREE_FORM_VALUES = ("resources", "containerSecurityContext", "podSecurityContext")
"""Kubernetes objects the charts pass through with toYaml: their keys are Kubernetes fields."""


def _resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, Any]:
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu_limit, "memory": memory_limit}}


def operator_values(stage: Stage) -> dict[str, Any]:
    """The operator: two replicas (leader election) outside dev, cluster-wide, bounded resources.

    The chart's security contexts already run as uid 10001, non-root, read-only root, no privilege
    escalation, drop ALL and RuntimeDefault seccomp (values.yaml); the operator's memory grows with the
    number of clusters it watches (CloudNativePG docs, "Operator capability levels", resources).
    """
    return {
        "replicaCount": 1 if stage.environment == "dev" else 2,
        "image": {"pullPolicy": "Always"},
        "resources": _resources("50m", "128Mi", "500m", "512Mi"),
        "config": {"clusterWide": True},
        "monitoring": {"podMonitorEnabled": False},
    }


def plugin_values() -> dict[str, Any]:
    """The Barman Cloud plugin: one replica (the chart supports only the Recreate strategy), bounded resources."""
    return {
        "image": {"pullPolicy": "Always"},
        "resources": _resources("20m", "64Mi", "250m", "256Mi"),
    }


def cloudnative_pg_flows(context: FlowContext) -> list[Expect]:
    """The operator and plugin: API server both ways, operator to plugin; nothing reachable from the Gateway."""
    operator = PodsOf(NAMESPACE, OPERATOR_LABELS, "cloudnative-pg operator")
    plugin = PodsOf(NAMESPACE, PLUGIN_LABELS, "barman-cloud plugin")
    return [
        allow(operator, Entity("kube-apiserver"), 443, "the operator reconciles Postgres clusters"),
        allow(Entity("kube-apiserver"), operator, WEBHOOK_PORT, "the API server calls the operator's webhooks"),
        allow(operator, plugin, PLUGIN_PORT, "the operator drives backups through the plugin (mTLS gRPC)"),
        allow(plugin, Entity("kube-apiserver"), 443, "the plugin reads ObjectStores and writes backup status"),
        deny(Entity("ingress"), operator, WEBHOOK_PORT, "the webhook is not published"),
        deny(Entity("ingress"), plugin, PLUGIN_PORT, "the plugin is not published"),
    ]


def _variant(render: Render) -> str:
    found = [r["chart"] for chart in ("cloudnative-pg", "plugin-barman-cloud") for r in releases(render, chart)]
    return ", ".join(found) + " in cnpg-system" if found else ""


ENTRY = ServiceEntry(
    name="CloudNativePG",
    gives="Postgres clusters declared by applications (`k8tre.agnostics.postgres`), backed up by the Barman Cloud plugin",
    charts=("cloudnative-pg", "plugin-barman-cloud"),
    flows="API server both ways (webhook); operator to the plugin and to instances' status port in any namespace",
    variant=_variant,
)


class CloudNativePg(pulumi.ComponentResource):
    """The CloudNativePG operator and the Barman Cloud plugin, in ``cnpg-system`` under default deny."""

    namespace: str
    """Where the operator runs (instances' policies admit it from here)."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        operator_pin: ChartPin,
        plugin_pin: ChartPin,
        stage: Stage,
        cert_manager: pulumi.Resource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:agnostics:CloudNativePg", name, None, opts)
        namespace = platform_namespace(f"{name}-ns", NAMESPACE, cluster, self, layer="agnostics")
        self.namespace = NAMESPACE
        self.operator = helm_release(
            f"{name}-operator",
            release_name="cnpg",
            pin=operator_pin,
            namespace=namespace.metadata.name,
            values=operator_values(stage),
            opts=cluster.opts(self),
        )
        # The plugin's CRDs are its own; its certificates come from cert-manager, and it registers with the operator.
        self.plugin = helm_release(
            f"{name}-barman-cloud",
            release_name="barman-cloud",
            pin=plugin_pin,
            namespace=namespace.metadata.name,
            values=plugin_values(),
            opts=cluster.opts(self, depends_on=[self.operator, cert_manager]),
        )
        policy = service_policy(NAMESPACE, "cloudnative-pg", api_server=True, extra_egress=[TO_INSTANCES_ANYWHERE])
        custom_object(f"{name}-policy", policy, cluster, self, depends_on=[namespace])
        why = "the API server calls the operator's admission webhooks"
        webhook = opening(NAMESPACE, "cnpg-webhook", OPERATOR_LABELS, "kube-apiserver", WEBHOOK_PORT, why)
        custom_object(f"{name}-webhook-policy", webhook, cluster, self, depends_on=[namespace])
        self.register_outputs({"namespace": NAMESPACE})
