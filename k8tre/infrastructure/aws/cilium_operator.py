"""The Cilium operator's own AWS role for ENI mode, instead of ENI rights on every node.

In ENI mode only the operator calls the EC2 API: it creates and attaches network interfaces and assigns
their addresses to nodes (Cilium docs, "AWS ENI", Required Privileges:
https://docs.cilium.io/en/stable/network/concepts/ipam/eni/#required-privileges). Granting those actions to
the node role (``AmazonEKS_CNI_Policy``) would hand them to every process on every node; here they belong to
the ``kube-system/cilium-operator`` service account alone, through EKS Pod Identity. The association exists
before the Cilium release, because EKS injects credentials into a pod only when the pod is created.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi

from ...stage import Stage
from .pod_identity import PodIdentityNames, pod_identity_role

NAMESPACE = "kube-system"
"""Where the Cilium chart runs its operator."""
SERVICE_ACCOUNT = "cilium-operator"
"""The operator's service account (cilium chart, ``serviceAccounts.operator.name``)."""
ENI_ACTIONS = (
    "ec2:AssignPrivateIpAddresses",
    "ec2:AttachNetworkInterface",
    "ec2:CreateNetworkInterface",
    "ec2:CreateTags",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeInstanceTypes",
    "ec2:DescribeManagedPrefixLists",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeRouteTables",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeSubnets",
    "ec2:DescribeTags",
    "ec2:DescribeVpcs",
    "ec2:GetManagedPrefixListEntries",
    "ec2:ModifyNetworkInterfaceAttribute",
)
"""Cilium's documented list for ENI creation and IP allocation, with ``DescribeTags`` for ENI garbage collection
(on by default). Not ``UnassignPrivateIpAddresses`` (excess-IP release is off) nor ``AssignIpv6Addresses``."""
ENI_MUTATIONS = frozenset(
    {"ec2:AssignPrivateIpAddresses", "ec2:AttachNetworkInterface", "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface"}
)
"""The actions that change a node's network interfaces: what no node role may hold (preflight ``eks-eni-rights-on-operator``)."""


def eni_policy(region: str) -> dict[str, Any]:
    """The operator's policy: the EC2 actions above, only in the cluster's region.

    EC2's Describe calls support no resource-level scope (Service Authorization Reference, Amazon EC2:
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html), so the
    restriction is the ``aws:RequestedRegion`` condition.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": list(ENI_ACTIONS),
                "Resource": ["*"],
                "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
            }
        ],
    }


class CiliumOperatorIdentity(pulumi.ComponentResource):
    """A Pod Identity role with Cilium's ENI actions, associated with ``kube-system/cilium-operator``."""

    def __init__(
        self,
        name: str,
        *,
        cluster_name: pulumi.Input[str],
        region: str,
        stage: Stage,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:CiliumOperatorIdentity", name, None, opts)
        identity = pod_identity_role(
            PodIdentityNames(role=f"{name}-role", association=f"{name}-association"),
            parent=self,
            cluster_name=cluster_name,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            tags=stage.tags,
            inline={f"{name}-eni": json.dumps(eni_policy(region))},
            description=f"Cilium operator in {stage.slug}: ENI creation and address assignment",
        )
        self.association = identity.association
        """What the Cilium release waits for."""
        self.register_outputs({"roleArn": identity.role.arn})
