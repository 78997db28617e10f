"""Per-project cost visibility: OpenCost allocating the cluster's cost to namespaces, read from Prometheus.

Each research project is a namespace ``project-<name>``, so OpenCost's allocation by
namespace is the cost per project (OpenCost docs, "Allocation API": ``aggregate=namespace``).
Prices come from a custom pricing model rather than the clouds' pricing APIs: under the
default deny OpenCost reaches nothing outside the cluster, and the rates an organisation
pays (reserved, negotiated) are not the list prices those APIs return.
"""

from __future__ import annotations

from typing import Any, Final

import pulumi

from ..config.costs import OPENCOST_DEFAULTS, PriceSheet
from ..helm import helm_release
from ..infrastructure import Cluster
from ..manifest import custom_object
from ..stage import Stage
from ..versions import ChartPin
from .catalogue import Render, ServiceEntry, releases
from .monitoring_values import RELEASE as MONITORING_RELEASE
from .monitoring_values import resources
from .observability_network import MONITORING, OPENCOST, PROMETHEUS_PORT

RELEASE: Final = "opencost"
FREE_FORM_VALUES: Final = ("opencost.exporter.resources", "opencost.exporter.securityContext", "podSecurityContext")
"""OpenCost's Kubernetes objects passed through with toYaml (``templates/deployment.yaml``): a resource
list and security contexts, checked strictly where they land."""
UID: Final = 10001
"""The uid OpenCost runs as, above checkov's floor of 10000 (CKV_K8S_40): a static Go binary that
writes nothing outside the temporary volume the chart mounts for its pricing configuration."""


HOURS_PER_MONTH: Final = 730
"""OpenCost prices storage per GiB-hour; the sheet per GiB-month (730 hours, the clouds' billing month)."""


def cost_model(prices: PriceSheet) -> dict[str, str]:
    """The chart's ``customPricing.costModel`` from a price sheet (OpenCost's keys; strings, as its pricing file has)."""
    return {
        "description": "K8TRE price sheet (k8tre:agnostics.costs.prices)",
        "CPU": f"{prices.cpu_core_hour:g}",
        "RAM": f"{prices.ram_gib_hour:g}",
        "GPU": f"{prices.gpu_hour:g}",
        "storage": f"{prices.storage_gib_month / HOURS_PER_MONTH:.10g}",
        # Spot prices are not told apart: the platform's node pools are on-demand.
        "spotCPU": f"{prices.cpu_core_hour:g}",
        "spotRAM": f"{prices.ram_gib_hour:g}",
    }


def opencost_values(stage: Stage, prices: PriceSheet | None = None) -> dict[str, Any]:
    """OpenCost's exporter only: no UI, no MCP server, no cloud pricing calls; Prometheus as its source.

    Prices come from the stack's sheet (``k8tre:agnostics.costs.prices``), else OpenCost's own defaults.
    """
    container = {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
    }
    return {
        "clusterName": stage.slug,
        "podSecurityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}, "fsGroup": UID},
        "opencost": {
            "exporter": {
                "defaultClusterId": stage.slug,
                "image": {"pullPolicy": "Always"},
                "resources": resources("10m", "128Mi", "500m", "1Gi"),
                "securityContext": container,
            },
            # The MCP server answers AI agents' questions about costs: nothing in a TRE should ask it.
            "mcp": {"enabled": False},
            # The exporter's API serves Grafana and operators (port-forward); a second web server adds nothing.
            "ui": {"enabled": False},
            "customPricing": {"enabled": True, "costModel": cost_model(prices or OPENCOST_DEFAULTS)},
            "prometheus": {
                "internal": {
                    "enabled": True,
                    "serviceName": f"{MONITORING_RELEASE}-prometheus",
                    "namespaceName": MONITORING,
                    "port": PROMETHEUS_PORT,
                }
            },
        },
    }


def service_monitor(name: str, namespace: str, selector: dict[str, str], port: str) -> dict[str, Any]:
    """A ServiceMonitor Prometheus picks up (kube-prometheus-stack selects its own ``release`` label by default)."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": name, "namespace": namespace, "labels": {"release": MONITORING_RELEASE}},
        "spec": {
            "selector": {"matchLabels": selector},
            "namespaceSelector": {"matchNames": [namespace]},
            "endpoints": [{"port": port, "interval": "60s"}],
        },
    }


def _costs_variant(render: Render) -> str:
    """Where OpenCost's prices come from, as rendered."""
    described = []
    for release in releases(render, "opencost"):
        custom = ((release.get("values") or {}).get("opencost") or {}).get("customPricing", {})
        model = custom.get("costModel") or {}
        sheet = f"CPU {model.get('CPU')}/core-h, RAM {model.get('RAM')}/GiB-h" if model else "chart placeholder prices"
        described.append(f"OpenCost, price sheet: {sheet}" if custom.get("enabled") else "OpenCost, cloud list prices")
    return "; ".join(described)


ENTRY = ServiceEntry(
    name="Costs",
    gives="cost per project namespace (OpenCost allocation API), from Prometheus's usage metrics",
    charts=("opencost",),
    flows="OpenCost to Prometheus and the API server; Prometheus scrapes OpenCost; no egress outside the cluster",
    variant=_costs_variant,
)


class Costs(pulumi.ComponentResource):
    """OpenCost in ``monitoring``, scraped by and reading from the platform's Prometheus."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        pin: ChartPin,
        stage: Stage,
        namespace: pulumi.Resource,
        crds: pulumi.Resource,
        opts: pulumi.ResourceOptions | None = None,
        *,
        prices: PriceSheet | None = None,
    ) -> None:
        """``prices``: the stack's price sheet (None: OpenCost's defaults)."""
        super().__init__("k8tre:agnostics:Costs", name, None, opts)
        # Into the monitoring namespace, whose policy already lets it reach Prometheus and the API server.
        # It waits for the namespace alone: Prometheus need not run for OpenCost to install (it retries).
        self.release = helm_release(
            f"{name}-release",
            release_name=RELEASE,
            pin=pin,
            namespace=MONITORING,
            values=opencost_values(stage, prices),
            opts=cluster.opts(self, depends_on=[namespace]),
        )
        monitor = service_monitor("opencost", MONITORING, dict(OPENCOST), "http")
        # The ServiceMonitor kind exists once kube-prometheus-stack has installed its CRDs.
        custom_object(f"{name}-monitor", monitor, cluster, self, depends_on=[crds])
        self.register_outputs({"release": RELEASE})
