"""In prod the K3s servers (etcd) and the server join token (what an etcd restore needs) are protected."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from conftest import graph_of
from k8tre.offline.graph import Graph, RecordedResource
from k8tre.policies.registry import evaluate_all


def _violations(graph: Graph) -> list[str]:
    (finding,) = [f for f in evaluate_all(graph) if f.rule.id == "protected-state"]
    return [v.message for v in finding.evaluation.violations]


def _installs(graph: Graph, role: str) -> list[RecordedResource]:
    return [
        c
        for c in graph.of_type("command:remote:Command")
        if c.inputs.get("create") == "sudo sh -s" and f"K3S_ROLE={role}\n" in c.inputs["stdin"]
    ]


def _token(graph: Graph) -> RecordedResource:
    (token,) = [p for p in graph.of_type("random:index/randomPassword:RandomPassword") if p.name == "k8tre-infra-k3s-token"]
    return token


def test_prod_protects_the_servers_and_the_server_token_only() -> None:
    graph = graph_of("k3s-prod")
    assert all(c.options.protect for c in _installs(graph, "server"))
    assert not any(c.options.protect for c in _installs(graph, "agent")), "agents hold no etcd: they may leave freely"
    assert _token(graph).options.protect
    assert _violations(graph) == []
    dev = graph_of("k3s-dev")
    assert not any(c.options.protect for c in _installs(dev, "server")), "dev machines come and go"


def _unprotect(resource: RecordedResource) -> None:
    object.__setattr__(resource, "options", dataclasses.replace(resource.options, protect=False))


@pytest.mark.parametrize("which", ["server", "token"])
def test_protected_state_fails_when_either_is_unprotected(which: str) -> None:
    graph = copy.deepcopy(graph_of("k3s-prod"))
    _unprotect(_installs(graph, "server")[1] if which == "server" else _token(graph))
    assert _violations(graph), "the rule must report it"
