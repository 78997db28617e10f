"""``k8tre check`` prints every preflight verdict, writes preflight.json, and fails on a broken constraint."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from conftest import ROOT, graph_of
from k8tre.cli import _preflight
from k8tre.preflight.registry import PREFLIGHT_RULES
from k8tre.preflight.report import rules_markdown


def test_check_reports_each_rule_and_fails_on_a_violation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _preflight(graph_of("dev"), tmp_path) is True
    printed = capsys.readouterr().out
    report = json.loads((tmp_path / "preflight.json").read_text())
    assert {entry["rule"] for entry in report} == {line.split()[2] for line in printed.splitlines() if " preflight " in line}
    assert all(entry["source"].startswith("https://") for entry in report)
    assert "n/a  preflight eks-kubernetes-version-supported" in printed, "a rule with nothing to examine says so"

    broken = copy.deepcopy(graph_of("dev"))
    (cluster,) = [r for r in broken.resources if r.type.endswith(":ManagedCluster")]
    cluster.inputs["networkProfile"].pop("podCidr")
    assert _preflight(broken, tmp_path) is False
    assert "FAIL preflight azure-byocni-pod-cidr" in capsys.readouterr().out
    statuses = {entry["rule"]: entry["status"] for entry in json.loads((tmp_path / "preflight.json").read_text())}
    assert statuses["azure-byocni-pod-cidr"] == "fail"


def test_docs_list_every_preflight_rule_as_generated() -> None:
    docs = (ROOT / "docs" / "azure.md").read_text()
    assert rules_markdown() in docs, "docs/azure.md is stale: paste k8tre.preflight.report.rules_markdown() between its markers"
    for rule in PREFLIGHT_RULES:
        assert f"`{rule.id}`" in docs and rule.source in docs
