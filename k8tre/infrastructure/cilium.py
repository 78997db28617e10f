"""Cilium, installed by Helm into a cluster that has no CNI: kube-proxy replacement, L7, Gateway API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from ..config.common import CiliumSettings, PodNetwork
from ..helm import helm_release
from ..stage import Stage
from ..versions import ChartPin
from .cluster import ProvisionedCluster

FREE_FORM_VALUES = (
    "hubble.relay.securityContext",
    "hubble.ui.securityContext",
    "hubble.ui.frontend.securityContext",
    "hubble.ui.backend.securityContext",
    "secretsNamespaceLabels",
    "egressMasqueradeInterfaces",
)
"""Chart value maps that are Kubernetes objects passed through with toYaml: (Pod)SecurityContexts
(templates/hubble-relay/deployment.yaml, templates/hubble-ui/deployment.yaml) and the secrets
namespace's labels (templates/cilium-secrets-namespace.yaml). Their keys are Kubernetes fields or
label names, not chart keys, and are checked strictly where they land (the rendered objects' schema
validation). ``egressMasqueradeInterfaces`` (ENI mode on EKS) is a key values.yaml documents only in a comment,
which templates/cilium-configmap.yaml reads (``hasKey .Values "egressMasqueradeInterfaces"``)."""


def _resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> dict[str, Any]:
    """Requests and limits for one container (checkov CKV_K8S_10 to 13)."""
    return {"requests": {"cpu": cpu, "memory": memory}, "limits": {"cpu": cpu_limit, "memory": memory_limit}}


HUBBLE_UI_UID = 10001
"""The uid Hubble UI runs as, above checkov's floor of 10000 (CKV_K8S_40) instead of the chart's 1001.
Its frontend is an unprivileged nginx that keeps its pid and temporary files in the /tmp volume the
chart mounts (templates/hubble-ui/deployment.yaml), and its backend is a static Go binary."""
_UI_CONTAINER = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
}
_HUBBLE_UI = {
    "securityContext": {
        "runAsUser": HUBBLE_UI_UID,
        "runAsGroup": HUBBLE_UI_UID,
        "fsGroup": HUBBLE_UI_UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "frontend": {"securityContext": _UI_CONTAINER, "resources": _resources("10m", "32Mi", "200m", "128Mi")},
    # The backend offers HTTP probes on /healthz, off by default (values.yaml, hubble.ui.backend).
    "backend": {
        "securityContext": _UI_CONTAINER,
        "resources": _resources("10m", "64Mi", "500m", "256Mi"),
        "livenessProbe": {"enabled": True},
        "readinessProbe": {"enabled": True},
    },
}


HUBBLE_EXPORT_FILE = "/var/run/cilium/hubble/events.log"
"""Where each agent writes the flows it denied (the chart's ``hubble.export.static.filePath`` default; the agent
mounts /var/run/cilium from the host, so the node's log collector reads it there)."""
DENIED_FLOWS_FILTER = '{"verdict":["DROPPED"]}'
"""Hubble flow filter (JSON of a ``flow.FlowFilter``) for the flows policy dropped: only those are exported."""
HUBBLE_EXPORT = {
    # The static exporter runs inside the agent and writes one JSON flow per line (Cilium docs, "Configuring
    # Hubble exporter": https://docs.cilium.io/en/stable/observability/hubble/configuration/export/).
    # Only denied flows: the trail of what the default deny stopped, not every packet (SATRE 2.5.03:
    # security logs of significant events).
    "static": {
        "enabled": True,
        "filePath": HUBBLE_EXPORT_FILE,
        "allowList": [DENIED_FLOWS_FILTER],
        # Rotated by size so a flood of drops cannot fill the node's disk; the collector ships each line
        # within seconds, so a few rotated files only bridge a collector restart.
        "fileMaxSizeMb": 20,
        "fileMaxBackups": 3,
    }
}


def cilium_values(cluster: ProvisionedCluster, network: PodNetwork, settings: CiliumSettings, stage: Stage) -> dict[str, Any]:
    """The chart values: the same on every cloud, plus the cloud's own facts."""
    encryption = settings.encryption or ("none" if stage.environment == "dev" else "wireguard")
    values: dict[str, Any] = {
        "kubeProxyReplacement": True,
        # Without kube-proxy there is no Service IP for the API until Cilium runs, so Cilium dials it directly.
        "k8sServiceHost": cluster.cilium.api_server_host,
        "k8sServicePort": cluster.cilium.api_server_port,
        "ipam": {
            "mode": "cluster-pool",
            "operator": {"clusterPoolIPv4PodCIDRList": list(network.pod_cidrs), "clusterPoolIPv4MaskSize": 24},
        },
        "l7Proxy": True,
        "gatewayAPI": {"enabled": True},
        "hubble": {
            "enabled": True,
            "relay": {
                "enabled": True,
                "resources": _resources("20m", "64Mi", "500m", "256Mi"),
                # A static Go binary that reads its certificates from mounted volumes; it writes nothing.
                "securityContext": {"readOnlyRootFilesystem": True},
            },
            "ui": {"enabled": settings.hubble_ui, **_HUBBLE_UI},
            "export": HUBBLE_EXPORT,
        },
        "encryption": {"enabled": encryption != "none", "type": "wireguard"},
        "operator": {
            "replicas": 2 if stage.environment != "dev" else 1,
            "resources": _resources("20m", "128Mi", "1", "512Mi"),
        },
        # The agent's figures are the chart's own suggestion (values.yaml, `resources`); its limits are
        # generous because an agent killed for memory takes the node's networking with it.
        "resources": _resources("100m", "512Mi", "4", "4Gi"),
        "initResources": _resources("10m", "64Mi", "1", "256Mi"),
        "envoy": {"resources": _resources("20m", "128Mi", "2", "1Gi")},
        # Envoy takes its configuration from the agent over a local socket (xDS) and the chart binds no
        # role to its service account (templates/cilium-envoy/), so it needs no API token.
        "serviceAccounts": {"envoy": {"automount": False}},
        # The chart creates `cilium-secrets` (templates/cilium-secrets-namespace.yaml) to hold the Gateway's and
        # Ingress's TLS secrets; no pod runs there, so it enforces the strictest Pod Security level like every
        # other namespace (a namespace without the label admits anything).
        "secretsNamespaceLabels": {
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
        },
    }
    for key, value in cluster.cilium.cloud_values.items():
        values[key] = value
    return values


class Cilium(pulumi.ComponentResource):
    """The Cilium release in ``kube-system``: the cluster's only CNI and service proxy."""

    def __init__(
        self,
        name: str,
        cluster: ProvisionedCluster,
        pin: ChartPin,
        values: dict[str, Any],
        after: Sequence[pulumi.Resource] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:Cilium", name, None, opts)
        self.release = helm_release(
            f"{name}-release",
            release_name="cilium",
            pin=pin,
            namespace="kube-system",
            values=values,
            opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=[*cluster.ready, *after]),
            wait=cluster.cilium.wait_for_pods,
        )
        self.register_outputs({"status": self.release.status})
