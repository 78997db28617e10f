"""The security scan's judgment: checkov findings pass only when accepted per check and resource, with a reason.

checkov itself runs in ``scripts/security-scan.sh`` (minutes, its own tool environment); these tests run
its filter on reports in checkov's JSON shape, and hold ``.checkov-accepted.yaml`` against what the
stacks really render, so an entry cannot outlive or widen beyond the workload it names.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from k8tre.workload_checks.checkov_filter import Accepted, failed_checks, load_accepted, main, unexplained

ROOT = Path(__file__).resolve().parents[1]
ACCEPTED = ROOT / ".checkov-accepted.yaml"
POD_OWNERS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}


def finding(check: str, resource: str) -> dict[str, Any]:
    """One failed check as checkov 3.3.30 writes it in ``results.failed_checks``."""
    return {"check_id": check, "check_name": "", "resource": resource, "file_path": "/workloads/x.yaml"}


def report(*failed: dict[str, Any]) -> dict[str, Any]:
    return {"check_type": "kubernetes", "results": {"passed_checks": [], "failed_checks": list(failed)}}


def run_filter(tmp_path: Path, accepted: str, *reports: Any) -> int:
    (tmp_path / "accepted.yaml").write_text(accepted, encoding="utf-8")
    paths = []
    for index, content in enumerate(reports):
        path = tmp_path / f"report-{index}.json"
        path.write_text(json.dumps(content), encoding="utf-8")
        paths.append(str(path))
    return main([str(tmp_path / "accepted.yaml"), *paths])


# --- The filter: an unexplained finding, a reasonless entry and a stale entry each fail ---

ONE_ENTRY = """accepted:
  - check: CKV_K8S_19
    resource: DaemonSet.kube-system.cilium
    reason: the CNI runs in the host network namespace
"""


def test_an_accepted_finding_passes(tmp_path: Path) -> None:
    assert run_filter(tmp_path, ONE_ENTRY, report(finding("CKV_K8S_19", "DaemonSet.kube-system.cilium"))) == 0


@pytest.mark.parametrize(
    "mutated",
    [
        # The same check on another workload: acceptance is per resource, never per check.
        finding("CKV_K8S_19", "Deployment.jupyterhub.hub"),
        # Another check on the accepted workload: acceptance is per check, never per resource.
        finding("CKV_K8S_16", "DaemonSet.kube-system.cilium"),
        # A name that only starts like the accepted one.
        finding("CKV_K8S_19", "DaemonSet.kube-system.cilium-evil"),
    ],
)
def test_an_unexplained_finding_fails(tmp_path: Path, mutated: dict[str, Any]) -> None:
    accepted = finding("CKV_K8S_19", "DaemonSet.kube-system.cilium")
    assert run_filter(tmp_path, ONE_ENTRY, report(accepted, mutated)) == 1
    # checkov writes a list of reports when it ran several frameworks; the finding is found there too.
    assert run_filter(tmp_path, ONE_ENTRY, [report(accepted), report(mutated)]) == 1


def test_an_entry_that_matches_nothing_fails(tmp_path: Path) -> None:
    assert run_filter(tmp_path, ONE_ENTRY, report()) == 1


def test_an_entry_without_a_reason_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="reason"):
        run_filter(tmp_path, ONE_ENTRY.replace("the CNI runs in the host network namespace", "''"), report())


def test_a_harmful_change_to_a_real_stack_would_be_unexplained() -> None:
    """Every finding the project's list accepts, plus one a privileged hub would add: only that one is left."""
    accepted = load_accepted(ACCEPTED)
    real = [finding(a.check, a.resource.replace("*", "app-x")) for a in accepted]
    left, stale = unexplained(real, accepted)
    assert (left, stale) == ([], [])
    harmful = [*copy.deepcopy(real), finding("CKV_K8S_16", "Deployment.jupyterhub.hub")]
    left, _ = unexplained(harmful, accepted)
    assert [line.split(" (")[0] for line in left] == ["CKV_K8S_16 Deployment.jupyterhub.hub"]
    assert len(failed_checks([report(*harmful)])) == len(harmful)


# --- The accepted list itself: specific, reasoned, and about workloads the stacks really render ---

RESOURCE = re.compile(r"^(?P<kind>[A-Za-z]+)\.(?P<namespace>[a-z0-9-]+)\.(?P<name>[a-z0-9-]+)(?P<pods>\.\*)?$")


def test_every_entry_names_one_workload_with_a_reason() -> None:
    accepted = load_accepted(ACCEPTED)
    assert accepted, "the list is read"
    for entry in accepted:
        match = RESOURCE.match(entry.resource)
        assert match, f"{entry.check} {entry.resource}: not Kind.namespace.name (a glob may only end a Pod id)"
        # checkov names a Pod by its labels after the name; only there may a glob follow, after a dot.
        assert not match["pods"] or match["kind"] == "Pod", entry.resource
        assert len(entry.reason.split()) >= 8, f"{entry.check} {entry.resource}: the reason says too little"
    pairs = [(a.check, a.resource) for a in accepted]
    assert len(pairs) == len(set(pairs)), "one entry per check and resource"


def _rendered(stacks: list[str]) -> set[tuple[str, str, str]]:
    from conftest import expanded_graph_of

    found = set()
    for stack in stacks:
        # The program's own objects are scanned too (manifests/), so entries may name them.
        for obj in expanded_graph_of(stack).manifests():
            meta = obj.get("metadata") or {}
            found.add((obj["kind"], meta.get("namespace") or "default", meta.get("name", "")))
        for release in expanded_graph_of(stack).workloads:
            for obj in release.objects:
                meta = obj.get("metadata") or {}
                namespace = meta.get("namespace") or ("default" if obj["kind"].startswith("Cluster") else release.namespace)
                found.add((obj["kind"], namespace, meta.get("name", "")))
                if obj["kind"] in POD_OWNERS:
                    found.add(("Pod", namespace, meta.get("name", "")))
                    # checkov names a pod after its template's own name when the template has one
                    # (seaweedfs's bucket hook Job: template name "seaweedfs").
                    template = ((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}
                    if template.get("name"):
                        found.add(("Pod", namespace, template["name"]))
    return found


def test_every_entry_names_a_workload_a_stack_renders() -> None:
    """An entry for an object no chart renders any more would silently accept whatever takes its name."""
    from conftest import ALL_STACKS

    rendered = _rendered(list(ALL_STACKS))
    for entry in load_accepted(ACCEPTED):
        match = RESOURCE.match(entry.resource)
        assert match
        # checkov puts cluster-scoped objects in namespace "default", as _rendered does.
        assert (match["kind"], match["namespace"], match["name"]) in rendered, entry


def test_a_removed_workload_makes_its_entries_stale() -> None:
    """What the script's whole-scan pass relies on: entries for a workload nobody reports are returned as stale."""
    accepted = [Accepted("CKV_K8S_43", "Deployment.argocd.argocd-redis", "no digest in the chart for this image tag")]
    _, stale = unexplained([finding("CKV_K8S_43", "Deployment.argocd.argocd-redis-ha-haproxy")], accepted)
    assert stale == accepted
