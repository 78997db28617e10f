"""The agnostics layer: the same platform services on every cloud."""

from __future__ import annotations

import dataclasses

import pulumi

from ..config import K8treConfig
from ..infrastructure import Cluster
from ..stage import Stage
from ..versions import application_sources, chart
from .argocd import ArgoCd
from .cert_manager import CertManager
from .external_secrets import ExternalSecrets
from .gateway import SharedGateway
from .isolation import DefaultDeny, LoadBalancerPool
from .platform import Platform
from .publish import publish


class AgnosticsLayer(pulumi.ComponentResource):
    """Installs the platform services and hands the application layer a :class:`Platform`."""

    platform: Platform
    """The typed hand-off to the application layer."""
    cluster: Cluster
    """The cluster with External Secrets installed (``secret_store_ready`` set): what later layers build on."""

    def __init__(
        self, name: str, cluster: Cluster, config: K8treConfig, stage: Stage, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("k8tre:agnostics:AgnosticsLayer", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        pins = config.versions.charts
        settings = config.agnostics
        self.external_secrets = external_secrets = ExternalSecrets(
            f"{name}-external-secrets",
            cluster,
            chart("external-secrets", pins, config.versions.chart_source),
            stage,
            opts=child,
        )
        # Services after this point may call generated_secret: their ExternalSecrets (and only those) wait for
        # the operator and its store; everything else they create does not.
        cluster = dataclasses.replace(cluster, secret_store_ready=external_secrets.ready)
        self.cluster = cluster
        cert_manager = CertManager(
            f"{name}-cert-manager",
            cluster,
            chart("cert-manager", pins, config.versions.chart_source),
            settings.cert_manager,
            stage,
            opts=child,
        )
        argocd = ArgoCd(
            f"{name}-argocd",
            cluster,
            chart("argo-cd", pins, config.versions.chart_source),
            settings.argocd,
            stage,
            application_sources(),
            opts=child,
        )
        gateway = SharedGateway(
            f"{name}-gateway", cluster, stage.domain, cert_manager.issuer, cert_manager.issuer_name, opts=child
        )
        self.default_deny = DefaultDeny(f"{name}-default-deny", cluster, opts=child)
        if cluster.platform.lb_ip_pool:
            LoadBalancerPool(f"{name}-lb-pool", cluster, cluster.platform.lb_ip_pool, opts=child)
        publish(
            f"{name}-argocd-route",
            gateway=gateway.ref,
            app="argocd",
            namespace=argocd.namespace,
            service="argocd-server",
            port=80,
            cluster=cluster,
            parent=argocd,
            depends_on=[argocd.release, gateway.gateway],
        )
        self.platform = Platform(
            domain=stage.domain,
            cluster_issuer=cert_manager.issuer_name,
            argocd_namespace=argocd.namespace,
            gateway=gateway.ref,
            ready=[argocd.release, cert_manager.issuer, gateway.gateway, self.default_deny.policy, external_secrets.store],
        )
        self.register_outputs({"argocdNamespace": argocd.namespace})
