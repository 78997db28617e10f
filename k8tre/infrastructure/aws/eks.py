"""EKS created bare (no VPC CNI, no kube-proxy), so Cilium is the CNI and service proxy."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ...config import AwsClusterConfig
from ...naming import AwsNames
from ...outputs import secret_text
from ...stage import Stage
from ..cluster import CiliumFacts, ControlPlaneMetrics, PlatformFacts, ProvisionedCluster, WorkloadIdentity
from ..kubeconfig import exec_kubeconfig
from .backup_store import S3BackupStore
from .dns import POD_IDENTITY_AGENT, EnvironmentZones
from .network import VpcNetwork
from .secret_store import SecretsManagerStore
from .storage import EksStorage

_ASSUME = {
    "cluster": "eks.amazonaws.com",
    "node": "ec2.amazonaws.com",
}
_NODE_POLICIES = (
    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
)


def _assume_role_policy(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": ["sts:AssumeRole", "sts:TagSession"]}],
        }
    )


def _eni_values() -> dict[str, object]:
    """Cilium's ENI mode: pods take addresses from the VPC through the nodes' network interfaces."""
    return {
        "eni": {"enabled": True, "awsEnablePrefixDelegation": True},
        "ipam": {"mode": "eni"},
        "routingMode": "native",
    }


class EksCluster(pulumi.ComponentResource):
    """A VPC with private subnets across zones, a KMS key, and an EKS cluster with managed node groups.

    ``bootstrapSelfManagedAddons: false`` stops EKS installing aws-node (the VPC
    CNI) and kube-proxy; Cilium replaces both.
    """

    result: ProvisionedCluster
    """What the infrastructure layer hands on."""

    def __init__(self, name: str, config: AwsClusterConfig, stage: Stage, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("k8tre:infrastructure:EksCluster", name, None, opts)
        self._name = name
        self._stage = stage
        child = pulumi.ResourceOptions(parent=self)
        network = VpcNetwork(f"{name}-network", config, stage, opts=child)
        subnets = network.private_subnets
        self.secrets_key = aws.kms.Key(
            f"{name}-secrets-key",
            description=f"EKS envelope encryption of Kubernetes secrets for {stage.slug}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            tags=dict(stage.tags),
            opts=stage.stateful(child),
        )
        cluster_name = AwsNames(stage.slug).eks_cluster
        # Created before the cluster so EKS writes into a group with a retention period, not one kept forever.
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=AwsNames(stage.slug).eks_log_group,
            retention_in_days=stage.audit_retention_days,
            tags=dict(stage.tags),
            opts=stage.stateful(child),
        )
        cluster_role = self._role("cluster", ("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",), child)
        self.cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=cluster_name,
            version=config.kubernetes_version,
            role_arn=cluster_role.arn,
            bootstrap_self_managed_addons=False,
            vpc_config={
                "subnet_ids": [subnet.id for subnet in subnets],
                "endpoint_private_access": True,
                "endpoint_public_access": not stage.is_prod,
            },
            kubernetes_network_config={"service_ipv4_cidr": config.network.service_cidr},
            encryption_config={"resources": ["secrets"], "provider": {"key_arn": self.secrets_key.arn}},
            access_config={"authentication_mode": "API"},
            enabled_cluster_log_types=["api", "audit", "authenticator"],
            deletion_protection=stage.is_prod,
            tags=dict(stage.tags),
            opts=stage.stateful(pulumi.ResourceOptions(parent=self, depends_on=[self.log_group])),
        )
        # In ENI mode Cilium's operator attaches interfaces and addresses as the nodes' role.
        eni_policy = ("arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",) if config.pod_networking == "eni" else ()
        node_role = self._role("node", (*_NODE_POLICIES, *eni_policy), child)
        groups = [
            aws.eks.NodeGroup(
                f"{name}-{group.name}",
                cluster_name=self.cluster.name,
                node_group_name=group.name,
                node_role_arn=node_role.arn,
                subnet_ids=[subnet.id for subnet in subnets],
                instance_types=list(group.instance_types),
                disk_size=group.disk_size_gib,
                scaling_config={
                    "min_size": group.min_size,
                    "desired_size": group.desired_size,
                    "max_size": group.max_size,
                },
                # Nodes start NotReady until Cilium runs; without the taint, pods land before networking does.
                taints=[{"key": "node.cilium.io/agent-not-ready", "value": "true", "effect": "NO_EXECUTE"}],
                tags=dict(stage.tags),
                opts=child,
            )
            for group in config.node_groups
        ]
        kubeconfig = secret_text(
            pulumi.Output.all(self.cluster.name, self.cluster.endpoint, self.cluster.certificate_authority.data).apply(
                lambda args: exec_kubeconfig(
                    name=args[0],
                    endpoint=args[1],
                    ca_data=args[2] or "",
                    command="aws",
                    args=["eks", "get-token", "--cluster-name", args[0], "--region", config.region],
                )
            )
        )
        provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=kubeconfig, enable_server_side_apply=True, opts=pulumi.ResourceOptions(parent=self)
        )
        storage = EksStorage(
            f"{name}-storage",
            cluster_name=self.cluster.name,
            vpc_id=network.vpc.id,
            subnets=subnets,
            key=self.secrets_key,
            region=config.region,
            stage=stage,
            opts=child,
        )
        # Pods get AWS roles through EKS Pod Identity (CSI drivers, external-dns, cert-manager, Velero): its agent
        # is one managed add-on per cluster, on the nodes once they run.
        agent = aws.eks.Addon(
            f"{name}-pod-identity-agent",
            cluster_name=self.cluster.name,
            addon_name="eks-pod-identity-agent",
            resolve_conflicts_on_create="OVERWRITE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=groups),
        )
        zones = EnvironmentZones(f"{name}-dns", self.cluster.name, network.vpc.id, config.region, stage, agent, opts=child)
        backups = S3BackupStore(f"{name}-backups", self.cluster.name, config.region, stage, opts=child)
        secrets = SecretsManagerStore(f"{name}-secrets", self.cluster, config.region, stage, after=[agent], opts=child)
        self.result = ProvisionedCluster(
            name=self.cluster.name,
            kubeconfig=kubeconfig,
            provider=provider,
            # The node groups come up only once Cilium runs, so Cilium waits for the control plane alone.
            ready=[self.cluster],
            cilium=CiliumFacts(
                api_server_host=self.cluster.endpoint.apply(lambda url: url.removeprefix("https://")),
                api_server_port=443,
                cloud_values=_eni_values() if config.pod_networking == "eni" else {},
            ),
            platform=PlatformFacts(
                storage=storage.facts,
                # EKS runs the control plane in AWS's account: no node or endpoint of this cluster serves the
                # controller manager's, scheduler's or etcd's metrics (EKS docs, "Fetch control plane raw
                # metrics": only through API-server paths, https://docs.aws.amazon.com/eks/latest/userguide/view-raw-metrics.html).
                control_plane_metrics=ControlPlaneMetrics(why="EKS hides its control plane in AWS's account"),
                internal_lb_annotations={
                    "service.beta.kubernetes.io/aws-load-balancer-scheme": "internal",
                    "service.beta.kubernetes.io/aws-load-balancer-type": "external",
                    "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                },
                # Pod Identity associates roles by service account: nothing to annotate, the agent answers.
                workload_identities={
                    service: WorkloadIdentity(service_account_annotations={}, pod_labels={})
                    for service in ("cert-manager", "external-dns")
                },
                public_dns=zones.public,
                private_dns=zones.private,
                pod_identity_agent=POD_IDENTITY_AGENT,
                object_store=backups.store,
                secret_store=secrets.facts,
            ),
        )
        self.node_groups = groups
        # Without the self-managed add-ons EKS installs no CoreDNS either; the managed add-on brings it back.
        aws.eks.Addon(
            f"{name}-coredns",
            cluster_name=self.cluster.name,
            addon_name="coredns",
            resolve_conflicts_on_create="OVERWRITE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=groups),
        )
        self.register_outputs({"clusterName": self.cluster.name, "endpoint": self.cluster.endpoint})

    def _role(self, kind: str, policies: tuple[str, ...], child: pulumi.ResourceOptions) -> aws.iam.Role:
        role = aws.iam.Role(
            f"{self._name}-{kind}-role",
            assume_role_policy=_assume_role_policy(_ASSUME[kind]),
            tags=dict(self._stage.tags),
            opts=child,
        )
        for index, policy in enumerate(policies):
            aws.iam.RolePolicyAttachment(f"{self._name}-{kind}-policy-{index}", role=role.name, policy_arn=policy, opts=child)
        return role
