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
        "hubble": {"enabled": True, "relay": {"enabled": True}, "ui": {"enabled": settings.hubble_ui}},
        "encryption": {"enabled": encryption != "none", "type": "wireguard"},
        "operator": {"replicas": 2 if stage.environment != "dev" else 1},
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
        )
        self.register_outputs({"status": self.release.status})
