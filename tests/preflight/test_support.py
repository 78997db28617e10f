"""The support calendar and the version rules: every stack is supported today, and the clock can overtake it."""

from __future__ import annotations

import copy
import dataclasses
import datetime

import pytest

from conftest import ALL_STACKS, ROOT, graph_of, stack_file
from k8tre.offline.engine import load, run
from k8tre.offline.graph import Graph, RecordedResource
from k8tre.preflight.registry import PREFLIGHT_RULES, PreflightFinding, run_preflight
from k8tre.preflight.support_calendar import CALENDAR, Platform, minor_of, support_entry

TODAY = datetime.date(2026, 11, 25)
"""The date these stacks are judged at (the project's present)."""
TEST_STACKS = tuple(
    str(p.relative_to(ROOT))
    for p in sorted((ROOT / "tests" / "stacks").glob("Pulumi.*.yaml"))
    # A registered environment renders only against its management stack's render: tests/test_topology.py checks it.
    if "k8tre:management:" not in p.read_text()
)


def _finding(graph: Graph, rule_id: str, today: datetime.date) -> PreflightFinding:
    return next(f for f in run_preflight(graph, today) if f.rule.id == rule_id)


def _cluster(graph: Graph) -> RecordedResource:
    (found,) = [r for r in graph.resources if r.type.endswith(":ManagedCluster")]
    return found


def _graph(stack: str) -> Graph:
    if not stack.endswith("azure-stackhub.yaml"):
        return graph_of(stack)
    # A spoke of another stack's hub: that stack's real outputs (dev creates a hub), not made-up ones.
    references = {"example-org/k8tre/management": {"hub": graph_of("dev").outputs["hub"]}}
    return run(stack_file(stack), references=references)


@pytest.mark.parametrize("stack", ALL_STACKS + TEST_STACKS)
def test_every_stack_passes_every_preflight_rule_today(stack: str) -> None:
    findings = run_preflight(_graph(stack), TODAY)
    failures = {f.rule.id: [v.message for v in f.evaluation.violations] for f in findings if f.status == "fail"}
    assert failures == {}


def test_no_rule_is_vacuous_across_the_stacks() -> None:
    examined: set[str] = set()
    for stack in ALL_STACKS:
        examined |= {f.rule.id for f in run_preflight(graph_of(stack), TODAY) if f.status != "not-applicable"}
    assert examined == {rule.id for rule in PREFLIGHT_RULES}


def test_rules_cite_their_source_and_state_one_constraint() -> None:
    for rule in PREFLIGHT_RULES:
        assert rule.source.startswith("https://"), rule.id
        assert rule.cloud in ("azure", "aws", "k3s")
        assert rule.constraint.endswith(".") and "\n" not in rule.constraint, rule.id


def test_aks_version_past_end_of_life_is_refused() -> None:
    graph = graph_of("dev")
    version = str(_cluster(graph).inputs["kubernetesVersion"])
    entry = support_entry("aks", version)
    assert entry is not None
    assert _finding(graph, "aks-kubernetes-version-supported", entry.end_of_support).status == "pass"
    later = entry.end_of_support + datetime.timedelta(days=1)
    assert _finding(graph, "aks-kubernetes-version-supported", later).status == "fail"


def test_the_old_aks_version_is_refused_today() -> None:
    graph = copy.deepcopy(graph_of("stg"))
    _cluster(graph).inputs["kubernetesVersion"] = "1.33"  # end of life July 2026
    assert _finding(graph, "aks-kubernetes-version-supported", TODAY).status == "fail"


def test_lts_is_an_exception_only_with_premium_tier_and_the_lts_plan() -> None:
    graph = copy.deepcopy(graph_of("prod"))
    cluster = _cluster(graph)
    cluster.inputs["kubernetesVersion"] = "1.33"
    cluster.inputs["sku"] = {"name": "Base", "tier": "Premium"}
    assert _finding(graph, "aks-kubernetes-version-supported", TODAY).status == "fail", "Premium alone is not LTS"
    cluster.inputs["supportPlan"] = "AKSLongTermSupport"
    assert _finding(graph, "aks-kubernetes-version-supported", TODAY).status == "pass"
    assert _finding(graph, "aks-kubernetes-version-supported", datetime.date(2027, 8, 1)).status == "fail", "past LTS"


def test_a_version_the_calendar_does_not_know_is_refused() -> None:
    graph = copy.deepcopy(graph_of("dev"))
    _cluster(graph).inputs["kubernetesVersion"] = "1.39"
    finding = _finding(graph, "aks-kubernetes-version-supported", TODAY)
    assert finding.status == "fail" and "not in the aks support calendar" in finding.evaluation.violations[0].message


def test_eks_version_past_standard_support_is_refused_unless_extended() -> None:
    graph = copy.deepcopy(graph_of("aws-dev"))
    (cluster,) = graph.of_type("aws:eks/cluster:Cluster")
    assert _finding(graph, "eks-kubernetes-version-supported", TODAY).status == "pass"
    cluster.inputs["version"] = "1.33"
    assert _finding(graph, "eks-kubernetes-version-supported", TODAY).status == "fail"
    cluster.inputs["upgradePolicy"] = {"supportType": "EXTENDED"}
    assert _finding(graph, "eks-kubernetes-version-supported", TODAY).status == "pass"


def test_k3s_release_of_an_unmaintained_minor_is_refused() -> None:
    graph = copy.deepcopy(graph_of("k3s-dev"))
    assert _finding(graph, "k3s-kubernetes-version-supported", TODAY).status == "pass"
    for index, command in enumerate(graph.resources):
        stdin = command.inputs.get("stdin")
        if isinstance(stdin, str) and "K3S_VERSION=" in stdin:
            script = stdin.replace("v1.35.8+k3s1", "v1.33.5+k3s1")
            graph.resources[index] = dataclasses.replace(command, inputs={**command.inputs, "stdin": script})
    finding = _finding(graph, "k3s-kubernetes-version-supported", TODAY)
    assert finding.status == "fail" and len(finding.evaluation.violations) >= 2  # servers and agents alike


def test_calendar_entries_are_well_formed() -> None:
    seen: set[tuple[str, str]] = set()
    for entry in CALENDAR:
        assert (entry.platform, entry.minor) not in seen, "one entry per platform and minor"
        seen.add((entry.platform, entry.minor))
        assert entry.source.startswith("https://")
        if entry.extended_until is not None:
            assert entry.extended_until > entry.end_of_support and entry.extended_requires
    assert minor_of("v1.35.8+k3s1") == minor_of("1.35.4") == "1.35"


def test_stack_files_name_versions_the_calendar_knows() -> None:
    # Promotion moves versions through these files; each must be in the calendar for its platform.
    platforms: dict[str, Platform] = {"azure": "aks", "aws": "eks", "k3s": "k3s"}
    for stack in ALL_STACKS + TEST_STACKS:
        cluster = load(stack_file(stack)).cluster
        assert support_entry(platforms[cluster.provider], cluster.kubernetes_version) is not None, stack
