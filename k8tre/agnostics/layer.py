"""The agnostics layer: the same platform services on every cloud."""

from __future__ import annotations

import dataclasses

import pulumi

from ..config import K8treConfig
from ..config.delivery import source_hosts
from ..infrastructure import Cluster
from ..stage import Stage
from ..versions import application_sources, chart
from .admission import AdmissionGuardRails
from .argocd import NAMESPACE as ARGOCD_NAMESPACE
from .argocd import ArgoCd, ArgoCdTls
from .argocd_realm import argocd_settings, uses_realm
from .cert_manager import CertManager
from .cloudnative_pg import CloudNativePg
from .costs import Costs
from .external_dns import ExternalDns
from .external_secrets import ExternalSecrets
from .gateway import SharedGateway
from .isolation import DefaultDeny, LoadBalancerPool
from .logs import Logs
from .monitoring import Monitoring
from .platform import Platform
from .seaweedfs import SeaweedFs
from .storage import StorageClasses
from .velero import Velero


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
        # An environment registered with a management stack is delivered to by that stack's Argo CD: none here.
        argocd: ArgoCd | None = None
        if config.management is None:
            argocd = ArgoCd(
                f"{name}-argocd",
                cluster,
                chart("argo-cd", pins, config.versions.chart_source),
                argocd_settings(config),
                stage,
                (*application_sources(), *source_hosts(config.applications.apps)),
                ArgoCdTls(
                    cert_manager.issuer_name,
                    [cert_manager.release],
                    config.secrets.argocd_oidc_client_secret,
                    oidc_secret_from_realm=uses_realm(config),
                ),
                opts=child,
            )
        self.argocd = argocd
        gateway = SharedGateway(
            f"{name}-gateway", cluster, stage.domain, cert_manager.issuer, cert_manager.issuer_name, opts=child
        )
        # Independent of every release: the policies judge pods whenever they arrive.
        AdmissionGuardRails(f"{name}-admission", cluster, settings.admission, opts=child)
        monitoring = Monitoring(
            f"{name}-monitoring",
            cluster,
            chart("kube-prometheus-stack", pins, config.versions.chart_source),
            stage,
            opts=child,
            alerting=config.agnostics.alerting,
            receiver_secrets={
                "default": config.secrets.alerting_default_secret,
                "critical": config.secrets.alerting_critical_secret,
            },
        )
        Logs(
            f"{name}-logs",
            cluster,
            chart("victoria-logs-single", pins, config.versions.chart_source),
            chart("fluent-bit", pins, config.versions.chart_source),
            stage,
            monitoring.nodes_namespace,
            monitoring.release,
            opts=child,
        )
        Costs(
            f"{name}-costs",
            cluster,
            chart("opencost", pins, config.versions.chart_source),
            stage,
            monitoring.namespace_resource,
            monitoring.release,
            opts=child,
            prices=config.agnostics.costs.prices,
        )
        if cluster.platform.private_dns is not None:
            # Independent of the other releases: it needs only its namespace and the Gateway API CRDs (infrastructure).
            ExternalDns(
                f"{name}-external-dns",
                cluster,
                chart("external-dns", pins, config.versions.chart_source),
                cluster.platform.private_dns,
                stage,
                opts=child,
            )
        self.default_deny = DefaultDeny(f"{name}-default-deny", cluster, opts=child)
        storage_pins = {d.chart: chart(d.chart, pins, config.versions.chart_source) for d in cluster.platform.storage.drivers}
        cnpg = CloudNativePg(
            f"{name}-cnpg",
            cluster,
            chart("cloudnative-pg", pins, config.versions.chart_source),
            chart("plugin-barman-cloud", pins, config.versions.chart_source),
            stage,
            cert_manager.release,
            opts=child,
        )
        storage = StorageClasses(f"{name}-storage", cluster, storage_pins, stage, opts=child)
        if cluster.platform.lb_ip_pool:
            LoadBalancerPool(f"{name}-lb-pool", cluster, cluster.platform.lb_ip_pool, opts=child)
        # The cloud's object store where it has one; otherwise the cluster runs its own (the facts decide).
        seaweedfs = None
        store = cluster.platform.object_store
        if store is None:
            seaweedfs = SeaweedFs(
                f"{name}-seaweedfs",
                cluster,
                chart("seaweedfs", pins, config.versions.chart_source),
                stage,
                settings.backups.store_size_gib,
                opts=child,
            )
            store = seaweedfs.store
        Velero(
            f"{name}-velero",
            cluster,
            chart("velero", pins, config.versions.chart_source),
            settings.backups,
            stage,
            store,
            seaweedfs,
            opts=child,
        )
        self.platform = Platform(
            domain=stage.domain,
            cluster_issuer=cert_manager.issuer_name,
            internal_issuer=cert_manager.internal_issuer_name,
            argocd_namespace=ARGOCD_NAMESPACE,
            gateway=gateway.ref,
            ready=[
                *([argocd.release] if argocd else []),
                cert_manager.issuer,
                cert_manager.internal_issuer,
                gateway.gateway,
                self.default_deny.policy,
                external_secrets.store,
            ],
            storage_classes=storage.classes,
            databases_ready=[cnpg.operator, cnpg.plugin, *storage.classes],
            object_store=store,
            object_store_grant=seaweedfs.grant if seaweedfs is not None else None,
        )
        self.register_outputs({"argocdNamespace": ARGOCD_NAMESPACE})
