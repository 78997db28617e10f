"""The environment's Route 53 zones and the EKS Pod Identity roles that may write them, one zone each.

Two hosted zones share the environment's domain (split horizon): the public one, where cert-manager
answers ACME DNS-01 challenges, and the private one associated with the VPC, where external-dns
publishes the Gateway's routes for the VPC to resolve. Each role is trusted by EKS Pod Identity alone
(``pods.eks.amazonaws.com``, https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html) and
may change records in exactly one zone; no service holds a stored AWS key.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from ...stage import Stage
from ..cluster import Route53Zone
from .pod_identity import PodIdentityNames, pod_identity_role

POD_IDENTITY_AGENT = "169.254.170.23"
"""The EKS Pod Identity Agent's node-local address, port 80
(https://docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html)."""


def external_dns_policy(zone_arn: str) -> dict[str, Any]:
    """external-dns: list and change records in its one zone; listing zones has no resource-level scope in IAM.

    Actions from external-dns's AWS tutorial (https://kubernetes-sigs.github.io/external-dns/latest/docs/tutorials/aws/);
    ``ListHostedZones`` supports no resource ARN (Service Authorization Reference, Amazon Route 53,
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonroute53.html).
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["route53:ChangeResourceRecordSets", "route53:ListResourceRecordSets", "route53:ListTagsForResources"],
                "Resource": [zone_arn],
            },
            {"Effect": "Allow", "Action": ["route53:ListHostedZones"], "Resource": ["*"]},
        ],
    }


def cert_manager_policy(zone_arn: str) -> dict[str, Any]:
    """cert-manager: TXT records under ``_acme-challenge`` in its one zone, and the status of its changes.

    cert-manager's Route 53 page (https://cert-manager.io/docs/configuration/acme/dns01/route53/) lists the
    actions and the record-name and record-type conditions; the solver names the zone ID, so
    ``ListHostedZonesByName`` is not needed.
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["route53:GetChange"], "Resource": ["arn:aws:route53:::change/*"]},
            {"Effect": "Allow", "Action": ["route53:ListResourceRecordSets"], "Resource": [zone_arn]},
            {
                "Effect": "Allow",
                "Action": ["route53:ChangeResourceRecordSets"],
                "Resource": [zone_arn],
                "Condition": {
                    "ForAllValues:StringEquals": {"route53:ChangeResourceRecordSetsRecordTypes": ["TXT"]},
                    "ForAllValues:StringLike": {"route53:ChangeResourceRecordSetsNormalizedRecordNames": ["_acme-challenge.*"]},
                },
            },
        ],
    }


class EnvironmentZones(pulumi.ComponentResource):
    """Public and private hosted zones for the domain, and a Pod Identity role on each for the service that writes it."""

    public: Route53Zone
    """Where cert-manager answers DNS-01 challenges."""
    private: Route53Zone
    """Where external-dns publishes routes; resolvable only inside the VPC."""

    def __init__(
        self,
        name: str,
        cluster_name: pulumi.Input[str],
        vpc_id: pulumi.Input[str],
        region: str,
        stage: Stage,
        after: pulumi.Resource,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("k8tre:infrastructure:EnvironmentZones", name, None, opts)
        self._name, self._stage, self._cluster = name, stage, cluster_name
        child = pulumi.ResourceOptions(parent=self)
        public = aws.route53.Zone(
            f"{name}-public",
            name=stage.domain,
            comment=f"K8TRE {stage.slug}: ACME DNS-01 answers",
            tags=dict(stage.tags),
            opts=stage.stateful(child),
        )
        private = aws.route53.Zone(
            f"{name}-private",
            name=stage.domain,
            comment=f"K8TRE {stage.slug}: routes published by external-dns, resolvable in the VPC",
            # A hosted zone with a VPC association is private (https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zones-private.html).
            vpcs=[{"vpc_id": vpc_id, "vpc_region": region}],
            tags=dict(stage.tags),
            opts=stage.stateful(child),
        )
        self._grant("external-dns", "external-dns", zone=private, policy=external_dns_policy, after=after)
        self._grant("cert-manager", "cert-manager", zone=public, policy=cert_manager_policy, after=after)
        self.public = Route53Zone(zone=stage.domain, zone_id=public.zone_id, region=region, private=False)
        self.private = Route53Zone(zone=stage.domain, zone_id=private.zone_id, region=region, private=True)
        self.register_outputs({"publicZoneId": public.zone_id, "privateZoneId": private.zone_id})

    def _grant(self, service: str, namespace: str, *, zone: aws.route53.Zone, policy: Any, after: pulumi.Resource) -> None:
        pod_identity_role(
            PodIdentityNames(role=f"{self._name}-{service}-role", association=f"{self._name}-{service}-association"),
            parent=self,
            cluster_name=self._cluster,
            namespace=namespace,
            service_account=service,
            tags=self._stage.tags,
            inline={f"{self._name}-{service}-zone": zone.arn.apply(lambda arn: json.dumps(policy(arn)))},
            description=f"{service} in {self._stage.slug}: records in one Route 53 zone",
            association_after=[after],
        )
