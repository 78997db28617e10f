"""Preflight rules for Route 53 on AWS: private hosted zones resolve only in VPCs with DNS support and hostnames."""

from __future__ import annotations

from ..offline.graph import Graph
from ..policies.registry import Evaluation
from .registry import PreflightContext, preflight_rule

ZONE = ("aws:route53/zone:Zone",)
VPC = ("aws:ec2/vpc:Vpc",)


@preflight_rule(
    "aws-route53-private-zone-vpc-dns",
    cloud="aws",
    constraint="A private hosted zone answers only in VPCs whose enableDnsSupport and enableDnsHostnames are both true.",
    source="https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/hosted-zone-private-considerations.html",
)
def private_zone_vpc_dns(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Every VPC a private hosted zone is associated with resolves through the Route 53 Resolver and names hosts."""
    evaluation = Evaluation()
    vpcs = {vpc.id: vpc for vpc in graph.of_type(*VPC)}
    for zone in graph.of_type(*ZONE):
        for association in zone.inputs.get("vpcs") or []:
            vpc = vpcs.get(str(association.get("vpcId")))
            if vpc is None:
                # A VPC this stack does not create: its settings are not in the render, so say so.
                evaluation.check(zone.urn, False, f"associated with VPC {association.get('vpcId')} that the render does not hold")
                continue
            ok = vpc.inputs.get("enableDnsSupport") is True and vpc.inputs.get("enableDnsHostnames") is True
            evaluation.check(
                zone.urn, ok, f"its VPC {vpc.name} has enableDnsSupport or enableDnsHostnames off: the zone would never answer"
            )
    return evaluation
