"""AWS: Cilium's pod networking choice on EKS."""

from __future__ import annotations

from conftest import ROOT, graph_of
from k8tre.chart_lock import chart_name
from k8tre.offline.engine import resolve, run
from k8tre.offline.validation import validate_render


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
