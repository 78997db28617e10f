"""Argo CD: the GitOps engine that delivers the application layer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from ..config.layers import ArgoCdSettings
from ..helm import helm_release
from ..infrastructure import Cluster
from ..manifest import custom_object
from ..namespace import platform_namespace
from ..stage import Stage
from ..versions import ChartPin
from .network_policy import service_policy

NAMESPACE = "argocd"
FREE_FORM_VALUES = ("configs.cm", "configs.params", "configs.rbac")
"""Chart value maps whose keys are Argo CD settings, not chart keys (see the schema checks)."""


def argocd_values(settings: ArgoCdSettings, stage: Stage) -> dict[str, Any]:
    """Chart values: HA in prod, no built-in admin outside dev, no Dex until SSO is wired."""
    ha = settings.high_availability if settings.high_availability is not None else stage.is_prod
    replicas = 2 if ha else 1
    return {
        "global": {"domain": f"argocd.{stage.domain}"},
        "configs": {
            # The built-in admin is a shared account: allowed only while bootstrapping dev (SATRE 3.2.01).
            "cm": {"admin.enabled": stage.environment == "dev", "exec.enabled": False},
            # TLS ends at the Cilium Gateway; the server speaks plain HTTP inside the mesh.
            "params": {"server.insecure": True},
            "rbac": {"policy.default": "role:readonly"},
        },
        "dex": {"enabled": False},
        "redis-ha": {"enabled": ha},
        "redis": {"enabled": not ha},
        "controller": {"replicas": 1},
        "server": {"replicas": replicas},
        "repoServer": {"replicas": replicas},
        "applicationSet": {"replicas": replicas},
    }


class ArgoCd(pulumi.ComponentResource):
    """The Argo CD release in its own namespace."""

    namespace: str
    """Where Applications and AppProjects live."""

    def __init__(
        self,
        name: str,
        cluster: Cluster,
        pin: ChartPin,
        settings: ArgoCdSettings,
        stage: Stage,
        source_hosts: Sequence[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:agnostics:ArgoCd", name, None, opts)
        namespace = platform_namespace(f"{name}-ns", NAMESPACE, cluster, self, layer="agnostics", gateway_access=True)
        self.namespace = NAMESPACE
        self.release = helm_release(
            f"{name}-release",
            release_name="argocd",
            pin=pin,
            namespace=namespace.metadata.name,
            values=argocd_values(settings, stage),
            opts=cluster.opts(self),
        )
        # Under default-deny: the API server, and the chart repositories of the applications it delivers.
        policy = service_policy(NAMESPACE, "argocd", egress_fqdns=source_hosts, api_server=True)
        custom_object(f"{name}-policy", policy, cluster, self, depends_on=[namespace])
        self.register_outputs({"namespace": self.namespace})
