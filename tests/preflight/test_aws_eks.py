"""EKS preflight rules: each passes on the AWS examples and fails on the harmful change it exists for."""

from __future__ import annotations

import copy
import datetime
import json
from collections.abc import Callable

import pytest

from conftest import graph_of
from k8tre.offline.graph import Graph, RecordedResource
from k8tre.preflight.registry import PreflightFinding, run_preflight

TODAY = datetime.date(2026, 11, 25)
RULES = (
    "eks-cilium-eni-mode",
    "eks-eni-rights-on-operator",
    "eks-upgrade-policy-explicit",
    "eks-public-endpoint-restricted",
    "eks-control-plane-logs",
    "eks-node-launch-template",
    "aws-vpc-flow-logs",
    "aws-eks-vpc-endpoints",
)


def _finding(graph: Graph, rule_id: str) -> PreflightFinding:
    return next(f for f in run_preflight(graph, TODAY) if f.rule.id == rule_id)


def _of(graph: Graph, typ: str) -> list[RecordedResource]:
    return graph.of_type(typ)


def _cilium(graph: Graph) -> RecordedResource:
    return next(r for r in _of(graph, "kubernetes:helm.sh/v3:Release") if r.inputs.get("name") == "cilium")


def _cluster(graph: Graph) -> RecordedResource:
    (cluster,) = _of(graph, "aws:eks/cluster:Cluster")
    return cluster


def _template(graph: Graph) -> RecordedResource:
    return _of(graph, "aws:ec2/launchTemplate:LaunchTemplate")[0]


def _overlay(graph: Graph) -> None:
    _cilium(graph).inputs["values"]["ipam"] = {"mode": "cluster-pool"}


def _no_masquerade(graph: Graph) -> None:
    del _cilium(graph).inputs["values"]["egressMasqueradeInterfaces"]


def _cni_policy_on_nodes(graph: Graph) -> None:
    node = next(a for a in _of(graph, "aws:iam/rolePolicyAttachment:RolePolicyAttachment") if "-node-policy-" in a.name)
    node.inputs["policyArn"] = "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy"


def _operator_without_rights(graph: Graph) -> None:
    policy = next(p for p in _of(graph, "aws:iam/rolePolicy:RolePolicy") if "cilium-operator" in p.name)
    document = json.loads(policy.inputs["policy"])
    document["Statement"][0]["Action"] = ["ec2:DescribeNetworkInterfaces"]
    policy.inputs["policy"] = json.dumps(document)


def _no_upgrade_policy(graph: Graph) -> None:
    del _cluster(graph).inputs["upgradePolicy"]


def _open_to_the_world(graph: Graph) -> None:
    _cluster(graph).inputs["vpcConfig"]["publicAccessCidrs"] = ["0.0.0.0/0"]


def _public_without_cidrs(graph: Graph) -> None:
    del _cluster(graph).inputs["vpcConfig"]["publicAccessCidrs"]


def _log_types_dropped(graph: Graph) -> None:
    _cluster(graph).inputs["enabledClusterLogTypes"] = ["api", "audit", "authenticator"]


def _logs_unencrypted(graph: Graph) -> None:
    group = next(g for g in _of(graph, "aws:cloudwatch/logGroup:LogGroup") if g.inputs["name"].startswith("/aws/eks/"))
    del group.inputs["kmsKeyId"]


def _imdsv1(graph: Graph) -> None:
    _template(graph).inputs["metadataOptions"]["httpTokens"] = "optional"


def _hop_limit_two(graph: Graph) -> None:
    _template(graph).inputs["metadataOptions"]["httpPutResponseHopLimit"] = 2


def _unencrypted_root(graph: Graph) -> None:
    _template(graph).inputs["blockDeviceMappings"][0]["ebs"]["encrypted"] = "false"


def _no_ami_type(graph: Graph) -> None:
    del _of(graph, "aws:eks/nodeGroup:NodeGroup")[0].inputs["amiType"]


def _no_flow_log(graph: Graph) -> None:
    graph.resources = [r for r in graph.resources if r.type != "aws:ec2/flowLog:FlowLog"]


def _accepted_only(graph: Graph) -> None:
    _of(graph, "aws:ec2/flowLog:FlowLog")[0].inputs["trafficType"] = "ACCEPT"


def _ecr_without_private_dns(graph: Graph) -> None:
    endpoint = next(e for e in _of(graph, "aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["serviceName"].endswith(".ecr.dkr"))
    endpoint.inputs["privateDnsEnabled"] = False


def _no_s3_endpoint(graph: Graph) -> None:
    graph.resources = [
        r
        for r in graph.resources
        if not (r.type == "aws:ec2/vpcEndpoint:VpcEndpoint" and r.inputs["serviceName"].endswith(".s3"))
    ]


HARMS: dict[str, tuple[str, Callable[[Graph], None]]] = {
    "overlay": ("eks-cilium-eni-mode", _overlay),
    "no-masquerade": ("eks-cilium-eni-mode", _no_masquerade),
    "cni-policy-on-nodes": ("eks-eni-rights-on-operator", _cni_policy_on_nodes),
    "operator-without-rights": ("eks-eni-rights-on-operator", _operator_without_rights),
    "no-upgrade-policy": ("eks-upgrade-policy-explicit", _no_upgrade_policy),
    "open-to-the-world": ("eks-public-endpoint-restricted", _open_to_the_world),
    "public-without-cidrs": ("eks-public-endpoint-restricted", _public_without_cidrs),
    "log-types-dropped": ("eks-control-plane-logs", _log_types_dropped),
    "logs-unencrypted": ("eks-control-plane-logs", _logs_unencrypted),
    "imdsv1": ("eks-node-launch-template", _imdsv1),
    "hop-limit-two": ("eks-node-launch-template", _hop_limit_two),
    "unencrypted-root": ("eks-node-launch-template", _unencrypted_root),
    "no-ami-type": ("eks-node-launch-template", _no_ami_type),
    "no-flow-log": ("aws-vpc-flow-logs", _no_flow_log),
    "flow-log-accepted-only": ("aws-vpc-flow-logs", _accepted_only),
    "ecr-without-private-dns": ("aws-eks-vpc-endpoints", _ecr_without_private_dns),
    "no-s3-endpoint": ("aws-eks-vpc-endpoints", _no_s3_endpoint),
}


@pytest.mark.parametrize("stack", ["aws-dev", "aws-prod"])
@pytest.mark.parametrize("rule", RULES)
def test_the_aws_examples_pass(stack: str, rule: str) -> None:
    assert _finding(graph_of(stack), rule).status == "pass"


@pytest.mark.parametrize("harm", sorted(HARMS))
def test_each_harm_fails_its_rule(harm: str) -> None:
    rule, mutate = HARMS[harm]
    graph = copy.deepcopy(graph_of("aws-dev"))
    mutate(graph)
    finding = _finding(graph, rule)
    assert finding.status == "fail", finding.evaluation.violations


@pytest.mark.parametrize("rule", RULES)
def test_the_rules_have_nothing_to_judge_off_aws(rule: str) -> None:
    assert _finding(graph_of("k3s-dev"), rule).status == "not-applicable"
