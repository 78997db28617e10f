"""EKS created bare (no VPC CNI, no kube-proxy), so Cilium is the CNI and service proxy."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from ...config import AwsClusterConfig
from ...naming import AwsNames
from ...outputs import secret_text
from ...stage import Stage
from ...versions import ChartPin
from ..cluster import CiliumFacts, ControlPlaneMetrics, PlatformFacts, ProvisionedCluster, WorkloadIdentity
from ..kubeconfig import exec_kubeconfig
from .access import ClusterAccess
from .backup_store import S3BackupStore
from .cilium_operator import CiliumOperatorIdentity
from .control_plane_logs import LOG_TYPES, ControlPlaneLogs
from .dns import POD_IDENTITY_AGENT, EnvironmentZones
from .endpoints import VpcTelemetry, flow_log_group_name
from .load_balancer_controller import LoadBalancerController
from .network import VpcNetwork
from .nodes import EksNodes
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
    """Cilium's ENI mode: pods take addresses from the VPC through the nodes' network interfaces.

    The values of Cilium's EKS installation (https://docs.cilium.io/en/stable/installation/k8s-install-helm/,
    EKS tab): ``eni.enabled``, ``ipam.mode: eni``, native routing, and masquerading only what leaves through the
    node's interfaces. AL2023 names a Nitro instance's interfaces ``ens5``, ``ens6``... (systemd's predictable
    names), not the ``eth0`` of the AL2 AMIs that Cilium's example ``eth+`` was written for.
    ``eni.iamRole`` stays empty: it would annotate the operator's service account for IRSA, whose web-identity
    credentials come before Pod Identity's in the SDK chain; the chart's ``cilium-aws`` key references are
    ``optional`` (templates/cilium-operator/deployment.yaml) and no such Secret exists, so the operator's SDK
    finds its Pod Identity credentials.
    """
    return {
        "eni": {"enabled": True, "awsEnablePrefixDelegation": True},
        "ipam": {"mode": "eni"},
        "routingMode": "native",
        "egressMasqueradeInterfaces": "ens+",
    }


class EksCluster(pulumi.ComponentResource):
    """A VPC with private subnets across zones, a KMS key, and an EKS cluster; node groups once Cilium is installed.

    ``bootstrapSelfManagedAddons: false`` stops EKS installing aws-node (the VPC
    CNI) and kube-proxy; Cilium replaces both.
    """

    result: ProvisionedCluster
    """What the infrastructure layer hands on."""

    def __init__(
        self,
        name: str,
        config: AwsClusterConfig,
        stage: Stage,
        lb_controller: ChartPin,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:EksCluster", name, None, opts)
        self._lb_controller = lb_controller
        self._name = name
        self._stage = stage
        self._config = config
        child = pulumi.ResourceOptions(parent=self)
        network = VpcNetwork(f"{name}-network", config, stage, opts=child)
        subnets = network.private_subnets
        self._subnets = subnets
        self._vpc_id = network.vpc.id
        self.secrets_key = aws.kms.Key(
            f"{name}-secrets-key",
            description=f"EKS envelope encryption of Kubernetes secrets for {stage.slug}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            tags=dict(stage.tags),
            opts=stage.stateful(child),
        )
        cluster_name = AwsNames(stage.slug).eks_cluster
        # Created before the cluster so EKS writes into a group with a key and a retention period.
        logs = ControlPlaneLogs(
            f"{name}-control-plane",
            region=config.region,
            stage=stage,
            other_groups=[flow_log_group_name(stage.slug)],
            opts=child,
        )
        self.log_group = logs.log_group
        VpcTelemetry(
            f"{name}-vpc",
            vpc=network.vpc,
            subnets=subnets,
            route_tables=network.private_route_tables,
            logs_key_arn=logs.key.arn,
            region=config.region,
            stage=stage,
            opts=child,
        )
        cluster_role, cluster_policies = self._role("cluster", ("arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",), child)
        access = ClusterAccess(f"{name}-api-access", config=config, vpc_id=network.vpc.id, stage=stage, opts=child)
        vpc_config = aws.eks.ClusterVpcConfigArgs(subnet_ids=[subnet.id for subnet in subnets], **access.vpc_config)
        self.cluster = aws.eks.Cluster(
            f"{name}-cluster",
            name=cluster_name,
            version=config.kubernetes_version,
            role_arn=cluster_role.arn,
            bootstrap_self_managed_addons=False,
            vpc_config=vpc_config,
            kubernetes_network_config={"service_ipv4_cidr": config.network.service_cidr},
            encryption_config={"resources": ["secrets"], "provider": {"key_arn": self.secrets_key.arn}},
            access_config=aws.eks.ClusterAccessConfigArgs(**access.access_config),
            enabled_cluster_log_types=list(LOG_TYPES),
            # Explicit: left unset, EKS keeps a version past standard support at the extended price.
            upgrade_policy={"support_type": config.upgrade_policy},
            deletion_protection=stage.is_prod,
            tags=dict(stage.tags),
            # EKS checks the role's permissions as it creates the cluster: the attachments come first.
            opts=stage.stateful(pulumi.ResourceOptions(parent=self, depends_on=[self.log_group, *cluster_policies])),
        )
        access.grant_admins(self.cluster)
        self._node_role, self._node_policies = self._role("node", _NODE_POLICIES, child)
        # ENI rights belong to Cilium's operator alone; its association precedes the Cilium release.
        operator = CiliumOperatorIdentity(
            f"{name}-cilium-operator", cluster_name=self.cluster.name, region=config.region, stage=stage, opts=child
        )
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
        self._k8s = provider = k8s.Provider(
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
        # Pod Identity associations need only the cluster; the agent that answers them comes with the nodes,
        # which Cluster.ready holds, so no pod that uses one starts before it.
        zones = EnvironmentZones(f"{name}-dns", self.cluster.name, network.vpc.id, config.region, stage, self.cluster, opts=child)
        backups = S3BackupStore(f"{name}-backups", self.cluster.name, config.region, stage, opts=child)
        secrets = SecretsManagerStore(f"{name}-secrets", self.cluster, config.region, stage, after=[self.cluster], opts=child)
        self.result = ProvisionedCluster(
            name=self.cluster.name,
            kubeconfig=kubeconfig,
            provider=provider,
            # Cilium waits for the control plane and its operator's role; the node groups wait for Cilium.
            ready=[self.cluster, operator.association],
            cilium=CiliumFacts(
                api_server_host=self.cluster.endpoint.apply(lambda url: url.removeprefix("https://")),
                api_server_port=443,
                cloud_values=_eni_values(),
                wait_for_pods=False,
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
            after_cni=self._nodes,
        )
        self.register_outputs({"clusterName": self.cluster.name, "endpoint": self.cluster.endpoint})

    def _nodes(self, cni: Sequence[pulumi.Resource]) -> Sequence[pulumi.Resource]:
        """The node groups (after the CNI and the node role's policies) and the add-ons that run on them."""
        nodes = EksNodes(
            f"{self._name}-nodes",
            cluster=self.cluster,
            config=self._config,
            stage=self._stage,
            node_role=self._node_role,
            subnets=self._subnets,
            after=[*cni, *self._node_policies],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.node_groups = nodes.groups
        # The Gateway's LoadBalancer Service needs the controller (and its webhook) running: it joins Cluster.ready.
        controller = LoadBalancerController(
            f"{self._name}-lb-controller",
            cluster=self.cluster,
            vpc_id=self._vpc_id,
            region=self._config.region,
            pin=self._lb_controller,
            provider=self._k8s,
            stage=self._stage,
            after=[*cni, *nodes.groups, *nodes.addons],
            opts=pulumi.ResourceOptions(parent=self),
        )
        return [*nodes.groups, *nodes.addons, controller.release]

    def _role(
        self, kind: str, policies: tuple[str, ...], child: pulumi.ResourceOptions
    ) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
        role = aws.iam.Role(
            f"{self._name}-{kind}-role",
            assume_role_policy=_assume_role_policy(_ASSUME[kind]),
            tags=dict(self._stage.tags),
            opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(f"{self._name}-{kind}-policy-{index}", role=role.name, policy_arn=policy, opts=child)
            for index, policy in enumerate(policies)
        ]
        return role, attachments
