"""The Gateway API CRDs, installed before Cilium so that its Gateway controller starts."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s

from ..versions import GATEWAY_API_MANIFESTS, GATEWAY_API_VERSION
from .cluster import ProvisionedCluster


class GatewayApiCrds(pulumi.ComponentResource):
    """The pinned Gateway API CRD manifests: Cilium enables its Gateway controller only if they exist."""

    resources: Sequence[pulumi.Resource]
    """What Cilium must wait for."""

    def __init__(self, name: str, cluster: ProvisionedCluster, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("k8tre:infrastructure:GatewayApiCrds", name, None, opts)
        self.version = GATEWAY_API_VERSION
        self.resources = [
            k8s.yaml.v2.ConfigFile(
                f"{name}-{index}",
                file=url,
                opts=pulumi.ResourceOptions(parent=self, provider=cluster.provider, depends_on=list(cluster.ready)),
            )
            for index, url in enumerate(GATEWAY_API_MANIFESTS)
        ]
        self.register_outputs({"version": GATEWAY_API_VERSION})
