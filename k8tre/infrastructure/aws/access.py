"""Who reaches the EKS API and who administers it: the deploy path of each environment.

- dev/stg: the public endpoint, open only to ``publicApiCidrs`` (the deployers' addresses), never the world.
- prod: no public endpoint; the deployer runs inside the network (an in-VPC runner, or a peered/VPN network)
  and reaches the private endpoint through a security group on the control plane that admits
  ``privateApiCidrs`` on 443 (EKS docs, "Cluster API server endpoint":
  https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html; the additional security groups of
  ``vpcConfig.securityGroupIds`` sit on the control plane's network interfaces).
- Cluster admins are the IAM roles in ``accessAdminRoleArns`` (CI, break-glass) through access entries
  (https://docs.aws.amazon.com/eks/latest/userguide/access-entries.html), rather than whoever created the cluster.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from ...config import AwsClusterConfig
from ...stage import Stage

API_PORT = 443
"""The EKS API's port."""
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
"""EKS access policy equivalent to ``cluster-admin`` (https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html)."""


class ClusterAccess(pulumi.ComponentResource):
    """The endpoint settings, the private-access security group, and the admins' access entries."""

    vpc_config: dict[str, Any]
    """Endpoint settings for the cluster's ``vpcConfig`` (besides its subnets)."""
    access_config: dict[str, Any]
    """The cluster's ``accessConfig``."""

    def __init__(
        self,
        name: str,
        *,
        config: AwsClusterConfig,
        vpc_id: pulumi.Input[str],
        stage: Stage,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:ClusterAccess", name, None, opts)
        self._name, self._stage, self._admins = name, stage, config.access_admin_role_arns
        public = bool(config.public_api_cidrs) and not stage.is_prod
        self.vpc_config = {"endpoint_private_access": True, "endpoint_public_access": public}
        if public:
            self.vpc_config["public_access_cidrs"] = list(config.public_api_cidrs)
        if config.private_api_cidrs:
            group = aws.ec2.SecurityGroup(
                f"{name}-private",
                description=f"EKS API of {stage.slug}: HTTPS from the deploy runner's networks",
                vpc_id=vpc_id,
                ingress=[
                    {
                        "description": "Kubernetes API from the deploy path",
                        "protocol": "tcp",
                        "from_port": API_PORT,
                        "to_port": API_PORT,
                        "cidr_blocks": list(config.private_api_cidrs),
                    }
                ],
                egress=[],
                tags={**stage.tags, "Name": f"eks-api-{stage.slug}"},
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.vpc_config["security_group_ids"] = [group.id]
        # The creator keeps admin only when no admin roles are named (a first dev deployment from a laptop).
        self.access_config = {
            "authentication_mode": "API",
            "bootstrap_cluster_creator_admin_permissions": not self._admins,
        }
        self.register_outputs({})

    def grant_admins(self, cluster: aws.eks.Cluster) -> None:
        """An access entry and the cluster-admin access policy for each named role."""
        for index, arn in enumerate(self._admins):
            entry = aws.eks.AccessEntry(
                f"{self._name}-admin-{index}",
                cluster_name=cluster.name,
                principal_arn=arn,
                type="STANDARD",
                tags=dict(self._stage.tags),
                opts=pulumi.ResourceOptions(parent=self),
            )
            aws.eks.AccessPolicyAssociation(
                f"{self._name}-admin-{index}-policy",
                cluster_name=cluster.name,
                principal_arn=entry.principal_arn,
                policy_arn=ADMIN_POLICY,
                access_scope={"type": "cluster"},
                opts=pulumi.ResourceOptions(parent=self),
            )
