"""What the VPC records and where its AWS API calls go: flow logs, and endpoints so nodes reach AWS privately.

Flow logs record every accepted and rejected connection of the VPC's interfaces (VPC docs, "Logging IP traffic
using VPC Flow Logs": https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html), into a log group kept
as long as the audit log and encrypted with the logs key. Interface endpoints for ECR (api, dkr), STS, EC2
and CloudWatch Logs and a gateway endpoint for S3 (image layers) keep image pulls and AWS API calls inside the
VPC (EKS docs, "Deploy private clusters with limited internet access", the endpoints nodes need:
https://docs.aws.amazon.com/eks/latest/userguide/private-clusters.html).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

from ...naming import aws_names
from ...stage import Stage

INTERFACE_SERVICES = ("ecr.api", "ecr.dkr", "sts", "ec2", "logs")
"""AWS services reached through interface endpoints (private DNS on, so the usual names resolve to them)."""
HTTPS = 443


def flow_log_group_name(slug: str) -> str:
    """The flow logs' group, named like the control plane's so the logs key's policy can name both."""
    return aws_names(slug)["log-group#flows"]


def _delivery_trust() -> str:
    # VPC docs, "IAM role for publishing flow logs to CloudWatch Logs": trusted by vpc-flow-logs.amazonaws.com.
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def _delivery_policy(group_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": [group_arn, f"{group_arn}:*"],
                }
            ],
        }
    )


class VpcTelemetry(pulumi.ComponentResource):
    """Flow logs of the whole VPC and the endpoints of the AWS services the nodes call."""

    def __init__(
        self,
        name: str,
        *,
        vpc: aws.ec2.Vpc,
        subnets: Sequence[aws.ec2.Subnet],
        route_tables: Sequence[aws.ec2.RouteTable],
        logs_key_arn: pulumi.Input[str],
        region: str,
        stage: Stage,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:VpcTelemetry", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(stage.tags)
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=flow_log_group_name(stage.slug),
            retention_in_days=stage.audit_retention_days,
            kms_key_id=logs_key_arn,
            tags=tags,
            opts=stage.stateful(child),
        )
        role = aws.iam.Role(f"{name}-flow-logs-role", assume_role_policy=_delivery_trust(), tags=tags, opts=child)
        aws.iam.RolePolicy(f"{name}-flow-logs-delivery", role=role.name, policy=group.arn.apply(_delivery_policy), opts=child)
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags=tags,
            opts=child,
        )
        endpoint_group = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            description=f"AWS API endpoints of {stage.slug}: HTTPS from inside the VPC",
            vpc_id=vpc.id,
            ingress=[
                {
                    "description": "HTTPS from the VPC",
                    "protocol": "tcp",
                    "from_port": HTTPS,
                    "to_port": HTTPS,
                    "cidr_blocks": [vpc.cidr_block],
                }
            ],
            egress=[],
            tags={**tags, "Name": f"endpoints-{stage.slug}"},
            opts=child,
        )
        for service in INTERFACE_SERVICES:
            aws.ec2.VpcEndpoint(
                f"{name}-{service.replace('.', '-')}",
                vpc_id=vpc.id,
                service_name=f"com.amazonaws.{region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[subnet.id for subnet in subnets],
                security_group_ids=[endpoint_group.id],
                tags=tags,
                opts=child,
            )
        # ECR keeps image layers in S3: a gateway endpoint on the private route tables, no interface needed.
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[table.id for table in route_tables],
            tags=tags,
            opts=child,
        )
        self.register_outputs({"flowLogGroup": group.name})
