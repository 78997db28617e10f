"""The hub firewall against what the cluster pulls and dials: images, chart sources, policy FQDNs."""

from __future__ import annotations

import copy
import dataclasses
import datetime
from typing import Any

import pytest

from conftest import expanded_graph_of, graph_of
from k8tre.config.layers import ALLOWED_REGISTRIES
from k8tre.infrastructure.azure.firewall_rules import rule_collections
from k8tre.offline.graph import Graph
from k8tre.offline.workloads import ExpandedRelease
from k8tre.preflight import azure_graph as ag
from k8tre.preflight.azure_firewall_egress import fqdn_matches
from k8tre.preflight.registry import PreflightFinding, run_preflight
from k8tre.registry_endpoints import registry_of

TODAY = datetime.date(2026, 11, 25)
IMAGES = "azure-firewall-allows-image-registries"
POLICY_FQDNS = "azure-firewall-allows-policy-fqdns"


def _finding(graph: Graph, rule_id: str) -> PreflightFinding:
    return next(f for f in run_preflight(graph, TODAY) if f.rule.id == rule_id)


def _messages(finding: PreflightFinding) -> str:
    return "\n".join(v.message for v in finding.evaluation.violations)


def _collections(graph: Graph) -> list[dict[str, Any]]:
    """Every rule collection the render writes (created groups, or those handed to the hub's owner)."""
    created = [c for g in graph.of_type(*ag.RULE_COLLECTION_GROUP) for c in g.inputs["ruleCollections"]]
    handed = [c for body in graph.outputs.get(ag.HUB_RULES_OUTPUT) or [] for c in body["properties"]["ruleCollections"]]
    return created + handed


def _without_fqdn(graph: Graph, fqdn: str) -> Graph:
    mutated = copy.deepcopy(graph)
    removed = 0
    for collection in _collections(mutated):
        for rule in collection.get("rules") or []:
            if fqdn in (rule.get("targetFqdns") or []):
                rule["targetFqdns"].remove(fqdn)
                removed += 1
    assert removed, f"{fqdn} is not in the firewall rules to begin with"
    return mutated


@pytest.mark.parametrize("stack", ["dev", "stg"])
def test_every_pulled_image_and_policy_name_is_allowed_by_the_firewall(stack: str) -> None:
    # dev writes its rules into a policy it owns; stg hands them to the owner of the landing-zone hub.
    graph = expanded_graph_of(stack)
    for rule_id in (IMAGES, POLICY_FQDNS):
        finding = _finding(graph, rule_id)
        assert finding.status == "pass", _messages(finding)
        assert finding.evaluation.examined


def test_an_image_from_a_registry_the_firewall_does_not_name_fails() -> None:
    graph = expanded_graph_of("dev")
    pod = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "tool", "namespace": "monitoring"},
        "spec": {"template": {"spec": {"containers": [{"name": "tool", "image": "registry.example.net/tools/x:1.0"}]}}},
    }
    extra = ExpandedRelease("tool", "monitoring", "tool", "1.0", "helm-release", "urn:tool", None, (pod,))
    finding = _finding(dataclasses.replace(graph, workloads=[*graph.workloads, extra]), IMAGES)
    assert finding.status == "fail"
    assert "registry.example.net" in _messages(finding)


@pytest.mark.parametrize(
    ("stack", "fqdn"),
    [
        ("dev", "registry-1.docker.io"),  # Grafana's image
        ("dev", "production.cloudflare.docker.com"),  # Docker Hub's layers: the manifest alone starts nothing
        ("dev", "cr.fluentbit.io"),
        ("stg", "ghcr.io"),  # in the rules handed to the hub owner
        ("stg", "registry.k8s.io"),
    ],
)
def test_a_registry_host_removed_from_the_firewall_fails(stack: str, fqdn: str) -> None:
    finding = _finding(_without_fqdn(expanded_graph_of(stack), fqdn), IMAGES)
    assert finding.status == "fail"
    assert fqdn in _messages(finding)


def test_a_chart_repository_argo_cd_fetches_from_must_be_allowed() -> None:
    finding = _finding(_without_fqdn(expanded_graph_of("dev"), "hub.jupyter.org"), IMAGES)
    assert finding.status == "fail"
    assert "Argo CD fetches the chart" in _messages(finding)


def test_a_deny_collection_or_plain_http_rule_does_not_count_as_allowing() -> None:
    graph = copy.deepcopy(expanded_graph_of("dev"))
    for collection in _collections(graph):
        for rule in collection.get("rules") or []:
            if "registry-1.docker.io" in (rule.get("targetFqdns") or []):
                rule["protocols"] = [{"protocolType": "Http", "port": 80}]
    assert _finding(graph, IMAGES).status == "fail"


@pytest.mark.parametrize("fqdn", ["grafana.com", "pypi.org"])
def test_a_name_a_policy_allows_but_the_firewall_does_not_fails(fqdn: str) -> None:
    finding = _finding(_without_fqdn(expanded_graph_of("dev"), fqdn), POLICY_FQDNS)
    assert finding.status == "fail"
    assert fqdn in _messages(finding)


def _with_policy_name(graph: Graph, name: str) -> Graph:
    mutated = copy.deepcopy(graph)
    (policy,) = [r for r in mutated.resources if r.type.endswith(":CiliumNetworkPolicy") and r.name.endswith("grafana-policy")]
    policy.inputs["spec"]["egress"].append({"toFQDNs": [{"matchName": name}], "toPorts": [{"ports": [{"port": "443"}]}]})
    return mutated


def test_a_private_endpoint_name_needs_no_firewall_rule_but_an_internet_name_does() -> None:
    graph = expanded_graph_of("dev")
    assert _finding(_with_policy_name(graph, "kvother.vault.azure.net"), POLICY_FQDNS).status == "pass"
    assert _finding(_with_policy_name(graph, "paste.example.org"), POLICY_FQDNS).status == "fail"


def test_rules_do_not_apply_without_a_firewall() -> None:
    finding = _finding(graph_of("aws-dev"), IMAGES)
    assert finding.status == "not-applicable"


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [
        ("*.quay.io", "cdn01.quay.io", True),
        ("*.quay.io", "quay.io", False),  # a leading "*." never matches the apex
        ("*quay.io", "quay.io", True),
        ("*.pkg.dev", "europe-west2-docker.pkg.dev", True),
        ("ghcr.io", "GHCR.io", True),
        ("ghcr.io", "evilghcr.io", False),
        ("*", "anything.example", True),
    ],
)
def test_fqdn_matching_follows_azure_firewalls_wildcards(pattern: str, name: str, matches: bool) -> None:
    assert fqdn_matches(pattern, name) is matches


def test_the_firewall_allows_the_configured_registries_hosts_and_no_other() -> None:
    def registry_fqdns(registries: tuple[str, ...]) -> set[str]:
        (rule,) = [
            r
            for c in rule_collections("uksouth", ["10.0.0.0/16"], (), registries)
            for r in c["rules"]
            if r["name"] == "image-registries"
        ]
        return set(rule["targetFqdns"])

    defaults = registry_fqdns(ALLOWED_REGISTRIES)
    assert {registry_of(f"{prefix}/x:1") for prefix in ALLOWED_REGISTRIES} - {"docker.io"} <= defaults
    assert "registry-1.docker.io" in defaults
    assert registry_fqdns(("myacr.azurecr.io/mirror",)) == {"myacr.azurecr.io"}
