"""Preflight rules for the AWS network: every VPC is recorded, and nodes reach AWS's APIs without the internet."""

from __future__ import annotations

from ..offline.graph import Graph
from ..policies.registry import Evaluation
from .registry import PreflightContext, preflight_rule

VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
CLUSTER = "aws:eks/cluster:Cluster"
NODE_ENDPOINTS = {"ecr.api": "Interface", "ecr.dkr": "Interface", "sts": "Interface", "s3": "Gateway"}
"""What a node needs to pull images and take its roles with no route to the internet (EKS docs, private clusters)."""


@preflight_rule(
    "aws-vpc-flow-logs",
    cloud="aws",
    constraint="Every VPC publishes flow logs of all traffic (accepted and rejected): without them no record says "
    "which address talked to which.",
    source="https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs.html",
)
def vpc_flow_logs(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """Each VPC the render creates has a flow log with ``trafficType: ALL``."""
    evaluation = Evaluation()
    logs = graph.of_type(FLOW_LOG)
    for vpc in graph.of_type(VPC):
        mine = [f for f in logs if f.inputs.get("vpcId") == vpc.id]
        evaluation.check(
            vpc.urn, any(f.inputs.get("trafficType") == "ALL" for f in mine), "no flow log records all of the VPC's traffic"
        )
    return evaluation


@preflight_rule(
    "aws-eks-vpc-endpoints",
    cloud="aws",
    constraint="Nodes reach ECR (api and dkr) and STS through interface endpoints with private DNS, and S3 through "
    "a gateway endpoint, so image pulls and role sessions need no internet route.",
    source="https://docs.aws.amazon.com/eks/latest/userguide/private-clusters.html",
)
def eks_vpc_endpoints(graph: Graph, ctx: PreflightContext) -> Evaluation:
    """The VPC of each EKS cluster has the node endpoints, interface ones with private DNS on."""
    evaluation = Evaluation()
    if not graph.of_type(CLUSTER):
        return evaluation
    endpoints = graph.of_type(ENDPOINT)
    for vpc in graph.of_type(VPC):
        found = {str(e.inputs.get("serviceName", "")).split(".", 3)[-1]: e for e in endpoints if e.inputs.get("vpcId") == vpc.id}
        for service, kind in NODE_ENDPOINTS.items():
            endpoint = found.get(service)
            ok = (
                endpoint is not None
                and endpoint.inputs.get("vpcEndpointType") == kind
                and (kind == "Gateway" or endpoint.inputs.get("privateDnsEnabled") is True)
            )
            evaluation.check(
                vpc.urn, ok, f"no {kind.lower()} endpoint for {service}" + (" with private DNS" if kind == "Interface" else "")
            )
    return evaluation
