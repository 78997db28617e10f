"""FQDN network rules work only through the firewall's DNS proxy: the rule passes the stacks and fails each breakage."""

from __future__ import annotations

import copy
import datetime

import pytest

from conftest import graph_of
from k8tre.offline.graph import Graph, RecordedResource
from k8tre.preflight.registry import PreflightFinding, run_preflight

RULE = "azure-firewall-dns-proxy-for-fqdn-network-rules"
TODAY = datetime.date(2026, 11, 25)


def _finding(graph: Graph) -> PreflightFinding:
    return next(f for f in run_preflight(graph, TODAY) if f.rule.id == RULE)


def _spoke_vnet(graph: Graph) -> RecordedResource:
    (found,) = [r for r in graph.of_type("azure-native:network:VirtualNetwork") if r.name.endswith("spoke-vnet")]
    return found


@pytest.mark.parametrize("stack", ["dev", "stg", "prod"])
def test_the_stacks_resolve_through_the_firewall(stack: str) -> None:
    finding = _finding(graph_of(stack))
    assert finding.status == "pass", [v.message for v in finding.evaluation.violations]
    assert any("VirtualNetwork" in urn for urn in finding.evaluation.examined), "the spoke was judged"


def test_the_spoke_asks_the_address_its_default_route_goes_to() -> None:
    graph = graph_of("dev")
    (table,) = graph.of_type("azure-native:network:RouteTable")
    (hop,) = {r["nextHopIpAddress"] for r in table.inputs["routes"] if r["addressPrefix"] == "0.0.0.0/0"}
    assert _spoke_vnet(graph).inputs["dhcpOptions"]["dnsServers"] == [hop]


def test_a_spoke_left_on_azure_dns_fails() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    _spoke_vnet(graph).inputs.pop("dhcpOptions")
    assert _finding(graph).status == "fail"


def test_a_spoke_on_a_public_resolver_fails() -> None:
    graph = copy.deepcopy(graph_of("prod"))
    _spoke_vnet(graph).inputs["dhcpOptions"] = {"dnsServers": ["8.8.8.8"]}
    assert _finding(graph).status == "fail"


@pytest.mark.parametrize("setting", ["enableProxy", "requireProxyForNetworkRules"])
def test_a_created_hub_without_its_dns_proxy_fails(setting: str) -> None:
    graph = copy.deepcopy(graph_of("dev"))
    (policy,) = graph.of_type("azure-native:network:FirewallPolicy")
    policy.inputs["dnsSettings"][setting] = False
    assert _finding(graph).status == "fail"
