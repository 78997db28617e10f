"""A hub the stack does not own: the exact firewall rules handed to its owner, and the provider of its subscription."""

from __future__ import annotations

import copy
import datetime
import json

import pytest

from conftest import ROOT, graph_of, stack_file
from k8tre.chart_lock import chart_name
from k8tre.config import load_file
from k8tre.infrastructure.azure.subscriptions import subscription_of
from k8tre.offline.engine import resolve, run
from k8tre.offline.graph import Graph
from k8tre.preflight import azure_graph as ag
from k8tre.preflight.registry import PreflightFinding, run_preflight

TODAY = datetime.date(2026, 11, 25)
STACK_HUB = ROOT / "tests" / "stacks" / "Pulumi.azure-stackhub.yaml"


@pytest.fixture(scope="module")
def stack_hub_graph() -> Graph:
    # The management stack's outputs are what a hub-creating stack (dev) really exports, not made up.
    return run(
        resolve(str(STACK_HUB), ROOT), references={"example-org/k8tre/management": {"hub": graph_of("dev").outputs["hub"]}}
    )


def _finding(graph: Graph, rule_id: str) -> PreflightFinding:
    return next(f for f in run_preflight(graph, TODAY) if f.rule.id == rule_id)


def _cilium_host(graph: Graph) -> str:
    (release,) = [
        r for r in graph.of_type("kubernetes:helm.sh/v3:Release") if chart_name(str(r.inputs.get("chart", ""))) == "cilium"
    ]
    return str(release.inputs["values"]["k8sServiceHost"])


def test_a_hub_read_from_another_stack_gets_the_provider_of_its_vnets_subscription(stack_hub_graph: Graph) -> None:
    (peering,) = [r for r in stack_hub_graph.resources if r.name.endswith("spoke-from-hub")]
    provider = stack_hub_graph.get(peering.provider)
    assert provider.inputs["subscriptionId"] == subscription_of(graph_of("dev").outputs["hub"]["vnetId"])
    assert _finding(stack_hub_graph, "azure-resource-in-its-subscription").status == "pass"


@pytest.mark.parametrize("stack", ["stg", "prod"])
def test_the_handed_rules_are_exactly_what_a_hub_created_here_gets(stack: str) -> None:
    # dev writes its rules into a policy it owns; stg and prod hand the same ones, for their own range, to the owner.
    (created,) = graph_of("dev").of_type("azure-native:network:FirewallPolicyRuleCollectionGroup")[:1]
    dev_range, own_range = "10.10.0.0/16", {"stg": "10.11.0.0/16", "prod": "10.12.0.0/16"}[stack]
    expected = json.loads(json.dumps(created.inputs["ruleCollections"]).replace(dev_range, own_range))
    (handed,) = graph_of(stack).outputs["hubFirewallRules"]  # a private API: no API server group
    assert handed["name"] == str(created.inputs["ruleCollectionGroupName"]).replace("-dev", f"-{stack}")
    # Each stack's own allowlist (its receivers' hosts differ) is compared with its stack file, the rest as a whole.
    allowlists = {c["name"]: c for c in handed["properties"]["ruleCollections"] if c["name"] == "stack-allowlist"}
    (rule,) = allowlists["stack-allowlist"]["rules"]
    assert tuple(rule["targetFqdns"]) == load_file(stack_file(stack).path).cluster.egress_allowlist
    shared = [c for c in expected if c["name"] != "stack-allowlist"]
    assert handed["properties"]["priority"] == created.inputs["priority"]
    assert [c for c in handed["properties"]["ruleCollections"] if c["name"] != "stack-allowlist"] == shared
    assert "hubFirewallRules" not in graph_of("dev").outputs, "a stack that owns its firewall writes the rules itself"


def test_a_public_api_behind_someone_elses_firewall_hands_over_its_api_rule(stack_hub_graph: Graph) -> None:
    egress, api = stack_hub_graph.outputs["hubFirewallRules"]
    assert egress["properties"]["priority"] < api["properties"]["priority"]
    (rule,) = [r for c in api["properties"]["ruleCollections"] for r in c["rules"]]
    # The name the pods' API clients are given, by a network rule (not an application rule, which needs SNI).
    assert ag.allows_tcp_443(rule, {_cilium_host(stack_hub_graph)})
    assert _finding(stack_hub_graph, "azure-public-api-reachable-through-firewall").status == "pass"
    broken = copy.deepcopy(stack_hub_graph)
    broken.outputs["hubFirewallRules"].pop()  # the owner's copy without it
    assert _finding(broken, "azure-public-api-reachable-through-firewall").status == "fail"
