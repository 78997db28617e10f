"""The EKS control plane's log group: all five log types, encrypted with a key of its own, kept by environment.

EKS writes to ``/aws/eks/<cluster>/cluster``; created first, the group has a retention period and a key
instead of EKS creating one that keeps everything forever unencrypted (EKS docs, "Send control plane logs
to CloudWatch Logs": https://docs.aws.amazon.com/eks/latest/userguide/control-plane-logs.html).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from ...naming import AwsNames
from ...stage import Stage

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
"""Every control-plane log type EKS offers (the ``enabledClusterLogTypes`` enum of the EKS API)."""


def logs_key_policy(region: str, account: str, log_groups: list[str]) -> dict[str, Any]:
    """The key's policy: the account administers it; CloudWatch Logs uses it for the named log groups only.

    CloudWatch Logs docs, "Encrypt log data in CloudWatch Logs using AWS KMS", step 2 (the key policy's
    ``logs.<region>.amazonaws.com`` principal and the ``kms:EncryptionContext:aws:logs:arn`` condition):
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsForTheControlPlaneGroup",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:logs:arn": [
                            f"arn:aws:logs:{region}:{account}:log-group:{group}" for group in log_groups
                        ]
                    }
                },
            },
        ],
    }


class ControlPlaneLogs(pulumi.ComponentResource):
    """A KMS key and the encrypted log group EKS writes its control-plane logs into."""

    log_group: aws.cloudwatch.LogGroup
    """The group the cluster depends on."""

    key: aws.kms.Key
    """The logs key, which may also encrypt ``other_groups``."""

    def __init__(
        self,
        name: str,
        *,
        region: str,
        stage: Stage,
        other_groups: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:ControlPlaneLogs", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        group_name = AwsNames(stage.slug).eks_log_group
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        self.key = key = aws.kms.Key(
            f"{name}-key",
            description=f"CloudWatch Logs encryption of the EKS control-plane logs of {stage.slug}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=account.apply(lambda acct: json.dumps(logs_key_policy(region, acct, [group_name, *other_groups]))),
            tags=dict(stage.tags),
            opts=stage.stateful(child),
        )
        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=group_name,
            retention_in_days=stage.audit_retention_days,
            kms_key_id=key.arn,
            tags=dict(stage.tags),
            opts=stage.stateful(child),
        )
        self.register_outputs({"logGroup": self.log_group.name})
