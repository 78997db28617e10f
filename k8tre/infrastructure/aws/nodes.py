"""EKS managed node groups, built only once the CNI is installed, and the add-ons that run on them.

Created bare (no VPC CNI), a node stays NotReady until Cilium's agent runs on it; if the node group is
created while the Cilium release is still waiting for its pods, a slow group makes Helm time out and roll
Cilium back, and EKS then reports ``NodeCreationFailure``. So the Cilium release goes first, without waiting
for its pods (it cannot: they need these nodes), and the node groups after it (upstream k8tre-aws does the same).
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from ...config import AwsClusterConfig
from ...stage import Stage

AMI_TYPE = "AL2023_x86_64_STANDARD"
"""Amazon Linux 2023, chosen explicitly: EKS picks the AMI family from ``amiType`` (AL2 AMIs end with Kubernetes 1.32,
https://docs.aws.amazon.com/eks/latest/userguide/eks-ami-deprecation-faqs.html)."""
ROOT_DEVICE = "/dev/xvda"
"""AL2023's root device name (the EKS-optimized AMI's block device mapping)."""
IMDS_HOP_LIMIT = 1
"""One hop: only processes on the node itself (host network) reach the instance metadata service; a pod's packet
crosses one more hop and is dropped, so no pod can take the node role's credentials. Pods get AWS roles through
Pod Identity instead (EKS best practices, "Restrict access to the instance profile assigned to the worker node":
https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html)."""


class EksNodes(pulumi.ComponentResource):
    """A launch template (encrypted gp3 root, IMDSv2 only, hop limit 1) and one managed node group per config entry."""

    groups: list[aws.eks.NodeGroup]
    """The node groups."""
    addons: list[aws.eks.Addon]
    """Managed add-ons whose pods need nodes (Pod Identity agent, CoreDNS)."""
    agent: aws.eks.Addon
    """The EKS Pod Identity agent add-on."""

    def __init__(
        self,
        name: str,
        *,
        cluster: aws.eks.Cluster,
        config: AwsClusterConfig,
        stage: Stage,
        node_role: aws.iam.Role,
        subnets: Sequence[aws.ec2.Subnet],
        after: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:EksNodes", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(stage.tags)
        self.groups = []
        for group in config.node_groups:
            template = aws.ec2.LaunchTemplate(
                f"{name}-{group.name}-template",
                description=f"K8TRE {stage.slug} node group {group.name}",
                block_device_mappings=[
                    {
                        "device_name": ROOT_DEVICE,
                        # Encrypted with the account's EBS key: a customer key would need grants for the Auto Scaling
                        # service-linked role in its key policy before any instance could launch.
                        "ebs": {
                            "volume_size": group.disk_size_gib,
                            "volume_type": "gp3",
                            "encrypted": "true",
                            "delete_on_termination": "true",
                        },
                    }
                ],
                # IMDSv2 only (session tokens), hop limit 1 (EC2 docs, "Configure the instance metadata options":
                # https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-new-instances.html).
                metadata_options={
                    "http_endpoint": "enabled",
                    "http_tokens": "required",
                    "http_put_response_hop_limit": IMDS_HOP_LIMIT,
                },
                tag_specifications=[{"resource_type": "instance", "tags": tags}, {"resource_type": "volume", "tags": tags}],
                tags=tags,
                opts=child,
            )
            self.groups.append(
                aws.eks.NodeGroup(
                    f"{name}-{group.name}",
                    cluster_name=cluster.name,
                    node_group_name=group.name,
                    node_role_arn=node_role.arn,
                    subnet_ids=[subnet.id for subnet in subnets],
                    instance_types=list(group.instance_types),
                    ami_type=AMI_TYPE,
                    launch_template={"id": template.id, "version": template.latest_version.apply(str)},
                    scaling_config={
                        "min_size": group.min_size,
                        "desired_size": group.desired_size,
                        "max_size": group.max_size,
                    },
                    # Nodes start NotReady until Cilium runs; without the taint, pods land before networking does.
                    taints=[{"key": "node.cilium.io/agent-not-ready", "value": "true", "effect": "NO_EXECUTE"}],
                    tags=tags,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=list(after)),
                )
            )
        # Pods get AWS roles through EKS Pod Identity: its agent is one managed add-on, on the nodes once they run.
        self.agent = aws.eks.Addon(
            f"{name}-pod-identity-agent",
            cluster_name=cluster.name,
            addon_name="eks-pod-identity-agent",
            resolve_conflicts_on_create="OVERWRITE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.groups),
        )
        # Without the self-managed add-ons EKS installs no CoreDNS either; the managed add-on brings it back.
        coredns = aws.eks.Addon(
            f"{name}-coredns",
            cluster_name=cluster.name,
            addon_name="coredns",
            resolve_conflicts_on_create="OVERWRITE",
            opts=pulumi.ResourceOptions(parent=self, depends_on=self.groups),
        )
        self.addons = [self.agent, coredns]
        self.register_outputs({})
