"""The infrastructure layer: one cloud's cluster, then Cilium on it."""

from __future__ import annotations

import pulumi

from ..config import AwsClusterConfig, AzureClusterConfig, K3sClusterConfig, K8treConfig, SecretRef
from ..stage import Stage
from ..versions import chart
from .cilium import Cilium, cilium_values
from .cluster import Cluster, ProvisionedCluster
from .gateway_api import GatewayApiCrds


class InfrastructureLayer(pulumi.ComponentResource):
    """Builds the cluster for ``cluster.provider`` and installs Cilium; hands on a :class:`Cluster`."""

    cluster: Cluster
    """The typed hand-off to the agnostics and application layers."""

    def __init__(self, name: str, config: K8treConfig, stage: Stage, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("k8tre:infrastructure:InfrastructureLayer", name, None, opts)
        provisioned = self._provision(name, config, stage)
        self.gateway_api = GatewayApiCrds(f"{name}-gateway-api", provisioned, opts=pulumi.ResourceOptions(parent=self))
        self.cilium = Cilium(
            f"{name}-cilium",
            provisioned,
            chart("cilium", config.versions.charts, config.versions.chart_source),
            cilium_values(provisioned, config.cluster.network, config.cluster.cilium, stage),
            after=self.gateway_api.resources,
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Where the nodes follow the CNI (EKS), they are built now and everything later waits for them too.
        after_cni = provisioned.after_cni([self.cilium.release]) if provisioned.after_cni else ()
        self.cluster = Cluster(
            cloud=config.cluster.provider,
            environment=stage.environment,
            name=provisioned.name,
            kubernetes_version=config.cluster.kubernetes_version,
            kubeconfig=provisioned.kubeconfig,
            provider=provisioned.provider,
            ready=[*provisioned.ready, self.cilium.release, *after_cni],
            platform=provisioned.platform,
            exports=provisioned.exports,
        )
        self.register_outputs({"clusterName": provisioned.name})

    def _provision(self, name: str, config: K8treConfig, stage: Stage) -> ProvisionedCluster:
        # The one place the cloud is chosen; a new cloud is a new module and one case here.
        child = pulumi.ResourceOptions(parent=self)
        match config.cluster:
            case AzureClusterConfig() as azure_config:
                from .azure import AksCluster

                # The hub firewall lets nodes pull from exactly the registries the admission policy allows.
                registries = config.agnostics.admission.allowed_registries
                return AksCluster(f"{name}-aks", azure_config, stage, registries=registries, opts=child).result
            case AwsClusterConfig() as aws_config:
                from .aws import EksCluster

                lb_controller = chart("aws-load-balancer-controller", config.versions.charts, config.versions.chart_source)
                return EksCluster(f"{name}-eks", aws_config, stage, lb_controller, opts=child).result
            case K3sClusterConfig() as k3s_config:
                from .k3s import K3sCluster

                assert config.secrets.ssh_private_key is not None  # guaranteed by the config rules
                return K3sCluster(
                    f"{name}-k3s",
                    k3s_config,
                    stage,
                    config.secrets.ssh_private_key,
                    config.secrets.rfc2136_tsig_secret,
                    opts=child,
                    etcd_s3_keys=_etcd_s3_keys(config),
                ).result


def _etcd_s3_keys(config: K8treConfig) -> tuple[SecretRef, SecretRef] | None:
    """The object store's keys for K3s etcd snapshots, when both are set (config rules require them with ``s3``)."""
    access, secret = config.secrets.etcd_s3_access_key, config.secrets.etcd_s3_secret_key
    return (access, secret) if access is not None and secret is not None else None
