"""The flow matrix of every stack holds, and harmful changes to a real render are caught."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import ALL_STACKS, expanded_graph_of, graph_of
from k8tre.cli import app
from k8tre.flows.matrix import evaluate
from k8tre.offline.graph import Graph
from k8tre.policies.network import leaking_pods, uncovered_namespaces, unisolated_projects
from k8tre.policies.rules.isolation import default_deny, project_isolation


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_every_declared_flow_gets_its_expected_verdict(stack: str) -> None:
    rows = evaluate(expanded_graph_of(stack))
    assert {row.expect for row in rows} == {"allow", "deny"}
    assert [f"{r.source}->{r.destination}:{r.port} {r.actual}" for r in rows if not r.ok] == []
    assert any("jupyter-alice" in r.source and "jupyter-bob" in r.destination for r in rows), (
        "two users' workspaces were compared"
    )


def test_the_flows_command_prints_the_matrix_and_fails_on_a_surprise(tmp_path: Any) -> None:
    result = CliRunner().invoke(app, ["flows", "k3s-dev", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "expected deny, got deny" in result.output and (tmp_path / "flows.md").exists()


def _policy(graph: Graph, kind: str, name: str) -> dict[str, Any]:
    (resource,) = [r for r in graph.of_type(f"kubernetes:cilium.io/v2:{kind}") if r.inputs["metadata"]["name"] == name]
    return resource.inputs


def _unexpected(graph: Graph) -> list[str]:
    return [f"{r.source}->{r.destination}:{r.port}" for r in evaluate(graph) if not r.ok]


def _mutated() -> Graph:
    return copy.deepcopy(graph_of("dev"))


def test_a_namespace_wide_workspace_policy_is_caught() -> None:
    # Notebooks of one project opened to every pod of their namespace: one member reaches another's server.
    graph = _mutated()
    singleuser = _policy_in(graph, "project-genomics-demo", "jupyterhub-singleuser")
    singleuser["spec"]["endpointSelector"] = {}
    singleuser["spec"]["ingress"].append({"fromEndpoints": [{}]})
    singleuser["spec"]["egress"].append({"toEndpoints": [{}]})
    bad = _unexpected(graph)
    assert any("project-genomics-demo/jupyter-alice->project-genomics-demo/jupyter-bob" in b for b in bad)
    assert project_isolation(graph).violations


def _policy_in(graph: Graph, namespace: str, name: str) -> dict[str, Any]:
    (resource,) = [
        r
        for r in graph.of_type("kubernetes:cilium.io/v2:CiliumNetworkPolicy")
        if r.inputs["metadata"]["name"] == name and r.inputs["metadata"]["namespace"] == namespace
    ]
    return resource.inputs


def test_default_deny_widened_to_all_is_caught() -> None:
    graph = _mutated()
    _policy(graph, "CiliumClusterwideNetworkPolicy", "k8tre-default-deny")["spec"]["ingress"] = [{"fromEntities": ["all"]}]
    assert "argocd" in uncovered_namespaces(graph)
    assert default_deny(graph).violations


def test_default_deny_egress_to_world_is_caught() -> None:
    graph = _mutated()
    _policy(graph, "CiliumClusterwideNetworkPolicy", "k8tre-default-deny")["spec"]["egress"].append({"toEntities": ["world"]})
    assert default_deny(graph).violations
    assert any("169.254.169.254" in b for b in _unexpected(graph)), "metadata service reachable"
    assert any("dns:exfil-probe" in b for b in _unexpected(graph)), "DNS to an outside resolver"


def test_a_second_allow_all_policy_is_caught() -> None:
    graph = _mutated()
    second = copy.deepcopy(
        next(
            r
            for r in graph.of_type("kubernetes:cilium.io/v2:CiliumNetworkPolicy")
            if r.inputs["metadata"]["namespace"] == "project-genomics-demo"
        )
    )
    second.inputs["metadata"] = {**second.inputs["metadata"], "name": "allow-all"}
    second.inputs["spec"] = {"endpointSelector": {}, "ingress": [{"fromEntities": ["all"]}], "egress": [{"toEntities": ["all"]}]}
    graph.resources.append(second)
    assert "project-genomics-demo" in unisolated_projects(graph)
    assert "project-genomics-demo/project-service" in leaking_pods(graph)
    assert project_isolation(graph).violations and default_deny(graph).violations


def test_a_notebook_egress_to_world_is_caught() -> None:
    graph = _mutated()
    _policy_in(graph, "project-genomics-demo", "jupyterhub-singleuser")["spec"]["egress"].append({"toEntities": ["world"]})
    assert any("jupyter-alice->ip:192.0.2.10" in b for b in _unexpected(graph))
    assert project_isolation(graph).violations


def test_dns_open_to_every_name_is_caught() -> None:
    graph = _mutated()
    dns = _policy(graph, "CiliumClusterwideNetworkPolicy", "k8tre-default-deny")["spec"]["egress"][0]
    dns["toPorts"][0]["rules"]["dns"] = [{"matchPattern": "*"}]
    assert any("dns:exfil-probe" in b for b in _unexpected(graph))


def test_a_project_opened_to_another_is_caught() -> None:
    graph = _mutated()
    _policy_in = next(
        r
        for r in graph.of_type("kubernetes:cilium.io/v2:CiliumNetworkPolicy")
        if r.inputs["metadata"]["namespace"] == "project-imaging-demo" and r.inputs["metadata"]["name"] == "project-isolation"
    )
    _policy_in.inputs["spec"]["ingress"].append({"fromEntities": ["cluster"]})
    egress = next(
        r
        for r in graph.of_type("kubernetes:cilium.io/v2:CiliumNetworkPolicy")
        if r.inputs["metadata"]["namespace"] == "project-genomics-demo" and r.inputs["metadata"]["name"] == "project-isolation"
    )
    egress.inputs["spec"]["egress"].append(
        {"toEndpoints": [{"matchLabels": {"k8s:io.kubernetes.pod.namespace": "project-imaging-demo"}}]}
    )
    assert unisolated_projects(graph) == ["project-genomics-demo", "project-imaging-demo"]


def test_the_gateway_reaching_argocd_internals_is_caught() -> None:
    graph = _mutated()
    spec = _policy(graph, "CiliumNetworkPolicy", "argocd-server-gateway")["spec"]
    spec["endpointSelector"] = {}
    spec["ingress"][0].pop("toPorts")
    assert any("entity:ingress->argocd/" in b and "repo-server" in b for b in _unexpected(graph))


def test_a_required_allow_that_breaks_is_caught() -> None:
    graph = _mutated()
    _policy(graph, "CiliumNetworkPolicy", "jupyterhub-proxy")["spec"]["ingress"].pop(0)
    assert any(b.startswith("entity:ingress->jupyterhub/proxy") for b in _unexpected(graph))
