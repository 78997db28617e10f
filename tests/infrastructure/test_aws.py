"""AWS: Cilium's pod networking choice on EKS, and what prod changes about the cluster."""

from __future__ import annotations

import pytest

from conftest import ROOT, graph_of
from k8tre.chart_lock import chart_name
from k8tre.offline.engine import resolve, run
from k8tre.offline.graph import Graph
from k8tre.offline.validation import validate_render
from k8tre.policies import rules as _rules  # noqa: F401 - importing registers the rules
from k8tre.policies.registry import RULES

AWS_PROD = ROOT / "tests" / "stacks" / "Pulumi.aws-prod.yaml"


@pytest.fixture(scope="module")
def aws_prod() -> Graph:
    return run(resolve(str(AWS_PROD), ROOT))


def _cilium_values(graph: object) -> dict[str, object]:
    (release,) = [r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if chart_name(r.inputs["chart"]) == "cilium"]  # type: ignore[attr-defined]
    return dict(release.inputs["values"])


def test_eni_mode_gives_pods_vpc_addresses() -> None:
    graph = run(resolve(str(ROOT / "tests" / "stacks" / "Pulumi.aws-eni.yaml"), ROOT))
    values = _cilium_values(graph)
    assert values["ipam"] == {"mode": "eni"}
    assert values["eni"] == {"enabled": True, "awsEnablePrefixDelegation": True}
    assert values["routingMode"] == "native"
    policies = {r.inputs["policyArn"] for r in graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy" in policies
    assert validate_render(graph, "1.33") == []


def test_cluster_pool_is_the_default() -> None:
    graph = graph_of("aws-dev")
    assert _cilium_values(graph)["ipam"]["mode"] == "cluster-pool"  # type: ignore[index]
    policies = {r.inputs["policyArn"] for r in graph.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy" not in policies


def test_prod_keeps_the_eks_api_private_and_the_cluster_protected(aws_prod: Graph) -> None:
    (cluster,) = aws_prod.of_type("aws:eks/cluster:Cluster")
    vpc = cluster.inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is False and vpc["endpointPrivateAccess"] is True
    assert cluster.inputs["deletionProtection"] is True
    assert cluster.inputs["encryptionConfig"]["resources"] == ["secrets"]
    # The rule that judges exposure agrees on this render; dev keeps the endpoint reachable for its operators.
    (exposure,) = [r for r in RULES if r.id == "no-public-exposure"]
    assert not exposure.evaluate(aws_prod).violations
    (dev,) = graph_of("aws-dev").of_type("aws:eks/cluster:Cluster")
    assert dev.inputs["vpcConfig"]["endpointPublicAccess"] is True
