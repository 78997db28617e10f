"""EKS storage: the EFS file system behind ``rwx-default``, and the EBS and EFS CSI drivers' identities.

The drivers themselves are the vendored charts (aws-ebs-csi-driver, aws-efs-csi-driver), installed by
the agnostics layer because :func:`StorageFacts.drivers` names them, rather than the EKS add-ons: the
charts are pinned and locked like every other platform chart, and the offline render expands them, so
their pods are judged by the same Pod Security, schema and checkov checks (an add-on's pods are
invisible until the cluster runs), and an add-on's own ``defaultStorageClass`` is re-asserted whenever
EKS reconciles the add-on, which brings back a second default class (posit-dev/ptd issue 309).
Each controller gets its AWS permissions through EKS Pod Identity
(``PodIdentityAssociation`` for its namespace and service account; EKS docs, "EKS Pod Identities"):
no stored key, no OIDC trust policy to keep in step with the cluster.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from ...stage import Stage
from ..cluster import StorageClassFacts, StorageDriver, StorageFacts
from .pod_identity import PodIdentityNames, pod_identity_role

NAMESPACE = "kube-system"
"""Both drivers run in kube-system, as their charts and the EKS add-ons place them: the node plugins are
privileged DaemonSets that kube-system's Pod Security and network exemptions are there for."""
EBS_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
"""The EBS controller's service account (aws-ebs-csi-driver chart, ``controller.serviceAccount.name``)."""
EFS_SERVICE_ACCOUNT = "efs-csi-controller-sa"
"""The EFS controller's service account (aws-efs-csi-driver chart, ``controller.serviceAccount.name``)."""
_MANAGED_POLICIES = {
    # AWS managed policies the drivers' docs name (aws-ebs-csi-driver docs/install.md;
    # aws-efs-csi-driver docs/iam-policy-create.md).
    "ebs": "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
    "efs": "arn:aws:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy",
}
NFS_PORT = 2049
"""EFS mount targets listen for NFS on 2049 (EFS docs, "Using VPC security groups")."""


def _key_use(key_arn: str) -> str:
    """Use of the cluster's KMS key for EBS volumes: grants for EC2 only, and data keys.

    aws-ebs-csi-driver docs/install.md, "Set up driver permissions" (KMS key policy for encrypted
    volumes with a customer managed key): CreateGrant limited to AWS resources, plus the data-key calls.
    """
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                    "Resource": [key_arn],
                    "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
                },
                {
                    "Effect": "Allow",
                    "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                    "Resource": [key_arn],
                },
            ],
        }
    )


class EksStorage(pulumi.ComponentResource):
    """An encrypted EFS file system with a mount target in each private subnet, and the CSI drivers' roles."""

    facts: StorageFacts
    """The classes and drivers the agnostics layer builds on."""

    def __init__(
        self,
        name: str,
        *,
        cluster_name: pulumi.Input[str],
        vpc_id: pulumi.Input[str],
        subnets: Sequence[aws.ec2.Subnet],
        key: aws.kms.Key,
        region: str,
        stage: Stage,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:EksStorage", name, None, opts)
        self._name = name
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(stage.tags)
        # Only the node subnets reach the mount targets, and only on NFS: nothing else in the VPC.
        group = aws.ec2.SecurityGroup(
            f"{name}-efs-sg",
            description=f"EFS mount targets of {stage.slug}: NFS from the node subnets only",
            vpc_id=vpc_id,
            ingress=[
                {
                    "description": "NFS from the node subnets",
                    "protocol": "tcp",
                    "from_port": NFS_PORT,
                    "to_port": NFS_PORT,
                    "cidr_blocks": [subnet.cidr_block for subnet in subnets],
                }
            ],
            egress=[],
            tags={**tags, "Name": f"efs-{stage.slug}"},
            opts=child,
        )
        # Research data rests here: encrypted with the cluster's key, and protected in prod.
        self.file_system = aws.efs.FileSystem(
            f"{name}-efs",
            encrypted=True,
            kms_key_id=key.arn,
            performance_mode="generalPurpose",
            throughput_mode="elastic",
            tags={**tags, "Name": f"efs-{stage.slug}"},
            opts=stage.stateful(child),
        )
        self.mount_targets = [
            aws.efs.MountTarget(
                f"{name}-efs-mt-{index}",
                file_system_id=self.file_system.id,
                subnet_id=subnet.id,
                security_groups=[group.id],
                opts=child,
            )
            for index, subnet in enumerate(subnets)
        ]
        ebs_role = self._driver_role("ebs", cluster_name, EBS_SERVICE_ACCOUNT, stage)
        aws.iam.RolePolicy(f"{name}-ebs-kms", role=ebs_role.name, policy=key.arn.apply(_key_use), opts=child)
        self._driver_role("efs", cluster_name, EFS_SERVICE_ACCOUNT, stage)
        self.facts = StorageFacts(
            rwo=StorageClassFacts(
                provisioner="ebs.csi.aws.com",
                # aws-ebs-csi-driver docs/parameters.md: gp3, encrypted with the given key (else the account's default key).
                parameters={"type": "gp3", "encrypted": "true", "kmsKeyId": key.arn, "csi.storage.k8s.io/fstype": "ext4"},
                zonal=True,
            ),
            rwx=StorageClassFacts(
                provisioner="efs.csi.aws.com",
                # aws-efs-csi-driver docs, dynamic provisioning: one access point per volume, confined to its own
                # directory (owned by the access point's uid, mode 700); mounts use TLS unless a volume opts out.
                parameters={
                    "provisioningMode": "efs-ap",
                    "fileSystemId": self.file_system.id,
                    "directoryPerms": "700",
                    "basePath": "/k8tre",
                    "ensureUniqueDirectory": "true",
                },
                zonal=False,
            ),
            drivers=(
                StorageDriver("aws-ebs-csi-driver", NAMESPACE, EBS_SERVICE_ACCOUNT, {"controller": {"region": region}}),
                StorageDriver("aws-efs-csi-driver", NAMESPACE, EFS_SERVICE_ACCOUNT),
            ),
            # "Starting with 1.30, Amazon EKS no longer includes the default annotation on the gp2 StorageClass"
            # (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions-standard.html, Kubernetes 1.30);
            # older versions are out of EKS support and refused by the eks-kubernetes-version-supported preflight rule.
            cloud_default_classes=(),
        )
        self.register_outputs({"fileSystemId": self.file_system.id})

    def _driver_role(self, driver: str, cluster_name: pulumi.Input[str], service_account: str, stage: Stage) -> aws.iam.Role:
        return pod_identity_role(
            PodIdentityNames(role=f"{self._name}-{driver}-csi-role", association=f"{self._name}-{driver}-csi-identity"),
            parent=self,
            cluster_name=cluster_name,
            namespace=NAMESPACE,
            service_account=service_account,
            tags=stage.tags,
            managed={f"{self._name}-{driver}-csi-policy": _MANAGED_POLICIES[driver]},
        ).role
