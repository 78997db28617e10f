"""The AKS baseline and the firewall's SNAT capacity, rendered from changed config and judged by their rules."""

from __future__ import annotations

import copy
import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import graph_of, stack_file
from k8tre.cli import _preflight
from k8tre.offline.engine import execute, read
from k8tre.offline.graph import Graph, RecordedResource
from k8tre.preflight.registry import PreflightFinding, run_preflight

TODAY = datetime.date(2026, 11, 25)


def _dev_with(change: dict[str, Any]) -> Graph:
    loaded = read(stack_file("dev"))
    values = copy.deepcopy(loaded.values)
    values["k8tre:cluster"] |= change
    return execute(loaded.stack, values, set(loaded.secret_keys))


def _finding(graph: Graph, rule_id: str) -> PreflightFinding:
    return next(f for f in run_preflight(graph, TODAY) if f.rule.id == rule_id)


def _firewall(graph: Graph) -> RecordedResource:
    (firewall,) = graph.of_type("azure-native:network:AzureFirewall")
    return firewall


def _as_production(graph: Graph) -> Graph:
    changed = copy.deepcopy(graph)
    _firewall(changed).inputs["tags"]["k8tre:environment"] = "prod"
    return changed


@pytest.fixture(scope="module")
def twenty_ips() -> Graph:
    hub = {"mode": "create", "vnetCidr": "10.0.0.0/22", "firewallSubnetCidr": "10.0.0.0/26", "firewallPublicIps": 20}
    return _dev_with({"hub": hub})


def test_the_firewall_snats_behind_as_many_public_ips_as_configured(twenty_ips: Graph) -> None:
    ips = {ip.id for ip in twenty_ips.of_type("azure-native:network:PublicIPAddress")}
    configs = _firewall(twenty_ips).inputs["ipConfigurations"]
    assert len(ips) == 20 and {c["publicIPAddress"]["id"] for c in configs} == ips
    # Azure takes the subnet on the first configuration only.
    assert "subnet" in configs[0] and not any("subnet" in c for c in configs[1:])
    assert _finding(_as_production(twenty_ips), "azure-firewall-snat-public-ips").status == "pass"
    # The first address keeps its name and URN: adding more replaces nothing.
    assert {r.name for r in graph_of("dev").of_type("azure-native:network:PublicIPAddress")} <= {
        r.name for r in twenty_ips.of_type("azure-native:network:PublicIPAddress")
    }


def test_too_few_public_ips_in_production_warn_without_failing_the_check(tmp_path: Path) -> None:
    assert _finding(graph_of("dev"), "azure-firewall-snat-public-ips").status == "pass", "dev is not production"
    production = _as_production(graph_of("dev"))
    assert _finding(production, "azure-firewall-snat-public-ips").status == "warn"
    assert _preflight(production, tmp_path) is True
    report = {entry["rule"]: entry for entry in json.loads((tmp_path / "preflight.json").read_text())}
    assert report["azure-firewall-snat-public-ips"]["status"] == "warn"
    assert report["azure-firewall-snat-public-ips"]["severity"] == "warning"


@pytest.mark.parametrize("stack", ["dev", "stg", "prod"])
def test_system_pools_take_only_critical_add_ons_and_every_pool_sets_max_pods(stack: str) -> None:
    (cluster,) = [r for r in graph_of(stack).resources if r.type.endswith(":ManagedCluster")]
    for pool in cluster.inputs["agentPoolProfiles"]:
        assert pool["maxPods"] == 110
        assert ("CriticalAddonsOnly=true:NoSchedule" in pool.get("nodeTaints", [])) is (pool["mode"] == "System")


def test_a_lone_system_pool_is_not_tainted() -> None:
    # It must run the workloads too: the taint would leave them nowhere to go.
    graph = _dev_with({"nodePools": [{"name": "system", "mode": "System", "count": 2}]})
    (cluster,) = [r for r in graph.resources if r.type.endswith(":ManagedCluster")]
    assert "nodeTaints" not in cluster.inputs["agentPoolProfiles"][0]
    assert _finding(graph, "azure-aks-system-pool-critical-addons-only").status == "not-applicable"


def test_defender_reports_to_the_audit_workspace_and_private_clusters_have_no_public_name() -> None:
    graph = graph_of("prod")
    (cluster,) = [r for r in graph.resources if r.type.endswith(":ManagedCluster")]
    workspace = read(stack_file("prod")).values["k8tre:cluster"]["hub"]["logAnalyticsWorkspaceId"]
    assert cluster.inputs["securityProfile"]["defender"]["logAnalyticsWorkspaceResourceId"] == workspace
    assert cluster.inputs["apiServerAccessProfile"]["enablePrivateClusterPublicFQDN"] is False
    (dev_cluster,) = [r for r in graph_of("dev").resources if r.type.endswith(":ManagedCluster")]
    assert "enablePrivateClusterPublicFQDN" not in dev_cluster.inputs["apiServerAccessProfile"], "dev's API is public"
