"""The fixes behind the Azure preflight rules, checked on what the program renders from changed config."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from conftest import graph_of, stack_file
from k8tre.agnostics.cert_manager import cert_manager_values
from k8tre.chart_lock import chart_name
from k8tre.offline.engine import execute, read
from k8tre.offline.graph import Graph, RecordedResource
from k8tre.stage import Stage


def _deployer(graph: Graph) -> RecordedResource:
    (found,) = [r for r in graph.resources if r.name.endswith("deployer-admin")]
    return found


def _cluster_values(values: dict[str, Any]) -> dict[str, Any]:
    cluster: dict[str, Any] = values["k8tre:cluster"]
    return cluster


def test_deployer_principal_type_follows_config_never_the_sdk_default() -> None:
    # The SDK writes User when nothing is given; CI deploys as a service principal (the default here).
    assert _deployer(graph_of("prod")).inputs["principalType"] == "ServicePrincipal"
    loaded = read(stack_file("dev"))
    values = copy.deepcopy(loaded.values)
    _cluster_values(values)["deployerPrincipalType"] = "User"
    graph = execute(loaded.stack, values, set(loaded.secret_keys))
    assert _deployer(graph).inputs["principalType"] == "User"


def test_cert_manager_checks_dns01_through_the_cluster_resolver_only() -> None:
    # No path to the zone's name servers through the firewall: the check goes through Azure DNS via kube-dns.
    stage = Stage.from_config(read(stack_file("stg")).config)
    assert cert_manager_values(stage, None, True)["dns01RecursiveNameserversOnly"] is True
    assert "dns01RecursiveNameserversOnly" not in cert_manager_values(stage, None, False)
    (release,) = [
        r
        for r in graph_of("stg").of_type("kubernetes:helm.sh/v3:Release")
        if chart_name(str(r.inputs.get("chart", ""))) == "cert-manager"
    ]
    assert release.inputs["values"]["dns01RecursiveNameserversOnly"] is True


def test_aks_needs_exactly_one_pod_range() -> None:
    loaded = read(stack_file("dev"))
    values = copy.deepcopy(loaded.values)
    _cluster_values(values)["network"]["podCidrs"] = ["10.244.0.0/16", "10.250.0.0/16"]
    with pytest.raises(Exception, match="exactly one pod range"):
        execute(loaded.stack, values, set(loaded.secret_keys))
