"""AKS with bring-your-own CNI, so that Cilium (installed by Helm) is the only CNI."""

from __future__ import annotations

import base64
import ipaddress

import pulumi
import pulumi_kubernetes as k8s
from pulumi_azure_native import containerservice, network, resources

from ...config import AzureClusterConfig, AzureNodePool
from ...outputs import secret_text
from ...stage import Stage
from ..cluster import CiliumFacts, PlatformFacts, ProvisionedCluster
from .logs import cluster_audit_logs

INGRESS_SUBNET = "snet-ingress"
"""Subnet of the internal load balancer that fronts the Gateway."""


class AksCluster(pulumi.ComponentResource):
    """A resource group, the environment's spoke VNet and node subnet, and the AKS cluster.

    The cluster is created with ``networkPlugin: none``: AKS installs no CNI and
    Cilium, from its Helm chart, takes that role and replaces kube-proxy.
    """

    result: ProvisionedCluster
    """What the infrastructure layer hands on."""

    def __init__(self, name: str, config: AzureClusterConfig, stage: Stage, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("k8tre:infrastructure:AksCluster", name, None, opts)
        self._name = name
        self._stage = stage
        child = pulumi.ResourceOptions(parent=self)
        self.resource_group = resources.ResourceGroup(
            f"{name}-rg",
            resource_group_name=f"rg-{stage.slug}",
            location=config.location,
            tags=dict(stage.tags),
            opts=stage.stateful(child),
        )
        self.node_subnet = self._network(config, child)
        self.managed_cluster = self._cluster(config, child)
        self.log_workspace = cluster_audit_logs(name, self.managed_cluster, self.resource_group, config.location, stage, self)
        kubeconfig = self._kubeconfig()
        provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=kubeconfig,
            enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.result = ProvisionedCluster(
            name=self.managed_cluster.name,
            kubeconfig=kubeconfig,
            provider=provider,
            ready=[self.managed_cluster],
            cilium=CiliumFacts(
                # AKS serves the API on 443 at the cluster's FQDN (the private one when private).
                api_server_host=self.managed_cluster.fqdn.apply(lambda fqdn: fqdn or ""),
                api_server_port=443,
                cloud_values={"aksbyocni": {"enabled": True}},
            ),
            platform=PlatformFacts(
                storage_provisioner="disk.csi.azure.com",
                storage_parameters={"skuName": "Premium_ZRS"},
                internal_lb_annotations={
                    "service.beta.kubernetes.io/azure-load-balancer-internal": "true",
                    "service.beta.kubernetes.io/azure-load-balancer-internal-subnet": INGRESS_SUBNET,
                },
            ),
        )
        self.register_outputs({"clusterName": self.managed_cluster.name, "resourceGroup": self.resource_group.name})

    def _network(self, config: AzureClusterConfig, child: pulumi.ResourceOptions) -> network.Subnet:
        vnet = network.VirtualNetwork(
            f"{self._name}-vnet",
            resource_group_name=self.resource_group.name,
            virtual_network_name=f"vnet-{self._stage.slug}",
            location=config.location,
            address_space={"address_prefixes": [config.vnet_cidr]},
            tags=dict(self._stage.tags),
            # Subnets are separate resources; declaring them inline as well would fight over them.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(ignore_changes=["subnets"])),
        )
        network.Subnet(
            f"{self._name}-ingress",
            resource_group_name=self.resource_group.name,
            virtual_network_name=vnet.name,
            subnet_name=INGRESS_SUBNET,
            address_prefix=config.ingress_subnet_cidr,
            opts=child,
        )
        return network.Subnet(
            f"{self._name}-nodes",
            resource_group_name=self.resource_group.name,
            virtual_network_name=vnet.name,
            subnet_name="snet-nodes",
            address_prefix=config.node_subnet_cidr,
            opts=child,
        )

    def _cluster(self, config: AzureClusterConfig, child: pulumi.ResourceOptions) -> containerservice.ManagedCluster:
        stage = self._stage
        service_net = ipaddress.ip_network(config.network.service_cidr)
        return containerservice.ManagedCluster(
            f"{self._name}-cluster",
            resource_group_name=self.resource_group.name,
            resource_name_=f"aks-{stage.slug}",
            location=config.location,
            dns_prefix=f"aks-{stage.slug}",
            kubernetes_version=config.kubernetes_version,
            identity={"type": containerservice.ResourceIdentityType.SYSTEM_ASSIGNED},
            sku={"name": "Base", "tier": "Standard" if stage.environment != "dev" else "Free"},
            agent_pool_profiles=[self._pool(pool) for pool in config.node_pools],
            network_profile={
                "network_plugin": "none",  # bring your own CNI: Cilium
                "service_cidr": config.network.service_cidr,
                "dns_service_ip": str(service_net.network_address + 10),
                "outbound_type": "loadBalancer",
            },
            enable_rbac=True,
            aad_profile={"managed": True, "enable_azure_rbac": True},
            # Shared static admin credentials are an unaudited back door outside dev (SATRE 3.2.01).
            disable_local_accounts=stage.environment != "dev",
            api_server_access_profile={"enable_private_cluster": stage.is_prod},
            oidc_issuer_profile={"enabled": True},
            security_profile={"workload_identity": {"enabled": True}},
            auto_upgrade_profile={"upgrade_channel": "patch", "node_os_upgrade_channel": "NodeImage"},
            tags=dict(stage.tags),
            opts=stage.stateful(child),
        )

    def _pool(self, pool: AzureNodePool) -> containerservice.ManagedClusterAgentPoolProfileArgsDict:
        autoscale = pool.max_count is not None
        profile: containerservice.ManagedClusterAgentPoolProfileArgsDict = {
            "name": pool.name,
            "mode": pool.mode,
            "vm_size": pool.vm_size,
            "count": pool.count,
            "enable_auto_scaling": autoscale,
            "availability_zones": list(pool.zones),
            "os_disk_type": pool.os_disk_type,
            "os_type": "Linux",
            "type": "VirtualMachineScaleSets",
            "vnet_subnet_id": self.node_subnet.id,
        }
        if autoscale:
            profile["min_count"] = pool.count
            profile["max_count"] = pool.max_count
        return profile

    def _kubeconfig(self) -> pulumi.Output[str]:
        credentials = containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=self.resource_group.name,
            resource_name=self.managed_cluster.name,
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        encoded = credentials.kubeconfigs.apply(lambda configs: configs[0].value)
        return secret_text(encoded.apply(lambda value: base64.b64decode(value).decode()))
