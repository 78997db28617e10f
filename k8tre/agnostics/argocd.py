"""Argo CD: the GitOps engine that delivers the application layer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from ..config.layers import ArgoCdSettings
from ..flows.expect import Expect, PodsOf, allow, deny
from ..flows.model import Entity, Fqdn
from ..helm import helm_release
from ..infrastructure import Cluster
from ..manifest import custom_object
from ..namespace import platform_namespace
from ..stage import Stage
from ..versions import ChartPin
from .network_policy import opening, service_policy

NAMESPACE = "argocd"
FREE_FORM_VALUES = ("configs.cm", "configs.params", "configs.rbac")
"""Chart value maps whose keys are Argo CD settings, not chart keys (see the schema checks)."""
SERVER_LABELS = {"app.kubernetes.io/name": "argocd-server", "app.kubernetes.io/instance": "argocd"}
"""argocd-server's pod labels (argo-cd chart, ``argo-cd.selectorLabels`` in ``templates/_common.tpl``)."""
SERVER_PORT = 8080
"""argocd-server's container port (chart value ``server.containerPorts.server``)."""


def _component(name: str) -> PodsOf:
    return PodsOf(NAMESPACE, {"app.kubernetes.io/name": f"argocd-{name}"}, f"argocd-{name}")


def argocd_flows(source_hosts: Sequence[str], ha: bool = False) -> list[Expect]:
    """Argo CD's components reach each other; the Gateway reaches the server alone."""
    # With redis-ha the components reach redis through its HAProxy (argo-cd chart values, redis-ha).
    server, repo, redis = _component("server"), _component("repo-server"), _component("redis-ha-haproxy" if ha else "redis")
    controller, appset = _component("application-controller"), _component("applicationset-controller")
    flows = [
        allow(Entity("ingress"), server, SERVER_PORT, "argocd.<domain> through the Gateway"),
        deny(Entity("ingress"), repo, 8081, "only the server is published"),
        allow(server, repo, 8081, "the server renders manifests"),
        allow(controller, repo, 8081, "the controller renders manifests"),
        allow(appset, repo, 8081, "ApplicationSets render manifests"),
        allow(server, redis, 6379, "cache"),
        allow(controller, redis, 6379, "cache"),
        allow(repo, redis, 6379, "cache"),
        allow(controller, Entity("kube-apiserver"), 443, "the controller applies what it delivers"),
    ]
    flows += [allow(repo, Fqdn(host), 443, "chart sources") for host in source_hosts if "*" not in host]
    return flows


def argocd_values(settings: ArgoCdSettings, stage: Stage) -> dict[str, Any]:
    """Chart values: HA in prod, no built-in admin outside dev, no Dex until SSO is wired."""
    ha = settings.high_availability if settings.high_availability is not None else stage.is_prod
    replicas = 2 if ha else 1
    return {
        "configs": {
            # The built-in admin is a shared account: allowed only while bootstrapping dev (SATRE 3.2.01).
            "cm": {"admin.enabled": stage.environment == "dev", "exec.enabled": False},
            # TLS ends at the Cilium Gateway; the server speaks plain HTTP inside the mesh.
            "params": {"server.insecure": True},
            "rbac": {"policy.default": "role:readonly"},
        },
        "dex": {"enabled": False},
        # The chart's own NetworkPolicies would add allows (argocd-server's admits every source:
        # templates/argocd-server/networkpolicy.yaml, `ingress: [{}]`); the Cilium policy replaces them.
        "global": {"domain": f"argocd.{stage.domain}", "networkPolicy": {"create": False}},
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
        # Only argocd-server is published, so only it may be reached by the Gateway.
        policy = service_policy(NAMESPACE, "argocd", egress_fqdns=source_hosts, api_server=True)
        custom_object(f"{name}-policy", policy, cluster, self, depends_on=[namespace])
        why = "the Gateway reaches argocd-server only"
        gateway = opening(NAMESPACE, "argocd-server-gateway", SERVER_LABELS, "ingress", SERVER_PORT, why)
        custom_object(f"{name}-gateway-policy", gateway, cluster, self, depends_on=[namespace])
        self.register_outputs({"namespace": self.namespace})
