"""The secret stores' identities take effect: Key Vault roles need the RBAC model, Pod Identity needs its agent."""

from __future__ import annotations

import copy
import datetime

from conftest import graph_of
from k8tre.offline.graph import Graph
from k8tre.preflight.registry import PreflightFinding, run_preflight

TODAY = datetime.date(2026, 11, 25)


def _finding(graph: Graph, rule_id: str) -> PreflightFinding:
    return next(f for f in run_preflight(graph, TODAY) if f.rule.id == rule_id)


def test_key_vault_roles_are_judged_on_an_rbac_vault() -> None:
    finding = _finding(graph_of("dev"), "azure-key-vault-rbac-for-data-roles")
    assert finding.status == "pass"
    assert any("external-secrets-role" in urn for urn in finding.evaluation.examined)


def test_a_vault_on_access_policies_makes_its_role_assignments_fail() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    # The environment's vault (the other holds only the etcd encryption key).
    (vault,) = [v for v in graph.of_type("azure-native:keyvault:Vault") if "-etcd-" not in v.name]
    vault.inputs["properties"]["enableRbacAuthorization"] = False
    finding = _finding(graph, "azure-key-vault-rbac-for-data-roles")
    assert finding.status == "fail"
    assert any("Key Vault Secrets User" in v.message for v in finding.evaluation.violations)


def test_pod_identity_association_with_the_agent_passes() -> None:
    finding = _finding(graph_of("aws-dev"), "aws-pod-identity-agent-installed")
    assert finding.status == "pass"


def test_pod_identity_association_without_the_agent_fails() -> None:
    graph = copy.deepcopy(graph_of("aws-dev"))
    graph.resources = [
        r
        for r in graph.resources
        if not (r.type == "aws:eks/addon:Addon" and r.inputs.get("addonName") == "eks-pod-identity-agent")
    ]
    finding = _finding(graph, "aws-pod-identity-agent-installed")
    assert finding.status == "fail"


def test_the_rules_have_nothing_to_judge_on_k3s() -> None:
    graph = graph_of("k3s-dev")
    for rule in ("azure-key-vault-rbac-for-data-roles", "aws-pod-identity-agent-installed"):
        assert _finding(graph, rule).status == "not-applicable"
